/**
 * Reads the run records a bench left in `<outDir>/runs/`, checking each one's shape so a
 * truncated or hand-edited file fails with its name and the bad field, not as a NaN in a
 * table three steps later.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from 'affinity-loss/internal/errors.js';
import type { RunRecord, RunResult } from '../bench/results.js';
import { upgradeConfigFields } from '../bench/settings.js';

/** Folder under a bench's output folder that holds one JSON file per finished run. */
export const RUNS_FOLDER = 'runs';

type Json = Record<string, unknown>;

/** Checks one JSON value's fields, naming the file and the dotted path of the first bad one. */
class ShapeChecker {
  constructor(private readonly file: string) {}

  fail(path: string, expected: string, value: unknown): never {
    const got = value === undefined ? 'nothing' : Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    throw new DatasetFormatError(`${this.file}: "${path}" must be ${expected}, got ${got}; not a run result of affinity bench`);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'an object', value);
    return value as Json;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, 'an array', value);
    return value;
  }

  string(value: unknown, path: string): void {
    if (typeof value !== 'string') this.fail(path, 'a string', value);
  }

  number(value: unknown, path: string): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, 'a finite number', value);
  }

  /**
   * A metric value: a number, or null, which is how JSON.stringify writes NaN (a shot group
   * without test samples); null is turned back into NaN in place so the type holds.
   */
  metric(holder: Json | unknown[], key: string | number, path: string): void {
    const value = (holder as Record<string | number, unknown>)[key];
    if (value === null) (holder as Record<string | number, unknown>)[key] = NaN;
    else if (typeof value !== 'number') this.fail(path, 'a number or null', value);
  }

  metrics(value: unknown, path: string): void {
    const list = this.array(value, path);
    list.forEach((_, i) => this.metric(list, i, `${path}[${i}]`));
  }

  integers(value: unknown, path: string): void {
    this.array(value, path).forEach((item, i) => {
      if (!Number.isInteger(item)) this.fail(`${path}[${i}]`, 'an integer', item);
    });
  }

  point(value: unknown, path: string): void {
    const pair = this.array(value, path);
    if (pair.length !== 2) this.fail(path, 'an [x, y] pair', value);
    pair.forEach((_, i) => this.metric(pair, i, `${path}[${i}]`));
  }

  report(value: unknown, path: string): void {
    const report = this.object(value, path);
    this.number(report.samples, `${path}.samples`);
    for (const key of ['accuracy', 'macroF1', 'balancedAccuracy', 'gMean']) this.metric(report, key, `${path}.${key}`);
    for (const key of ['perClassRecall', 'perClassPrecision', 'perClassF1']) this.metrics(report[key], `${path}.${key}`);
    this.array(report.confusion, `${path}.confusion`);
    if (report.shotGroups !== undefined) {
      const groups = this.object(report.shotGroups, `${path}.shotGroups`);
      for (const key of ['many', 'medium', 'few']) {
        this.metric(this.object(groups[key], `${path}.shotGroups.${key}`), 'accuracy', `${path}.shotGroups.${key}.accuracy`);
      }
    }
  }

  verification(value: unknown, path: string): void {
    const scores = this.object(value, path);
    for (const split of ['seen', 'unseen']) {
      const pairs = this.object(scores[split], `${path}.${split}`);
      this.metric(pairs, 'rocAuc', `${path}.${split}.rocAuc`);
      this.metric(pairs, 'equalErrorRate', `${path}.${split}.equalErrorRate`);
    }
  }

  features(value: unknown, path: string): void {
    const snapshot = this.object(value, path);
    const points = this.array(snapshot.points, `${path}.points`);
    points.forEach((point, i) => this.point(point, `${path}.points[${i}]`));
    this.integers(snapshot.labels, `${path}.labels`);
    if ((snapshot.labels as unknown[]).length !== points.length) {
      this.fail(`${path}.labels`, `an array of ${points.length} labels (one per point)`, snapshot.labels);
    }
    this.array(snapshot.classMeans, `${path}.classMeans`).forEach((point, i) => this.point(point, `${path}.classMeans[${i}]`));
    this.integers(snapshot.minorityClasses, `${path}.minorityClasses`);
    if (snapshot.anchors !== undefined) {
      this.array(snapshot.anchors, `${path}.anchors`).forEach((anchor, i) => {
        const entry = this.object(anchor, `${path}.anchors[${i}]`);
        this.number(entry.class, `${path}.anchors[${i}].class`);
        this.point(entry.point, `${path}.anchors[${i}].point`);
      });
    }
  }
}

/** A run record as an earlier version may have written it, with today's field names (`loss` -> `method`, in its config too). */
function upgradeRecordFields(run: Record<string, unknown>): Record<string, unknown> {
  const { loss, config, ...rest } = run;
  return {
    ...rest,
    ...(loss === undefined || 'method' in rest ? {} : { method: loss }),
    config: typeof config === 'object' && config !== null ? upgradeConfigFields(config as Record<string, unknown>) : config,
  };
}

/**
 * Parses and checks one run record of a bench or a search.
 *
 * @param text the file's contents.
 * @param file the file's path, named in every error.
 * @throws DatasetFormatError when the text is not JSON or a required field is missing or of the wrong type.
 */
export function parseRunRecord(text: string, file: string): RunRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DatasetFormatError(`${file}: not valid JSON (${(error as Error).message}); a run file cut short by a crash can be deleted and rerun`);
  }
  const check = new ShapeChecker(file);
  const run = upgradeRecordFields(check.object(value, '(root)'));
  for (const key of ['id', 'protocol', 'setting', 'method', 'backend']) check.string(run[key], key);
  for (const key of ['settingOrder', 'seed', 'bestEpoch', 'seconds']) check.number(run[key], key);
  check.object(run.config, 'config');
  check.array(run.history, 'history');
  if (run.last !== undefined || run.best !== undefined) {
    check.report(run.last, 'last');
    check.report(run.best, 'best');
  }
  check.integers(run.minorityClasses, 'minorityClasses');
  check.array(run.classNames, 'classNames').forEach((name, i) => check.string(name, `classNames[${i}]`));
  if (run.command !== undefined) check.string(run.command, 'command');
  if (run.verification !== undefined) check.verification(run.verification, 'verification');
  if (run.features !== undefined) check.features(run.features, 'features');
  return run as unknown as RunRecord;
}

/**
 * Parses and checks the record of a run scored on the test split (a bench run).
 *
 * @throws DatasetFormatError as `parseRunRecord`, and when the test metrics are missing.
 */
export function parseRunResult(text: string, file: string): RunResult {
  const run = parseRunRecord(text, file);
  if (run.last === undefined) {
    throw new DatasetFormatError(`${file}: "last" must be an object, got nothing; a search trial (affinity tune) has no test metrics to report`);
  }
  return run as RunResult;
}

/**
 * Reads every run record in `<outDir>/runs/*.json`, in file-name order. Files with `.tmp`
 * in their name are skipped: they are writes still in flight (or left by a crash).
 *
 * @param outDir the bench's output folder (the one holding `runs/`).
 * @throws DatasetNotFoundError when `<outDir>/runs` does not exist.
 * @throws DatasetFormatError naming the file when one is not valid JSON or not a run record.
 */
export async function readRunResults(outDir: string): Promise<RunResult[]> {
  const folder = join(outDir, RUNS_FOLDER);
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetNotFoundError(`no run results in ${outDir}: the folder ${folder} does not exist; run \`affinity bench\` with this output folder first`);
    }
    throw error;
  }
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json') && !entry.name.includes('.tmp'))
    .map((entry) => entry.name)
    .sort();
  const runs: RunResult[] = [];
  for (const name of files) {
    const file = join(folder, name);
    runs.push(parseRunResult(await readFile(file, 'utf8'), file));
  }
  return runs;
}
