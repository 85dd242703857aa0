/**
 * Runs a bench protocol: plans every (setting, method, seed), runs them through the worker pool
 * (which skips finished runs and writes each run's file as it finishes), then writes the report.
 */
import { join } from 'node:path';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { requireMethodName } from 'affinity-loss/internal/models/methods.js';
import { requireInteger, requireSeed } from 'affinity-loss/internal/validate.js';
import { checkWritableFolder } from 'affinity-loss-node/internal/io/folders.js';
import { RUNS_FOLDER } from '../report/read.js';
import { slug } from '../report/slug.js';
import { writeReport } from '../report/write.js';
import { checkExtras, definedFields, resolveExperimentConfig, type ExperimentInput } from './experiment.js';
import { headFieldsNotOf } from './settings.js';
import { runPlans, type RunPlansOptions } from './pool.js';
import { getProtocol, PROTOCOL_NAMES, type Protocol, type ProtocolSetting } from './protocols.js';
import type { RunResult } from './results.js';
import type { PlannedRun } from './run.js';

/** Options of `planBench` and `runBench`. */
export interface BenchOptions {
  /** Protocol name (see PROTOCOL_NAMES). */
  protocol: string;
  /** Methods to compare. Default: the protocol's list (its shorter quick list when `quick`). */
  methods?: readonly string[];
  /** Number of seeds (1, 2, ... from `firstSeed`). Default: the protocol's, or 1 when quick. */
  seeds?: number;
  /** First seed. Default 1. */
  firstSeed?: number;
  /** Fewer settings and epochs, a share of the training rows: minutes instead of hours. */
  quick?: boolean;
  /**
   * Names of the protocol's settings to run (`k=10`, `rho=100 mnist`), in protocol order
   * whatever the order given. Default: every setting (of the quick list when `quick`).
   */
  settings?: readonly string[];
  /** Fields that override every run's config (epochs, backbone, sigma, ...). */
  overrides?: Partial<ExperimentInput>;
}

/** Options of `runBench`. */
export interface RunBenchOptions extends BenchOptions, Omit<RunPlansOptions, 'runsDir'> {
  /** Output folder: runs/ (one file per run) and the report. */
  outDir: string;
  /** The command line, printed in the report. */
  command?: string;
}

/** What `runBench` did. */
export interface BenchSummary {
  /** The protocol run. */
  protocol: Protocol;
  /** Every run of the plan, finished now or before. */
  runs: RunResult[];
  /** Runs skipped because their result file was there. */
  skipped: number;
  /** Runs trained now. */
  ran: number;
  /** Runs that failed (the others still finished and were written). */
  failed: { plan: PlannedRun; error: Error }[];
  /** Report files written (empty when no run finished). */
  reportFiles: string[];
}

/**
 * Every run of a protocol, each config resolved and checked: bad names or numbers fail here,
 * before anything trains.
 *
 * @throws AffinityConfigError for an unknown protocol or method (listing the valid ones) or a bad value.
 */
export function planBench(options: BenchOptions): { protocol: Protocol; plans: PlannedRun[] } {
  const protocol = getProtocol(options.protocol);
  const methods = (options.methods ?? (options.quick ? protocol.quickMethods : undefined) ?? protocol.defaultMethods).map(requireMethodName);
  if (methods.length === 0) throw new AffinityConfigError('methods: give at least one method');
  if (new Set(methods).size !== methods.length) throw new AffinityConfigError(`methods: a method is listed twice in ${methods.join(',')}`);
  const seeds = requireInteger('seeds', options.seeds ?? (options.quick ? 1 : protocol.defaultSeeds), 1);
  const firstSeed = requireSeed(options.firstSeed ?? 1, 'firstSeed');
  // An override left undefined must not replace the protocol's value with the default.
  const overrides = definedFields(options.overrides ?? {});
  const plans: PlannedRun[] = [];
  // A dataset given replaces the protocol's own, where its settings suit any dataset.
  const dataset = overrides.dataset;
  if (dataset !== undefined && protocol.datasets === undefined) {
    const takers = PROTOCOL_NAMES.filter((name) => getProtocol(name).datasets !== undefined);
    throw new AffinityConfigError(`protocol ${protocol.name} is built around its own datasets; a dataset of your own runs with ${takers.join(', ')}`);
  }
  const settings = protocol.settings(options.quick ?? false, dataset === undefined ? undefined : [dataset]);
  const chosen = chosenSettings(protocol.name, options.quick ?? false, settings, options.settings);
  settings.forEach((setting, settingOrder) => {
    if (!chosen.has(setting.setting)) return;
    for (const method of methods) {
      for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
        // A head override (--sigma) applies to the methods with that head; the others train as they would without it.
        const own: Record<string, unknown> = { ...overrides };
        for (const field of headFieldsNotOf(method)) delete own[field];
        const config = resolveExperimentConfig({ ...setting.config, ...own, method, seed });
        checkExtras(config, setting.extras);
        plans.push({
          id: `${slug(setting.setting)}__${method}__seed${seed}`,
          protocol: protocol.name,
          setting: setting.setting,
          settingOrder,
          config,
          extras: setting.extras,
        });
      }
    }
  });
  return { protocol, plans };
}

/** The setting names to run; an unknown name fails, listing the protocol's. */
function chosenSettings(protocolName: string, quick: boolean, settings: readonly ProtocolSetting[], names: readonly string[] | undefined): Set<string> {
  const valid = settings.map((setting) => setting.setting);
  if (names === undefined) return new Set(valid);
  if (names.length === 0) throw new AffinityConfigError('settings: give at least one setting');
  const unknown = names.filter((name) => !valid.includes(name));
  if (unknown.length > 0) {
    const list = valid.map((name) => JSON.stringify(name)).join(', ');
    throw new AffinityConfigError(`unknown setting ${unknown.map((name) => JSON.stringify(name)).join(', ')} for protocol ${protocolName}${quick ? ' (quick)' : ''}; valid: ${list}`);
  }
  return new Set(names);
}

/**
 * Runs (or resumes) a bench and writes its report.
 *
 * @throws AffinityConfigError before anything trains when a name or number is bad, or when a
 *   result file holds a different config and `force` is not set.
 */
export async function runBench(options: RunBenchOptions): Promise<BenchSummary> {
  const { protocol, plans } = planBench(options);
  // Before any run trains: results that cannot be written are not worth computing.
  await checkWritableFolder(options.outDir, 'output folder');
  const { done: records, failed, skipped } = await runPlans(plans, {
    runsDir: join(options.outDir, RUNS_FOLDER),
    workers: options.workers,
    executor: options.executor,
    force: options.force,
    onEvent: options.onEvent,
    command: options.command,
  });

  // Bench plans score the test split, so every record has its metrics.
  const done = records as RunResult[];
  const reportFiles =
    done.length === 0
      ? []
      : await writeReport(options.outDir, done, {
          title: protocol.title,
          command: options.command,
          reference: protocol.reference,
          protocol: protocol.name,
          methodOrder: [...new Set(plans.map((plan) => plan.config.method))],
          failures: failed.map(({ plan, error }) => ({ id: plan.id, message: error.message })),
        });
  return { protocol, runs: done, skipped, ran: plans.length - skipped - failed.length, failed, reportFiles };
}
