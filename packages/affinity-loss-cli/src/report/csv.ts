/**
 * results.csv: one row per run with every scalar metric, for spreadsheets and pandas. The
 * columns are the same for every protocol (empty where a run lacks a metric), so files of
 * different benches concatenate.
 */
import type { RunResult } from '../bench/results.js';
import {
  CLASSIFICATION_METRICS,
  VERIFICATION_METRICS,
  CLUSTER_METRICS,
  clusterScalars,
  classificationScalars,
  verificationScalars,
  type ModelSelection,
} from './aggregate.js';

/** A cell value; null and undefined (and NaN) print as an empty cell. */
export type CsvValue = string | number | null | undefined;

/**
 * One CSV field, RFC 4180 style: quoted when it holds a comma, a quote, a line break or
 * edge whitespace (which some readers trim), with inner quotes doubled.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (no line terminator). */
export function csvLine(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',');
}

const SELECTIONS: ModelSelection[] = ['last', 'best'];

/** Column names of `renderCsv` for runs with at most `classes` classes. */
export function csvColumns(classes: number): string[] {
  return [
    'id',
    'protocol',
    'setting',
    'settingOrder',
    'method',
    'seed',
    'bestEpoch',
    'seconds',
    'backend',
    ...SELECTIONS.flatMap((selection) => [
      `${selection}_samples`,
      ...CLASSIFICATION_METRICS.map((metric) => `${selection}_${metric}`),
    ]),
    ...VERIFICATION_METRICS.map((metric) => `last_${metric}`),
    ...CLUSTER_METRICS.map((metric) => `last_${metric}`),
    ...Array.from({ length: classes }, (_, j) => `recall_${j}`),
  ];
}

/**
 * The whole results.csv: a header and one row per run, metrics as fractions at full
 * precision. `recall_j` is the last-epoch recall of class j; runs with fewer classes than the
 * widest leave the extra columns empty.
 */
export function renderCsv(runs: readonly RunResult[]): string {
  const classes = Math.max(0, ...runs.map((run) => run.last.perClassRecall.length));
  const lines = [csvLine(csvColumns(classes))];
  for (const run of runs) {
    const metrics = SELECTIONS.flatMap((selection) => {
      const scalars = classificationScalars(run[selection], run.minorityClasses);
      return [run[selection].samples, ...CLASSIFICATION_METRICS.map((metric) => scalars[metric])];
    });
    const verification = verificationScalars(run);
    const clusters = clusterScalars(run);
    lines.push(csvLine([
      run.id,
      run.protocol,
      run.setting,
      run.settingOrder,
      run.method,
      run.seed,
      run.bestEpoch,
      run.seconds,
      run.backend,
      ...metrics,
      ...VERIFICATION_METRICS.map((metric) => verification[metric]),
      ...CLUSTER_METRICS.map((metric) => clusters[metric]),
      ...Array.from({ length: classes }, (_, j) => run.last.perClassRecall[j]),
    ]));
  }
  return `${lines.join('\n')}\n`;
}
