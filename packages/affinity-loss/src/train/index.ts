// The training loop and what it needs: optimizers, learning-rate schedules, batched prediction, evaluation.
export { trainModel, DIVERGENCE_FACTOR, type TrainerOptions, type TrainResult, type EpochLog, type StepReport, type TrainingCallback } from './trainer.js';
// The interface a data-parallel group implements (affinity-loss-node's trainDataParallel makes one), for TrainerOptions.dataParallel.
export type { DataParallelGroup } from './dataParallel.js';
export { OPTIMIZER_NAMES, makeOptimizer, setLearningRate, type OptimizerName, type OptimizerOptions } from './optimizer.js';
export {
  SCHEDULE_NAMES,
  learningRateAt,
  validateSchedule,
  type LearningRateSchedule,
  type ScheduleOptions,
  type TrainingPosition,
} from './schedule.js';
export { predictOutputs, predictClassIds, type PredictOptions } from './predict.js';
export { classificationReport, type ClassificationReport } from './report.js';
export { AffinityMonitor, type AffinityMonitorOptions, type EpochAffinityDiagnostics } from './affinityMonitor.js';
export {
  PRIOR_CORRECTION_GRID,
  choosePriorCorrection,
  PriorCorrectionSelector,
  type ChoosePriorCorrectionOptions,
  type PriorCorrectionChoice,
} from './priorCorrection.js';
export { VALIDATION_SCORES, validationScore, type ValidationScore } from './validationScore.js';
