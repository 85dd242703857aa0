import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandLine } from '../../src/cli/options.js';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { parseQueueUrl, QUEUE_PASSWORD_ENV, redactCredentials, requireQueueName } from '../../src/queue/url.js';

test('parseQueueUrl reads host, port, database, user and password, and shows the URL without the password', () => {
  const full = parseQueueUrl('redis://alice:s%40cret@lab-server:6380/3', {});
  assert.deepEqual(full, { host: 'lab-server', port: 6380, db: 3, username: 'alice', password: 's@cret', tls: false, redacted: 'redis://alice:***@lab-server:6380/3' });
  assert.deepEqual(parseQueueUrl('redis://localhost', {}), { host: 'localhost', port: 6379, db: 0, tls: false, redacted: 'redis://localhost:6379/0' });
  const tls = parseQueueUrl('rediss://:pw@[::1]:7000', {});
  assert.equal(tls.host, '::1');
  assert.equal(tls.tls, true);
  assert.equal(tls.redacted, 'rediss://:***@[::1]:7000/0');
});

test('the password may come from AFFINITY_QUEUE_PASSWORD; one in the URL wins', () => {
  const env = { [QUEUE_PASSWORD_ENV]: 'from-env' };
  assert.equal(parseQueueUrl('redis://host:6379', env).password, 'from-env');
  assert.equal(parseQueueUrl('redis://host:6379', env).redacted, 'redis://:***@host:6379/0');
  assert.equal(parseQueueUrl('redis://bob:@host', env).redacted, 'redis://bob:***@host:6379/0');
  assert.equal(parseQueueUrl('redis://:in-url@host', env).password, 'in-url');
  assert.equal(parseQueueUrl('redis://host', { [QUEUE_PASSWORD_ENV]: '' }).password, undefined);
});

test('bad URLs are refused with an AffinityConfigError that never shows the password', () => {
  const cases: [string, RegExp][] = [
    ['not a url', /not a URL/],
    ['http://host:6379', /scheme must be redis or rediss, got http/],
    ['redis://host:6379/x', /path must be a database number, got \/x/],
    ['redis://host:6379/0?password=hunter2', /options after \? or # are not read/],
    ['redis://hunter2@host:6379', /give the password after a colon/],
    ['redis://:hunter2@host:99999', /not a URL/],
  ];
  for (const [url, message] of cases) {
    assert.throws(() => parseQueueUrl(url, {}), (error: Error) => {
      assert.ok(error instanceof AffinityConfigError, url);
      assert.match(error.message, message);
      assert.doesNotMatch(error.message, /hunter2/, `${url}: ${error.message}`);
      return true;
    });
  }
});

test('redactCredentials hides every password in free text, and commandLine records --queue without it', () => {
  assert.equal(redactCredentials('see redis://u:p@h:1/0 and rediss://:q@h2'), 'see redis://u:***@h:1/0 and rediss://:***@h2');
  assert.equal(redactCredentials('redis://justapassword@h'), 'redis://***@h');
  assert.equal(redactCredentials('redis://h:6379/0'), 'redis://h:6379/0');
  assert.equal(redactCredentials('redis://h/0?db=1&password=x'), 'redis://h/0?db=1&password=***');
  const line = commandLine(['bench', '--protocol', 'figure1', '--queue', 'redis://:hunter2@127.0.0.1:6379', '--queue-name', 'lab']);
  assert.equal(line, "affinity bench --protocol figure1 --queue 'redis://:***@127.0.0.1:6379' --queue-name lab");
  assert.equal(commandLine(['--queue=redis://alice:hunter2@h']), "affinity '--queue=redis://alice:***@h'");
});

test('queue names are Redis-key-safe', () => {
  assert.equal(requireQueueName('lab-a.sweep_2'), 'lab-a.sweep_2');
  for (const bad of ['', 'a:b', 'with space', '-lead', 'x'.repeat(65), 3]) {
    assert.throws(() => requireQueueName(bad), /queue name .*: use 1 to 64 letters, digits/);
  }
});
