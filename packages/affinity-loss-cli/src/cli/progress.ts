/**
 * Progress of work made of many runs (`affinity bench`, `affinity tune`) on stderr: a bar of
 * finished runs with an ETA on a terminal, and one line per finished run (in a log file, the
 * lines alone); through a queue also the runs training now, on which worker, and the failed.
 */
import { MultiBar, Presets } from 'cli-progress';
import type { PoolEvent } from '../bench/pool.js';
import type { RunRecord } from '../bench/results.js';
import { percent } from '../report/tables.js';

/** One line per finished run, e.g. `[3/18] k=10 affinity seed 1: macro-F1 97.31 (best epoch 8 on validation: 97.52), 41 s`. */
export function runLine(run: RunRecord, done: number, toRun: number): string {
  if (run.last === undefined || run.best === undefined) return `[${done}/${toRun}] ${run.id}, ${Math.round(run.seconds)} s`;
  return `[${done}/${toRun}] ${run.setting} ${run.method} seed ${run.seed}: macro-F1 ${percent(run.last.macroF1)} last epoch, ` +
    `${percent(run.best.macroF1)} at epoch ${run.bestEpoch} (chosen on validation), ${Math.round(run.seconds)} s`;
}

/** `2 running on a:12, b:40` (names listed up to three workers), for the bar. */
function runningText(running: ReadonlyMap<string, string>): string {
  if (running.size === 0) return '';
  const workers = [...new Set(running.values())];
  const where = workers.length <= 3 ? ` on ${workers.join(', ')}` : ` on ${workers.length} workers`;
  return ` | ${running.size} running${where}`;
}

/**
 * A bar of finished runs with an ETA on a terminal (with the runs training now and where, and
 * the failed ones, when the runs train through a queue); one line per event otherwise.
 *
 * @param line the line of a finished run (tune prints validation scores only, never test ones).
 */
export function runsProgress(quiet: boolean, line: (run: RunRecord, done: number, toRun: number) => string = runLine): { onEvent: (event: PoolEvent) => void; stop: () => void } {
  // Quiet hides progress, not warnings.
  if (quiet) return { onEvent: (event) => void (event.type === 'warning' && console.error(`warning: ${event.message}`)), stop: () => {} };
  const tty = process.stderr.isTTY === true;
  const bars = tty ? new MultiBar({ format: 'runs {bar} {value}/{total}{details} | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : undefined;
  let bar: ReturnType<MultiBar['create']> | undefined;
  const running = new Map<string, string>();
  let failed = 0;
  const details = () => ({ details: runningText(running) + (failed > 0 ? ` | ${failed} failed` : '') });
  const log = (line: string) => (bars ? bars.log(`${line}\n`) : console.error(line));
  return {
    onEvent(event) {
      if (event.type === 'planned') {
        log(`${event.total} run${event.total === 1 ? '' : 's'} planned: ${event.skipped} already done, ${event.toRun} to train on ${event.where}.`);
        if (bars && event.toRun > 0) bar = bars.create(event.toRun, 0, details());
      } else if (event.type === 'started') {
        running.set(event.plan.id, event.where);
        log(`  started ${event.plan.id} on ${event.where}`);
        bar?.update(details());
      } else if (event.type === 'finished') {
        running.delete(event.run.id);
        log(line(event.run, event.done, event.toRun));
        for (const warning of event.run.warnings ?? []) log(`  warning: ${warning}`);
        bar?.increment(details());
      } else if (event.type === 'failed') {
        running.delete(event.plan.id);
        failed++;
        log(`[${event.done}/${event.toRun}] ${event.plan.id} FAILED: ${event.error.message}`);
        bar?.increment(details());
      } else if (event.type === 'note') {
        log(event.message);
      } else {
        log(`warning: ${event.message}`);
      }
    },
    stop: () => bars?.stop(),
  };
}

/** Prints each failed run and sets exit code 1: the finished runs were kept, but the work is incomplete. */
export function reportFailures(failed: readonly { plan: { id: string }; error: Error }[], what: 'run' | 'trial'): void {
  if (failed.length === 0) return;
  for (const { plan, error } of failed) console.error(`affinity: ${what} ${plan.id} failed: ${error.message}`);
  process.exitCode = 1;
}
