/**
 * Connections to the queue's Redis: the options every queue, worker and event listener of this
 * project connects with, and a first check that fails within seconds, naming the server (never
 * its password) and whether it was unreachable or refused the credentials. BullMQ talks to Redis
 * through `ioredis`, which it loads itself.
 */
import { Queue } from 'bullmq';
import type { RedisOptions } from 'bullmq';
import { AffinityLossError } from 'affinity-loss/internal/errors.js';
import { QUEUE_KEY_PREFIX, QUEUE_PASSWORD_ENV, redactCredentials, type QueueAddress } from './url.js';

/**
 * The job queue's server (Redis) cannot be used: unreachable, refusing the credentials, or not
 * answering in time. Names the server's URL without its password and says which it was.
 */
export class QueueConnectionError extends AffinityLossError {
  /** 'unreachable' (nothing answers there), 'auth' (the password or user was refused), 'other'. */
  readonly reason: 'unreachable' | 'auth' | 'other';

  constructor(message: string, reason: 'unreachable' | 'auth' | 'other') {
    super(message);
    this.reason = reason;
  }
}

/** How long the first check waits for the server: a missing server answers at once, a silent one costs this. */
export const CONNECT_TIMEOUT_MS = 5000;

/**
 * The ioredis options of every long-lived connection. `maxRetriesPerRequest: null` is what BullMQ
 * workers need (a blocking wait for the next job must not fail after a few retries); after an
 * outage, reconnections back off to one every 5 s, so a restarted Redis is found again.
 */
export function redisOptions(address: QueueAddress): RedisOptions {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username === undefined ? {} : { username: address.username }),
    ...(address.password === undefined ? {} : { password: address.password }),
    ...(address.tls ? { tls: { servername: address.host } } : {}),
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(250 * times, 5000),
  };
}

/** The options of a BullMQ queue, worker or event listener on `queueName` at `address`. */
export function queueOptions(address: QueueAddress): { connection: RedisOptions; prefix: string } {
  return { connection: redisOptions(address), prefix: QUEUE_KEY_PREFIX };
}

/** What a failed first connection means, from the error the driver gave. */
export function connectionFailure(address: QueueAddress, error: unknown): QueueConnectionError {
  const raw = error instanceof Error ? error.message : String(error);
  // A server's reply, first line only; the driver's own messages name host and port, never a password.
  const detail = redactCredentials(raw.split('\n')[0]);
  if (/NOAUTH/i.test(raw) && address.password === undefined) {
    return new QueueConnectionError(`the queue server ${address.redacted} asks for a password and none was given; set ${QUEUE_PASSWORD_ENV}, or give it in the URL (redis://:PASSWORD@host)`, 'auth');
  }
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password|AUTH.*(failed|without any password)/i.test(raw)) {
    return new QueueConnectionError(
      `the queue server ${address.redacted} refused the credentials (${detail}); ` +
        `check the password in ${QUEUE_PASSWORD_ENV} or in the URL, and the user name`,
      'auth',
    );
  }
  if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ECONNRESET|timed? ?out|Connection is closed/i.test(raw)) {
    return new QueueConnectionError(
      `cannot reach the queue server ${address.redacted} (${detail}); is redis-server running there and listening on that address and port?`,
      'unreachable',
    );
  }
  return new QueueConnectionError(`the queue server ${address.redacted} cannot be used: ${detail}`, 'other');
}

/**
 * Connects once without retrying and reads the server's info: a server that is down or refuses
 * the credentials fails here within `timeoutMs`, before anything is planned or enqueued.
 *
 * @throws QueueConnectionError naming the redacted URL and the reason.
 */
export async function checkQueueServer(address: QueueAddress, queueName: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const probe = new Queue(queueName, {
    prefix: QUEUE_KEY_PREFIX,
    connection: { ...redisOptions(address), connectTimeout: timeoutMs, retryStrategy: () => null, maxRetriesPerRequest: 1, enableOfflineQueue: false },
  });
  let failure: unknown;
  // The driver reports a refused connection as an event too; the awaited promise below carries it.
  probe.on('error', (error: unknown) => (failure ??= error));
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s (timed out)`)), timeoutMs);
    });
    await Promise.race([
      (async () => {
        await probe.waitUntilReady();
        // One real command: a server that takes the connection but refuses commands fails here.
        await probe.getWaitingCount();
      })(),
      timeout,
    ]);
  } catch (error) {
    throw connectionFailure(address, failure ?? error);
  } finally {
    clearTimeout(timer);
    await probe.disconnect().catch(() => {});
  }
}
