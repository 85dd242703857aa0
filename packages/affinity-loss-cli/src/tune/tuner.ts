/**
 * `affinity tune`: a search over the affinity head's sigma, margin, prototypes and diversity
 * weight and the learning rate, scored on the validation split only (the best validation macro-F1 of a run's
 * epochs; the test split is never looked at), by random search or successive halving, through
 * the bench's worker pool (so trials run on every core, each is written as it finishes, and the
 * same command resumes). Writes the trials, a ranked table, and the best config, which
 * `affinity train --config` takes.
 */
import { join } from 'node:path';
import { deriveSeed, Rng } from 'affinity-loss/internal/data/rng.js';
import { SEED_STREAMS } from 'affinity-loss/internal/data/seedStreams.js';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { requireInteger, requireOneOf, requireSeed } from 'affinity-loss/internal/validate.js';
import { resolveExperimentConfig, type ExperimentConfig, type ExperimentInput } from '../bench/experiment.js';
import { runPlans, type RunPlansOptions } from '../bench/pool.js';
import type { RunRecord } from '../bench/results.js';
import type { PlannedRun } from '../bench/run.js';
import { writeFileAtomic } from 'affinity-loss-node/internal/io/atomicWrite.js';
import { checkWritableFolder } from 'affinity-loss-node/internal/io/folders.js';
import { csvLine } from '../report/csv.js';
import { RUNS_FOLDER } from '../report/read.js';
import { SEARCHED_FIELDS, sampleTrial, searchedSpace, type SearchSpace, type TrialValues } from './space.js';

/** Search strategies. */
export const TUNE_STRATEGIES = ['halving', 'random'] as const;

/** One of `TUNE_STRATEGIES`. */
export type TuneStrategy = (typeof TUNE_STRATEGIES)[number];

/** Options of `planTune` and `runTune`. */
export interface TuneOptions {
  /** The fixed part of every trial (dataset, recipe, method, epochs, ...); fields set here are not searched. */
  base: ExperimentInput;
  /** Configurations to draw (>= 1). */
  budget: number;
  /**
   * 'halving' (default): successive halving: every configuration trains a few epochs, the best
   * 1/eta train again from scratch with eta times more, up to the full epochs. 'random': every
   * configuration trains the full epochs.
   */
  strategy?: TuneStrategy;
  /** Halving's factor (>= 2). Default 3. */
  eta?: number;
  /** Seed of the draw of configurations (the trials themselves use the base seed). Default 1. */
  searchSeed?: number;
  /** The ranges (default `DEFAULT_SEARCH_SPACE`). */
  space?: SearchSpace;
}

/** Options of `runTune`. */
export interface RunTuneOptions extends TuneOptions, Omit<RunPlansOptions, 'runsDir'> {
  /** Output folder: runs/ (one file per trial), trials.csv, tune.md, best-config.json. */
  outDir: string;
  /** The command line, written into tune.md and best-config.json. */
  command?: string;
}

/** One scored trial. */
export interface TrialScore {
  /** Result file name without `.json`. */
  id: string;
  /** 0-based configuration number. */
  trial: number;
  /** 0-based halving round (0 for random search). */
  round: number;
  /** Epochs it trained. */
  epochs: number;
  /** The searched values. */
  values: TrialValues;
  /** Best validation macro-F1 over its epochs (the score). */
  validationMacroF1: number;
  /** 1-based epoch of that score. */
  bestEpoch: number;
}

/** What `runTune` did. */
export interface TuneSummary {
  /** Every finished trial, best first. */
  trials: TrialScore[];
  /** The best trial of the last round. */
  best: TrialScore;
  /** The base config with the best values, at the full epochs: what best-config.json holds. */
  bestConfig: ExperimentConfig;
  /** Trials that failed. */
  failed: { plan: PlannedRun; error: Error }[];
  /** Files written. */
  files: string[];
}

/** The epochs of each halving round: the last is the full count, each earlier one eta times fewer (>= 1). */
export function halvingEpochs(epochs: number, budget: number, eta: number): number[] {
  const rounds = Math.max(1, Math.floor(Math.log(budget) / Math.log(eta) + 1e-9) + 1);
  const list: number[] = [];
  for (let round = 0; round < rounds; round++) list.push(Math.max(1, Math.round(epochs / eta ** (rounds - 1 - round))));
  // Rounds that would train as long as the next one add nothing: keep the last of equal ones.
  return list.filter((value, i) => i === list.length - 1 || value < list[i + 1]);
}

/** The configurations of a search, and the checked base; nothing trains. */
export function planTune(options: TuneOptions): { base: ExperimentConfig; space: SearchSpace; configurations: TrialValues[]; rounds: number[]; eta: number } {
  const budget = requireInteger('budget', options.budget, 1);
  const strategy = requireOneOf('strategy', options.strategy ?? 'halving', TUNE_STRATEGIES);
  const eta = requireInteger('eta', options.eta ?? 3, 2);
  const searchSeed = requireSeed(options.searchSeed ?? 1, 'searchSeed');
  const base = resolveExperimentConfig(options.base);
  if (base.validationFraction === 0) {
    throw new AffinityConfigError('tune scores trials on the validation split: validationFraction (--validation) must be > 0');
  }
  const space = searchedSpace(options.base, options.space);
  if (Object.keys(space).length === 0) throw new AffinityConfigError('nothing to search: every searched value is fixed by the options');
  const rng = new Rng(deriveSeed(searchSeed, SEED_STREAMS.tuneSearch));
  const configurations = Array.from({ length: budget }, () => sampleTrial(space, rng, base));
  const rounds = strategy === 'random' ? [base.epochs] : halvingEpochs(base.epochs, budget, eta);
  return { base, space, configurations, rounds, eta };
}

/** A trial's score: its best validation macro-F1 over its epochs, and that epoch (1-based). */
export function validationScore(run: Pick<RunRecord, 'history'>): { validationMacroF1: number; bestEpoch: number } {
  let best = { validationMacroF1: -Infinity, bestEpoch: 0 };
  for (const epoch of run.history) {
    if (epoch.validationMacroF1 > best.validationMacroF1) best = { validationMacroF1: epoch.validationMacroF1, bestEpoch: epoch.epoch };
  }
  return best;
}

/**
 * Runs (or resumes) a search and writes its files.
 *
 * @throws AffinityConfigError before anything trains for bad options.
 */
export async function runTune(options: RunTuneOptions): Promise<TuneSummary> {
  const { base, configurations, rounds, eta } = planTune(options);
  // Before any trial trains: results that cannot be written are not worth computing.
  await checkWritableFolder(options.outDir, 'output folder');
  const scores: TrialScore[] = [];
  const failed: { plan: PlannedRun; error: Error }[] = [];
  let alive = configurations.map((_, trial) => trial);
  for (const [round, epochs] of rounds.entries()) {
    const plans: PlannedRun[] = alive.map((trial) => ({
      id: `round${round}__trial${String(trial).padStart(3, '0')}`,
      protocol: 'tune',
      setting: `round ${round} (${epochs} epochs)`,
      settingOrder: round,
      config: resolveExperimentConfig({ ...options.base, ...configurations[trial], epochs }),
      // Trials are never scored on the test split: nothing can choose them by it.
      extras: { scoreTest: false },
    }));
    const result = await runPlans(plans, {
      runsDir: join(options.outDir, RUNS_FOLDER),
      workers: options.workers,
      executor: options.executor,
      force: options.force,
      onEvent: options.onEvent,
      command: options.command,
    });
    failed.push(...result.failed);
    const roundScores = result.done.map((run) => {
      const trial = alive[plans.findIndex((plan) => plan.id === run.id)];
      return { id: run.id, trial, round, epochs, values: configurations[trial], ...validationScore(run) };
    });
    roundScores.sort((a, b) => b.validationMacroF1 - a.validationMacroF1);
    scores.push(...roundScores);
    alive = roundScores.slice(0, Math.max(1, Math.ceil(roundScores.length / eta))).map((entry) => entry.trial);
    if (roundScores.length === 0) break;
  }
  const lastRound = Math.max(...scores.map((entry) => entry.round));
  const best = scores.find((entry) => entry.round === lastRound);
  if (best === undefined) throw new AffinityConfigError(`tune: every trial failed (first error: ${failed[0]?.error.message})`);
  const bestConfig = resolveExperimentConfig({ ...options.base, ...best.values, epochs: base.epochs });
  scores.sort((a, b) => b.round - a.round || b.validationMacroF1 - a.validationMacroF1);
  const files = await writeTuneFiles(options, scores, best, bestConfig);
  return { trials: scores, best, bestConfig, failed, files };
}

const COLUMNS = ['round', 'epochs', 'trial', ...SEARCHED_FIELDS, 'validationMacroF1', 'bestEpoch'] as const;

function cell(entry: TrialScore, column: (typeof COLUMNS)[number]): string | number {
  if (column === 'round' || column === 'epochs' || column === 'trial' || column === 'bestEpoch') return entry[column];
  if (column === 'validationMacroF1') return Number((100 * entry.validationMacroF1).toFixed(2));
  const value = entry.values[column];
  return typeof value === 'boolean' ? String(value) : (value ?? '');
}

async function writeTuneFiles(options: RunTuneOptions, scores: TrialScore[], best: TrialScore, bestConfig: ExperimentConfig): Promise<string[]> {
  const csv = [csvLine([...COLUMNS]), ...scores.map((entry) => csvLine(COLUMNS.map((column) => cell(entry, column))))].join('\n');
  const table = [
    `| ${COLUMNS.join(' | ')} |`,
    `| ${COLUMNS.map(() => '--:').join(' | ')} |`,
    ...scores.map((entry) => `| ${COLUMNS.map((column) => (entry === best && column === 'validationMacroF1' ? `**${cell(entry, column)}**` : cell(entry, column))).join(' | ')} |`),
  ].join('\n');
  const markdown = [
    `# Tuning ${bestConfig.method} on ${bestConfig.dataset} (${bestConfig.recipe})`,
    '',
    ...(options.command ? [`Command: \`${options.command}\``, ''] : []),
    `Score: the best validation macro-F1 (%) over a trial's epochs; the test split is not used. Rows: the last round first, best first; empty cells are values fixed by the command. Best: trial ${best.trial}.`,
    '',
    table,
    '',
    `Best config (\`best-config.json\`, for \`affinity train --config\`): ${JSON.stringify(best.values)} at ${bestConfig.epochs} epochs.`,
    '',
  ].join('\n');
  const record = {
    command: options.command,
    validationMacroF1: best.validationMacroF1,
    bestEpoch: best.bestEpoch,
    trial: best.trial,
    searched: best.values,
    config: bestConfig,
  };
  return [
    await writeFileAtomic(join(options.outDir, 'trials.csv'), `${csv}\n`),
    await writeFileAtomic(join(options.outDir, 'tune.md'), markdown),
    await writeFileAtomic(join(options.outDir, 'best-config.json'), `${JSON.stringify(record, null, 2)}\n`),
  ];
}
