/**
 * A real redis-server (Debian's, /usr/bin/redis-server) per test file, on a free port of the
 * loopback address only, without persistence, stopped after the tests. Never a fixed port, never
 * another address.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after } from 'node:test';

/** A running server. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` (no password: tests add it where they mean to). */
  url: string;
  port: number;
  /** The password it requires, if any. */
  password?: string;
  /** The server's process (tests stop it to make it unreachable). */
  process: ChildProcess;
  /** Stops it (again: no-op). */
  stop(): Promise<void>;
}

/** A port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function startOnce(password: string | undefined): Promise<RedisServer> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'];
  if (password !== undefined) args.push('--requirepass', password);
  const child = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start /usr/bin/redis-server (apt-get install redis-server): ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  await ready;
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    ...(password === undefined ? {} : { password }),
    process: child,
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      })()),
  };
}

/**
 * Starts a redis-server on a free loopback port; the caller stops it. The port is chosen free
 * just before the start; should another process take it in between, a new one is tried.
 */
export async function launchRedisServer(options: { password?: string } = {}): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(options.password);
    } catch (error) {
      lastError = error;
      if (!/Address already in use/.test(String(error))) break;
    }
  }
  throw lastError;
}

/** Starts a redis-server for this test file (see `launchRedisServer`) and stops it after its tests. */
export async function startRedisServer(options: { password?: string } = {}): Promise<RedisServer> {
  const server = await launchRedisServer(options);
  after(() => server.stop());
  return server;
}
