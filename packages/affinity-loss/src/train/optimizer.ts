/**
 * The optimizers the trainer offers, with PyTorch's semantics so runs compare with the Python
 * implementations: Adam, and SGD with (heavy-ball) momentum, buf = m * buf + g, w -= lr * buf.
 */
import * as tf from '@tensorflow/tfjs';
import { requireInRange, requireOneOf, requirePositive } from '../validate.js';

/** Optimizer names the trainer and the CLI take. */
export const OPTIMIZER_NAMES = ['adam', 'sgd'] as const;

/** One of `OPTIMIZER_NAMES`. */
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Options of `makeOptimizer`. */
export interface OptimizerOptions {
  /** 'adam' (beta1 0.9, beta2 0.999, epsilon 1e-8, as PyTorch) or 'sgd' (with momentum). */
  name: OptimizerName;
  /** Initial learning rate (> 0); a schedule changes it during training. */
  learningRate: number;
  /** SGD momentum in [0, 1). Default 0.9; ignored by Adam. */
  momentum?: number;
}

/** Builds a tfjs optimizer from the options (validated). */
export function makeOptimizer(options: OptimizerOptions): tf.Optimizer {
  const name = requireOneOf('optimizer', options.name, OPTIMIZER_NAMES);
  const learningRate = requirePositive('learningRate', options.learningRate);
  if (name === 'adam') return tf.train.adam(learningRate, 0.9, 0.999, 1e-8);
  const momentum = requireInRange('momentum', options.momentum ?? 0.9, 0, 1, true);
  if (momentum === 0) return tf.train.sgd(learningRate);
  const optimizer = tf.train.momentum(learningRate, momentum);
  // tfjs 4.22's MomentumOptimizer.dispose() skips SGDOptimizer's, which frees the kept
  // learning-rate scalar `c`: free it too, so a long bench does not leak one tensor per run.
  const disposeMomentum = optimizer.dispose.bind(optimizer);
  optimizer.dispose = () => {
    disposeMomentum();
    (optimizer as unknown as { c?: tf.Tensor }).c?.dispose();
  };
  return optimizer;
}

/** The shape of the tfjs optimizers whose rate can change between steps. */
interface RateHolder {
  learningRate: number;
  setLearningRate?: (rate: number) => void;
}

/**
 * Sets the learning rate of a tfjs optimizer between steps. SGD and momentum keep the rate in a
 * scalar tensor (`setLearningRate` replaces it); Adam reads its `learningRate` field each step.
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  const holder = optimizer as unknown as RateHolder;
  if (typeof holder.setLearningRate === 'function') holder.setLearningRate(rate);
  else holder.learningRate = rate;
}
