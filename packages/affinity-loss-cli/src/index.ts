/**
 * affinity-loss-cli: the experiment application behind the `affinity` command, as a library:
 * experiments from a plain config, the paper's benchmark protocols and their resumable runner
 * (a worker pool on this machine, or jobs on a Redis queue across machines), the
 * hyper-parameter search, and the report writers (tables, plots, HTML). Named exports: what the
 * README documents; the plumbing stays behind `affinity-loss-cli/internal/*`.
 */
import 'affinity-loss-node'; // the file:// model handler, for runs that save models

export {
  runExperiment,
  resolveExperimentConfig,
  EXPERIMENT_DEFAULTS,
  type ExperimentConfig,
  type ExperimentInput,
  type ExperimentExtras,
  type ExperimentOutcome,
} from './bench/experiment.js';
export { EXPERIMENT_SETTINGS, type Setting } from './bench/settings.js';
export { getProtocol, PROTOCOL_NAMES, type Protocol, type ProtocolName, type ProtocolSetting } from './bench/protocols.js';
export { planBench, runBench, type BenchOptions, type BenchSummary, type RunBenchOptions } from './bench/runner.js';
export { runPlans, localExecutor, type PoolEvent, type RunExecutor, type RunPlansOptions, type RunPlansResult } from './bench/pool.js';
export type { PlannedRun } from './bench/run.js';
export type { RunRecord, RunResult } from './bench/results.js';
export { planTune, runTune, TUNE_STRATEGIES, type RunTuneOptions, type TuneOptions, type TuneSummary, type TrialScore } from './tune/tuner.js';
export { DEFAULT_SEARCH_SPACE, type SearchSpace } from './tune/space.js';
export { readRunResults } from './report/read.js';
export { writeReport, type WriteReportOptions } from './report/write.js';
export { parseQueueUrl, QUEUE_PASSWORD_ENV, type QueueAddress } from './queue/url.js';
export { checkQueueServer, QueueConnectionError } from './queue/connection.js';
export { queueExecutor, type QueueExecutorOptions } from './queue/coordinator.js';
export { startQueueWorker, type QueueWorkerHandle, type QueueWorkerOptions } from './queue/worker.js';
export { queueStatus, formatQueueStatus, type QueueStatus } from './queue/status.js';
