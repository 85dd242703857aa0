/**
 * Progress of work made of many runs (`affinity bench`, `affinity tune`) on stderr: a bar of
 * finished runs with an ETA on a terminal, and one line per finished run (in a log file, the
 * lines alone).
 */
import { MultiBar, Presets } from 'cli-progress';
import type { PoolEvent } from '../node/bench/pool.js';
import type { RunRecord } from '../node/bench/results.js';
import { percent } from '../node/report/tables.js';

/** One line per finished run, e.g. `[3/18] k=10 affinity seed 1: macro-F1 97.31 (best epoch 8 on validation: 97.52), 41 s`. */
export function runLine(run: RunRecord, done: number, toRun: number): string {
  if (run.last === undefined || run.best === undefined) return `[${done}/${toRun}] ${run.id}, ${Math.round(run.seconds)} s`;
  return `[${done}/${toRun}] ${run.setting} ${run.loss} seed ${run.seed}: macro-F1 ${percent(run.last.macroF1)} last epoch, ` +
    `${percent(run.best.macroF1)} at epoch ${run.bestEpoch} (chosen on validation), ${Math.round(run.seconds)} s`;
}

/**
 * A bar of finished runs with an ETA on a terminal; one line per run otherwise.
 *
 * @param line the line of a finished run (tune prints validation scores only, never test ones).
 */
export function runsProgress(quiet: boolean, line: (run: RunRecord, done: number, toRun: number) => string = runLine): { onEvent: (event: PoolEvent) => void; stop: () => void } {
  // Quiet hides progress, not warnings.
  if (quiet) return { onEvent: (event) => void (event.type === 'warning' && console.error(`warning: ${event.message}`)), stop: () => {} };
  const tty = process.stderr.isTTY === true;
  const bars = tty ? new MultiBar({ format: 'runs {bar} {value}/{total} | ETA {eta_formatted}', hideCursor: true }, Presets.shades_classic) : undefined;
  let bar: ReturnType<MultiBar['create']> | undefined;
  const log = (line: string) => (bars ? bars.log(`${line}\n`) : console.error(line));
  return {
    onEvent(event) {
      if (event.type === 'planned') {
        log(`${event.total} run${event.total === 1 ? '' : 's'} planned: ${event.skipped} already done, ${event.toRun} to train on ${event.workers} worker${event.workers === 1 ? '' : 's'}.`);
        if (bars && event.toRun > 0) bar = bars.create(event.toRun, 0);
      } else if (event.type === 'finished') {
        log(line(event.run, event.done, event.toRun));
        for (const warning of event.run.warnings ?? []) log(`  warning: ${warning}`);
        bar?.increment();
      } else if (event.type === 'warning') {
        log(`warning: ${event.message}`);
      } else {
        log(`[${event.done}/${event.toRun}] ${event.plan.id} FAILED: ${event.error.message}`);
        bar?.increment();
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
