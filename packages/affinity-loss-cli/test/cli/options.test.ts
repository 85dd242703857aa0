import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { commandLine } from '../../src/cli/options.js';

test('commandLine quotes what a shell would split or expand, and nothing else', () => {
  const args = ['bench', '--settings', 'rho=100 mnist,rho=100 fashion-mnist', '--out', "runs/it's", '--lr', '1e-3', '--title', '$HOME *', ''];
  const line = commandLine(args);
  assert.equal(
    line,
    "affinity bench --settings 'rho=100 mnist,rho=100 fashion-mnist' --out 'runs/it'\\''s' --lr 1e-3 --title '$HOME *' ''",
  );
  // The shell reads the line back into the same arguments.
  const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${line.slice('affinity '.length)}`], { encoding: 'utf8' });
  assert.deepEqual(echoed.split('\n').slice(0, -1), args);
});
