/**
 * Learning-rate schedules, as a function of training progress measured in epochs (a fraction
 * within an epoch counts, so warm-up and cosine change the rate every step).
 */
import { AffinityConfigError } from '../errors.js';
import { requireInRange, requireInteger, requireNonNegative, requireOneOf, requirePositive } from '../validate.js';

/** Schedule names the trainer and the CLI take. */
export const SCHEDULE_NAMES = ['constant', 'step', 'cosine'] as const;

/** A learning-rate schedule. */
export type LearningRateSchedule =
  | { type: 'constant' }
  /** Multiply the rate by `gamma` at each milestone epoch (0-based epochs, as PyTorch's MultiStepLR). */
  | { type: 'step'; milestones: number[]; gamma?: number }
  /** Cosine annealing from the initial rate down to `minLearningRate` at the last epoch. */
  | { type: 'cosine'; minLearningRate?: number };

/** A schedule with linear warm-up in front (Goyal et al. 2017; Cao et al. warm up for 5 epochs). */
export interface ScheduleOptions {
  /** The schedule after warm-up. Default constant. */
  schedule?: LearningRateSchedule;
  /** Epochs of linear warm-up from ~0 to the initial rate (>= 0). Default 0. */
  warmupEpochs?: number;
}

/** Checks a schedule and fills its defaults. */
export function validateSchedule(schedule: LearningRateSchedule | undefined, epochs: number): LearningRateSchedule {
  if (schedule === undefined) return { type: 'constant' };
  const type = requireOneOf('schedule', (schedule as { type?: unknown })?.type, SCHEDULE_NAMES);
  switch (type) {
    case 'constant':
      return { type };
    case 'step': {
      const { milestones, gamma } = schedule as { milestones?: unknown; gamma?: unknown };
      if (!Array.isArray(milestones) || milestones.length === 0) {
        throw new AffinityConfigError(`a step schedule needs milestones, a non-empty list of epochs, got ${String(milestones)}`);
      }
      milestones.forEach((epoch, i) => requireInteger(`milestones[${i}]`, epoch, 1));
      for (let i = 1; i < milestones.length; i++) {
        if (milestones[i] <= milestones[i - 1]) throw new AffinityConfigError(`milestones must increase, got ${milestones.join(', ')}`);
      }
      if (milestones[milestones.length - 1] >= epochs) {
        throw new AffinityConfigError(`milestone ${milestones[milestones.length - 1]} is not before the last epoch (${epochs} epochs)`);
      }
      return { type, milestones: milestones.slice() as number[], gamma: requireInRange('gamma', gamma ?? 0.1, 0, 1) };
    }
    case 'cosine': {
      const { minLearningRate } = schedule as { minLearningRate?: unknown };
      return { type, minLearningRate: requireNonNegative('minLearningRate', minLearningRate ?? 0) };
    }
  }
}

/** Where training stands when a step starts. */
export interface TrainingPosition {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based step within the epoch. */
  step: number;
  /** Steps in one epoch (>= 1). */
  stepsPerEpoch: number;
  /** Epochs in the whole run. */
  epochs: number;
}

/**
 * The learning rate of the step at `position`. Step schedules change the rate at epoch
 * boundaries; cosine and warm-up change it every step. Warm-up counts the step being taken, so
 * the first step gets initial / (warmupEpochs * stepsPerEpoch), not 0.
 */
export function learningRateAt(initial: number, position: TrainingPosition, options: ScheduleOptions = {}): number {
  requirePositive('learningRate', initial);
  const warmup = requireNonNegative('warmupEpochs', options.warmupEpochs ?? 0);
  const schedule = options.schedule ?? { type: 'constant' };
  const { epoch, step, stepsPerEpoch, epochs } = position;
  const progress = epoch + step / stepsPerEpoch;
  let rate = initial;
  switch (schedule.type) {
    case 'step': {
      const passed = schedule.milestones.filter((milestone) => epoch >= milestone).length;
      rate = initial * Math.pow(schedule.gamma ?? 0.1, passed);
      break;
    }
    case 'cosine': {
      const low = schedule.minLearningRate ?? 0;
      const fraction = Math.min(1, progress / epochs);
      rate = low + ((initial - low) * (1 + Math.cos(Math.PI * fraction))) / 2;
      break;
    }
    case 'constant':
      break;
  }
  if (warmup > 0 && progress < warmup) rate *= Math.min(1, (progress + 1 / stepsPerEpoch) / warmup);
  return rate;
}
