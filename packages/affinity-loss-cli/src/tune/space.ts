/**
 * What `affinity tune` searches: the affinity head's sigma, margin, prototypes per class,
 * diversity weight, margin form and prior correction, and the learning rate, each drawn from a
 * range with a seed. A value the user fixes is not searched.
 */
import type { Rng } from 'affinity-loss/internal/data/rng.js';
import { defaultSigma } from 'affinity-loss/internal/models/build.js';
import { METHODS, requireMethodName } from 'affinity-loss/internal/models/methods.js';
import { PRIOR_CORRECTION_GRID } from 'affinity-loss/internal/train/priorCorrection.js';
import type { ExperimentInput } from '../bench/experiment.js';

/** The searched ranges. Log-uniform for scales (sigma, learning rate), uniform for the margin. */
export interface SearchSpace {
  /** sigma as a multiple of the default sigma (feature width + 2), log-uniform in [low, high]. */
  sigmaScale?: readonly [number, number];
  /** The margin lambda, uniform in [low, high]. */
  margin?: readonly [number, number];
  /** Prototypes per class, one of these. */
  prototypesPerClass?: readonly number[];
  /** Weight of the diversity regularizer, log-uniform in [low, high]. */
  diversityWeight?: readonly [number, number];
  /** Hinge heads: one margin for all classes (false) or class margins from the counts (true), one of these. */
  classMargins?: readonly boolean[];
  /**
   * tau of the prior correction, one of these. A trial's tau is fixed for its training, so its
   * validation scores (the trial's score) are the corrected ones.
   */
  priorCorrection?: readonly number[];
  /** Learning rate, log-uniform in [low, high]. */
  learningRate?: readonly [number, number];
}

/**
 * The default ranges. sigma from a twentieth to five times the typical squared distance between
 * fresh BatchNorm features and prototypes (below it affinities vanish, above it they all sit
 * near 1); margins from nearly none to the paper's 0.75 and beyond; the regularizer from a
 * thousandth of the paper's weight (which can pull the prototypes together) up to it; Adam's
 * usual rates.
 */
export const DEFAULT_SEARCH_SPACE: Readonly<Required<SearchSpace>> = Object.freeze({
  sigmaScale: [0.05, 5] as const,
  margin: [0.05, 0.8] as const,
  prototypesPerClass: [1, 2, 5],
  diversityWeight: [0.001, 1] as const,
  classMargins: [false, true],
  priorCorrection: PRIOR_CORRECTION_GRID,
  learningRate: [3e-4, 3e-3] as const,
});

/** The hyper-parameters one trial sets. */
export interface TrialValues {
  /** The affinity head's sigma. */
  sigma?: number;
  /** The margin lambda. */
  margin?: number;
  /** Prototypes per class. */
  prototypesPerClass?: number;
  /** Weight of the diversity regularizer. */
  diversityWeight?: number;
  /** Class margins from the counts (hinge heads). */
  classMargins?: boolean;
  /** tau of the prior correction. */
  priorCorrection?: number;
  /** Initial learning rate. */
  learningRate?: number;
}

/**
 * The dimensions searched for a loss, given the fields the user fixed: the head's settings only
 * for the affinity heads (prototypes not for affinity-m5, whose name fixes 5; the margin and the
 * margin form only for the hinge heads), the learning rate for every loss.
 */
export function searchedSpace(base: ExperimentInput, space: SearchSpace = DEFAULT_SEARCH_SPACE): SearchSpace {
  const own = METHODS[requireMethodName(base.loss)].affinity;
  const affinity = own !== undefined;
  const hinge = own?.lossForm === 'hinge';
  const searched: SearchSpace = {};
  if (affinity && base.sigma === undefined && space.sigmaScale) searched.sigmaScale = space.sigmaScale;
  if (hinge && base.margin === undefined && space.margin) searched.margin = space.margin;
  if (affinity && base.loss !== 'affinity-m5' && base.prototypesPerClass === undefined && space.prototypesPerClass) {
    searched.prototypesPerClass = space.prototypesPerClass;
  }
  if (affinity && base.diversityWeight === undefined && space.diversityWeight) searched.diversityWeight = space.diversityWeight;
  if (hinge && base.classMargins === undefined && space.classMargins) searched.classMargins = space.classMargins;
  if (affinity && base.priorCorrection === undefined && space.priorCorrection) searched.priorCorrection = space.priorCorrection;
  if (base.learningRate === undefined && space.learningRate) searched.learningRate = space.learningRate;
  return searched;
}

function logUniform(rng: Rng, [low, high]: readonly [number, number]): number {
  return Math.exp(Math.log(low) + rng.next() * (Math.log(high) - Math.log(low)));
}

// Three significant digits: what a person would type, and what a config file shows.
const round3 = (value: number) => Number(value.toPrecision(3));

/** Draws one trial's values from the searched space. */
export function sampleTrial(space: SearchSpace, rng: Rng, featureWidth: number): TrialValues {
  const values: TrialValues = {};
  if (space.sigmaScale) values.sigma = round3(defaultSigma(featureWidth) * logUniform(rng, space.sigmaScale));
  if (space.margin) values.margin = round3(space.margin[0] + rng.next() * (space.margin[1] - space.margin[0]));
  if (space.prototypesPerClass) values.prototypesPerClass = space.prototypesPerClass[rng.int(space.prototypesPerClass.length)];
  if (space.diversityWeight) values.diversityWeight = round3(logUniform(rng, space.diversityWeight));
  if (space.classMargins) values.classMargins = space.classMargins[rng.int(space.classMargins.length)];
  if (space.priorCorrection) values.priorCorrection = space.priorCorrection[rng.int(space.priorCorrection.length)];
  if (space.learningRate) values.learningRate = round3(logUniform(rng, space.learningRate));
  return values;
}
