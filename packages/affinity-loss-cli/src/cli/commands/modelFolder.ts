/**
 * The folder `affinity train` writes and `affinity eval` reads:
 *
 *     DIR/model/model.json, weights.bin   the best-on-validation model (tfjs layers format)
 *     DIR/metrics.json                     last- and best-epoch test metrics, per-epoch history
 *     DIR/confusion.csv                    the best model's confusion matrix
 *     DIR/config.json                      the resolved config, written last
 *
 * config.json is written last and removed first when a run is redone, so a folder holding one
 * is a finished run whose model and metrics belong to that config.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { AffinityConfigError, ModelFileError } from 'affinity-loss/internal/errors.js';
import { configDifferences, recordsConfig, type DivergenceNote, type ExperimentConfig } from '../../bench/experiment.js';
import { upgradeConfigFields } from '../../bench/settings.js';
import type { PriorCorrectionRecord } from '../../bench/results.js';
import { csvField } from '../../report/csv.js';
import { percent as percentOf } from '../../report/tables.js';
import type { ClassificationReport } from 'affinity-loss/internal/train/report.js';
import type { EpochAffinityDiagnostics } from 'affinity-loss/internal/train/affinityMonitor.js';
import type { EpochLog } from 'affinity-loss/internal/train/trainer.js';

/** The affinity-loss version, recorded in every run's config.json. */
export const LIBRARY_VERSION: string = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

/** Subfolder holding model.json and weights.bin. */
export const MODEL_FOLDER = 'model';
/** The run's config; its presence marks a finished run. */
export const CONFIG_FILE = 'config.json';
/** Test metrics and training history. */
export const METRICS_FILE = 'metrics.json';
/** The best model's confusion matrix. */
export const CONFUSION_FILE = 'confusion.csv';
/** The SHA-256 (hex) of a file's bytes: what config.json records of the weights. */
export async function sha256OfFile(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

// What a run folder may hold; anything else means DIR is not (only) a run folder.
const RUN_ENTRIES = new Set([MODEL_FOLDER, CONFIG_FILE, METRICS_FILE, CONFUSION_FILE]);
// writeFileAtomic's temporary files (`metrics.json.tmp-<pid>`) left by a killed run.
const TEMPORARY = /\.tmp-\d+$/;

/** What config.json holds: the experiment and what eval needs to read the model's data. */
export interface RunFolderConfig {
  /** affinity-loss version that trained the model. */
  version: string;
  /** tfjs backend it trained on. */
  backend: string;
  /** The experiment, every default filled in; two runs with equal configs train the same model. */
  config: ExperimentConfig;
  /** Class names in class-id order (the model's output columns). */
  classNames: string[];
  /** Shape of one model input: flat for the MLP, the image shape for the CNNs. */
  inputShape: number[];
  /** Training rows per class after the recipe (the shot groups of the metrics use them). */
  trainCounts: number[];
  /** Classes the recipe made rare (fewer training rows than half the largest class). */
  minorityClasses: number[];
  /** The head's settings as built (sigma, margin, prototypes, ...). */
  headSettings: Record<string, number | boolean | string>;
  /**
   * SHA-256 of model/weights.bin as written: eval refuses weights that differ (damaged,
   * truncated, replaced). Absent in folders written before it was recorded.
   */
  weightsSha256?: string;
}

/** What metrics.json holds. */
export interface RunMetrics {
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  /** How `bestEpoch` was chosen. */
  selection: string;
  /** Test metrics of the last-epoch model (absent when training diverged: see `diverged`). */
  last?: ClassificationReport;
  /** Test metrics of the kept (best-on-validation) model. */
  best: ClassificationReport;
  /** Per-epoch training log. */
  history: EpochLog[];
  /** Wall-clock seconds of loading, training and scoring. */
  seconds: number;
  /** tfjs backend it trained on. */
  backend: string;
  /** Threads that trained it (data-parallel). */
  workers: number;
  /** Affinity heads: the head's state after every epoch (distances against sigma, vanished affinities). */
  affinityDiagnostics?: EpochAffinityDiagnostics[];
  /** Affinity heads: the prior correction tau of the last and the kept model (the saved model holds the kept one's). */
  priorCorrection?: PriorCorrectionRecord;
  /**
   * Present when training diverged: what happened and where. The saved model is then the best
   * epoch on validation among those before the divergence (`bestEpoch`).
   */
  diverged?: DivergenceNote;
}

async function entriesOf(dir: string): Promise<string[] | undefined> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new AffinityConfigError(`--out ${dir} exists and is not a folder`);
    return await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Reads DIR/config.json.
 *
 * @returns undefined when the file does not exist.
 * @throws ModelFileError when it is not JSON or lacks the fields a run folder has.
 */
export async function readRunConfig(dir: string): Promise<RunFolderConfig | undefined> {
  const path = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ModelFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: Partial<RunFolderConfig>;
  try {
    parsed = JSON.parse(text) as Partial<RunFolderConfig>;
  } catch (error) {
    throw new ModelFileError(`${path} is not valid JSON (truncated?): ${(error as Error).message}`);
  }
  const missing = (['config', 'classNames', 'inputShape', 'trainCounts'] as const).filter((key) => parsed?.[key] === undefined);
  if (parsed === null || typeof parsed !== 'object' || missing.length > 0) {
    throw new ModelFileError(`${path} is not the config of an \`affinity train\` run (missing ${missing.join(', ') || 'everything'})`);
  }
  return { ...parsed, config: upgradeConfigFields(parsed.config as unknown as Record<string, unknown>) } as unknown as RunFolderConfig;
}

/**
 * Checks that `affinity train` may write its run into `dir`: the folder is absent or empty,
 * holds an unfinished run, or a finished run of the same config (retrained and overwritten).
 * Nothing is written here, so a refused run leaves the folder as it was.
 *
 * @param force overwrite a run of another config, and write beside other files.
 * @throws AffinityConfigError naming the fields that differ, or the files that are not a run's.
 */
export async function checkRunFolder(dir: string, config: ExperimentConfig, force: boolean): Promise<void> {
  const entries = await entriesOf(dir);
  if (entries === undefined || force) return;
  const foreign = entries.filter((name) => !RUN_ENTRIES.has(name) && !TEMPORARY.test(name));
  if (foreign.length > 0) {
    throw new AffinityConfigError(
      `--out ${dir} holds files that are not a run's (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); ` +
        'use another output folder, or --force to write there anyway',
    );
  }
  const existing = await readRunConfig(dir);
  if (existing !== undefined && !recordsConfig(existing.config as unknown as Record<string, unknown>, config)) {
    throw new AffinityConfigError(
      `${join(dir, CONFIG_FILE)} holds a run of a different config (${configDifferences(existing.config, config)}); ` +
        'use another output folder, or --force to overwrite it',
    );
  }
}

/**
 * Reads the config of a finished run for `affinity eval`.
 *
 * @throws ModelFileError when the folder or its config.json is missing or malformed.
 */
export async function requireRunFolder(dir: string): Promise<RunFolderConfig> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(dir)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelFileError(`no model folder ${dir}: give --model the --out folder of an \`affinity train\` run`);
    }
    throw new ModelFileError(`cannot read ${dir}: ${(error as Error).message}`);
  }
  if (!isFolder) throw new ModelFileError(`--model ${dir} is a file; give the folder \`affinity train --out\` wrote`);
  const run = await readRunConfig(dir);
  if (run === undefined) {
    throw new ModelFileError(`${dir} has no ${CONFIG_FILE}: not a finished \`affinity train\` run (interrupted, or not a run folder)`);
  }
  return run;
}

/** Quotes a CSV cell when it holds a comma, a quote or a line break. */

/**
 * A confusion matrix as CSV: a header row of predicted class names, then one row per true
 * class led by its name. The corner cell says which way the axes go.
 */
export function confusionCsv(classNames: readonly string[], confusion: readonly (readonly number[])[]): string {
  const header = ['true \\ predicted', ...classNames].map(csvField).join(',');
  const rows = confusion.map((row, id) => [csvField(classNames[id] ?? String(id)), ...row.map(String)].join(','));
  return `${[header, ...rows].join('\n')}\n`;
}

/** Mean recall over the given classes, or undefined when there are none. */
export function meanRecall(report: ClassificationReport, classes: readonly number[]): number | undefined {
  if (classes.length === 0) return undefined;
  return classes.reduce((sum, id) => sum + report.perClassRecall[id], 0) / classes.length;
}

/** `97.31` for 0.97312: metrics printed as percentages with two decimals. */
export function percent(value: number | undefined): string {
  return value === undefined || Number.isNaN(value) ? '-' : percentOf(value);
}
