/**
 * Where a job queue lives: a `redis://[user:password@]host:port[/db]` URL (`rediss://` for
 * TLS), its password taken from the URL or from `AFFINITY_QUEUE_PASSWORD`, and the redacted
 * form that every message, log line and recorded command shows instead of the URL itself.
 */
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';

/**
 * The environment variable a password may come from, so that it is not on the command line
 * (where `ps`, shell history and recorded commands would show it).
 */
export const QUEUE_PASSWORD_ENV = 'AFFINITY_QUEUE_PASSWORD';

/** Redis' standard port, for URLs that name none. */
export const DEFAULT_REDIS_PORT = 6379;

/** The queue every command uses when no `--queue-name` is given. */
export const DEFAULT_QUEUE_NAME = 'runs';

/**
 * The prefix of every Redis key this project's queues make (`affinity:<queue name>:...`):
 * on a Redis shared with other BullMQ users (whose default prefix is `bull`) nothing mixes.
 */
export const QUEUE_KEY_PREFIX = 'affinity';

/** A parsed queue URL. */
export interface QueueAddress {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** Redis database number (the URL's path). */
  db: number;
  /** ACL user name, when the URL names one. */
  username?: string;
  /** Password, from the URL or `AFFINITY_QUEUE_PASSWORD`. Never printed: see `redacted`. */
  password?: string;
  /** `rediss://`: connect over TLS. */
  tls: boolean;
  /** The URL with `***` for the password (`redis://alice:***@host:6379/0`): the only form shown anywhere. */
  redacted: string;
}

// `scheme://userinfo@`: the part of a URL that can hold a password; and a password as a query option.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^@/\s]*)@/gi;
const QUERY_PASSWORD = /([?&](?:password|pass|pwd|auth)=)[^&#\s]*/gi;

/**
 * `text` with the password of every URL in it replaced by `***` (`redis://u:***@h`); userinfo
 * without a colon, which may be a password written in the user's place, is hidden whole. For
 * text that may hold a URL that did not parse: a command line, an error message. A
 * `?password=` option is hidden too.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(USERINFO, (_, scheme: string, info: string) => {
      const colon = info.indexOf(':');
      return colon < 0 ? `${scheme}***@` : `${scheme}${info.slice(0, colon)}:***@`;
    })
    .replace(QUERY_PASSWORD, '$1***');
}

/**
 * Parses a queue URL. The password comes from the URL when it has one, else from
 * `env.AFFINITY_QUEUE_PASSWORD` when that is set and not empty.
 *
 * @throws AffinityConfigError naming the URL (redacted) and what is wrong with it.
 */
export function parseQueueUrl(url: string, env: NodeJS.ProcessEnv = process.env): QueueAddress {
  const shown = redactCredentials(url);
  const fail = (what: string): never => {
    throw new AffinityConfigError(`queue URL ${shown}: ${what}; expected redis://[user:password@]host[:port][/db] or rediss://... for TLS`);
  };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('not a URL');
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'redis' && scheme !== 'rediss') fail(`the scheme must be redis or rediss, got ${scheme}`);
  if (parsed.hostname === '') fail('no host');
  if (parsed.search !== '' || parsed.hash !== '') fail('options after ? or # are not read');
  // `redis://secret@host` is a user name to URL parsers but often a password to the person who
  // wrote it: refuse it rather than print it as a user name.
  const userinfo = /^[a-z]+:\/\/([^@/]*)@/i.exec(url)?.[1];
  if (userinfo !== undefined && !userinfo.includes(':')) {
    fail(`give the password after a colon (redis://:PASSWORD@host, redis://USER:PASSWORD@host), or a user alone as redis://USER:@host with the password in ${QUEUE_PASSWORD_ENV}`);
  }
  const port = parsed.port === '' ? DEFAULT_REDIS_PORT : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d{1,5}$/.test(path)) fail(`the path must be a database number, got /${path}`);
  const db = path === '' ? 0 : Number(path);
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const fromUrl = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  const fromEnv = env[QUEUE_PASSWORD_ENV] === '' ? undefined : env[QUEUE_PASSWORD_ENV];
  const password = fromUrl ?? fromEnv;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = username === undefined ? (password === undefined ? '' : ':***@') : `${encodeURIComponent(username)}${password === undefined ? '' : ':***'}@`;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    db,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls: scheme === 'rediss',
    redacted: `${scheme}://${user}${hostPart}:${port}/${db}`,
  };
}

/**
 * Checks a queue name (`--queue-name`): letters, digits, `.`, `_` and `-`, at most 64, as it
 * becomes part of Redis keys (`affinity:<name>:wait`), where a `:` would read as another level.
 *
 * @throws AffinityConfigError naming the bad name.
 */
export function requireQueueName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new AffinityConfigError(`queue name ${JSON.stringify(name)}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return name;
}
