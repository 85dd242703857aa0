/**
 * One planned bench run, and how it becomes a `RunResult`: the unit of work a worker does and
 * the unit of what is written to disk.
 */
import { isDeepStrictEqual } from 'node:util';
import { recordsConfig, runExperiment, type ExperimentConfig, type ExperimentExtras } from './experiment.js';
import type { RunRecord } from './results.js';

/** A run as the runner plans it: plain JSON, so it can cross to a worker thread. */
export interface PlannedRun {
  /** Unique within the protocol; the result file is `runs/<id>.json`. */
  id: string;
  /** Protocol name. */
  protocol: string;
  /** Setting name, as in the tables. */
  setting: string;
  /** Position of the setting in the protocol. */
  settingOrder: number;
  /** The experiment, every field resolved (so a changed default shows as a changed config). */
  config: ExperimentConfig;
  /** What to measure besides classification. */
  extras: ExperimentExtras;
}

/** The config a result file records for a plan: what resuming compares, so one function makes both. */
export function recordedConfig(plan: PlannedRun): Record<string, unknown> {
  return JSON.parse(JSON.stringify({ ...plan.config, extras: plan.extras })) as Record<string, unknown>;
}

/** Whether a result file's recorded config is the plan's (see `recordsConfig`): what lets a resumed bench skip the run. */
export function recordsPlan(recorded: Record<string, unknown>, plan: PlannedRun): boolean {
  const { extras, ...config } = recorded;
  return isDeepStrictEqual(extras, recordedConfig(plan).extras) && recordsConfig(config, plan.config);
}

/**
 * Trains and scores one planned run.
 *
 * @param backend the tfjs backend in use, recorded with the result.
 */
export async function executeRun(plan: PlannedRun, backend: string): Promise<RunRecord> {
  const started = performance.now();
  const warnings: string[] = [];
  const outcome = await runExperiment(plan.config, plan.extras, { onWarning: (message) => warnings.push(message) });
  outcome.classifier.dispose();
  return {
    id: plan.id,
    protocol: plan.protocol,
    setting: plan.setting,
    settingOrder: plan.settingOrder,
    method: plan.config.method,
    seed: plan.config.seed,
    config: recordedConfig(plan),
    ...(outcome.last && outcome.best ? { last: outcome.last, best: outcome.best } : {}),
    bestEpoch: outcome.bestEpoch,
    history: outcome.history,
    ...(outcome.verification ? { verification: outcome.verification } : {}),
    ...(outcome.features ? { features: outcome.features } : {}),
    ...(outcome.affinityDiagnostics ? { affinityDiagnostics: outcome.affinityDiagnostics } : {}),
    ...(outcome.priorCorrection ? { priorCorrection: outcome.priorCorrection } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
    minorityClasses: outcome.data.minorityClasses,
    classNames: outcome.data.dataset.classNames,
    seconds: (performance.now() - started) / 1000,
    backend,
  };
}
