/**
 * Writes a bench's whole report into its output folder: results.json, results.csv,
 * results.md, report.html and plots/*.svg + *.png. Every file goes through a temporary
 * file and a rename, so an interrupted report never leaves a half-written file behind.
 */
import { join } from 'node:path';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import type { RunResult } from '../bench/results.js';
import { aggregateRuns } from './aggregate.js';
import { writeFileAtomic } from 'affinity-loss-node/internal/io/atomicWrite.js';
import { createFolder } from 'affinity-loss-node/internal/io/folders.js';
import { renderCsv } from './csv.js';
import { renderHtml } from './html.js';
import { renderMarkdown, type ReportFailure } from './markdown.js';
import { buildPlots, renderPlots, type PngOptions } from './plots.js';
import type { ReferenceTable } from './tables.js';

// readRunResults is the other half of the report's file I/O; re-exported so callers find it here too.
export { readRunResults } from './read.js';

/** Options of `writeReport`. */
export interface WriteReportOptions {
  /** Report title (markdown heading, HTML title). */
  title: string;
  /**
   * The command line of this report (a bench's, or the one a rebuilt report keeps); it stands
   * for the runs whose files record none. The report lists every run's command.
   */
  command?: string;
  /** Published numbers (percent, keyed by setting) printed beside ours. */
  reference?: ReferenceTable;
  /** The bench protocol the report is about; the reference is printed in its section. */
  protocol: string;
  /**
   * Row order of the methods, as the user listed them; needed for runs read back with
   * `readRunResults`, which come in file-name order. Default: the order first seen in `runs`.
   */
  methodOrder?: readonly string[];
  /** PNG rendering options (fonts, scale). */
  png?: PngOptions;
  /**
   * Runs of this command that failed: listed in results.json, results.md and report.html (a
   * report rebuilt later from the run files alone cannot know them).
   */
  failures?: readonly ReportFailure[];
}

/** Sub-folder of the output folder that holds the figures. */
export const PLOTS_FOLDER = 'plots';

/**
 * The commands that made the runs, each once, in the order of the first run it made (a run
 * without one counts as made by `fallback`): a folder filled by several commands (one method with
 * tuned settings, the others with defaults) names them all.
 */
function runCommands(runs: readonly RunResult[], fallback: string | undefined): string[] {
  const commands = runs.map((run) => run.command ?? fallback).filter((command): command is string => command !== undefined);
  return [...new Set(commands)];
}

/**
 * Aggregates the runs and writes every report file into `outDir` (created if missing).
 *
 * @returns the paths written (joined onto `outDir`): results.json, results.csv, results.md,
 *   each plot's .svg and .png, then report.html.
 * @throws AffinityConfigError when `runs` is empty: there is nothing to report.
 */
export async function writeReport(outDir: string, runs: readonly RunResult[], options: WriteReportOptions): Promise<string[]> {
  if (runs.length === 0) {
    throw new AffinityConfigError(`writeReport: no runs to report for protocol ${options.protocol} in ${outDir}; finish at least one run first`);
  }
  const aggregates = aggregateRuns(runs, { methodOrder: options.methodOrder });
  // A reference for a protocol with no runs here would vanish; print it under every protocol instead.
  const referenceProtocol = aggregates.some((aggregate) => aggregate.protocol === options.protocol) ? options.protocol : undefined;
  const commands = runCommands(runs, options.command);
  const failures = options.failures ?? [];
  const text = { title: options.title, commands, reference: options.reference, referenceProtocol, failures };

  await createFolder(join(outDir, PLOTS_FOLDER), 'plots folder');
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array): Promise<void> => {
    written.push(await writeFileAtomic(join(outDir, name), data));
  };

  const json = { title: options.title, command: options.command, commands, protocol: options.protocol, aggregate: aggregates, runs, ...(failures.length > 0 ? { failed: failures } : {}) };
  await write('results.json', `${JSON.stringify(json, null, 2)}\n`);
  await write('results.csv', renderCsv(runs));
  await write('results.md', renderMarkdown(aggregates, text));
  const plots = await renderPlots(buildPlots(aggregates, runs), options.png);
  for (const plot of plots) {
    await write(join(PLOTS_FOLDER, `${plot.name}.svg`), plot.svg);
    await write(join(PLOTS_FOLDER, `${plot.name}.png`), plot.png);
  }
  await write('report.html', renderHtml(aggregates, plots, text));
  return written;
}
