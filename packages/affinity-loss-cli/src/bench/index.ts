// The bench: protocols, one experiment from a config, the worker-pool runner, the run records.
export {
  resolveExperimentConfig,
  runExperiment,
  testScores,
  checkExtras,
  loadExperimentData,
  EXPERIMENT_DEFAULTS,
  type ExperimentConfig,
  type ExperimentData,
  type ExperimentExtras,
  type ExperimentOutcome,
} from './experiment.js';
export { getProtocol, PROTOCOL_NAMES, STEP_SWEEP_REFERENCE, type Protocol, type ProtocolName, type ProtocolSetting } from './protocols.js';
export { executeRun, type PlannedRun } from './run.js';
export { planBench, runBench, type BenchOptions, type BenchSummary, type RunBenchOptions } from './runner.js';
export { runPlans, localExecutor, type PoolEvent, type RunExecutor, type RunSink, type RunPlansOptions, type RunPlansResult } from './pool.js';
export type { FeatureSnapshot, RunRecord, RunResult, VerificationScores } from './results.js';
