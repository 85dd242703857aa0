/** `affinity` commands as child processes whose output a test can wait on; any left running are killed after the tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';

const CLI = ['--import', 'tsx', 'packages/affinity-loss-cli/src/cli/main.ts'];
const running = new Set<ChildProcess>();
after(() => {
  for (const child of running) child.kill('SIGKILL');
});

/** A running `affinity` command. */
export class CliProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved as they came. */
  output = '';
  /** Exit code (null when killed by a signal) once it has ended. */
  readonly exited: Promise<number | null>;
  private readonly started = Date.now();

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(this.child);
    const append = (chunk: Buffer) => (this.output += chunk.toString());
    this.child.stdout!.on('data', append);
    this.child.stderr!.on('data', append);
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        running.delete(this.child);
        resolve(code);
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Seconds since it started. */
  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  /** Waits until the output matches `pattern` (fails if it ends first, or after `timeoutMs`). */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs;
    let ended = false;
    void this.exited.then(() => (ended = true));
    for (;;) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (ended) throw new Error(`the command ended without printing ${pattern}:\n${this.output}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Waits for the exit code; fails after `timeoutMs`, with the output. */
  async exit(timeoutMs = 120_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not end within ${timeoutMs / 1000} s:\n${this.output}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Polls `check` every 100 ms until it holds. */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
