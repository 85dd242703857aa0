/**
 * A training callback that watches an affinity head after every epoch (on a fixed probe of
 * training rows) and says so when the head cannot learn: affinities that have all vanished
 * (sigma far below the squared distances) or that all sit near 1 (sigma far above them). Before
 * training it warns when the diversity regularizer will crowd the prototypes together.
 */
import type * as tf from '@tensorflow/tfjs';
import { affinityDiagnostics, VANISHED_AFFINITY, type AffinityDiagnostics } from '../affinity/diagnostics.js';
import type { GaussianAffinity } from '../affinity/layer.js';
import { featureSize, takeRows, type Split } from '../data/dataset.js';
import type { Features } from '../data/rowStore.js';
import { predictOutputs } from './predict.js';
import type { EpochLog, TrainingCallback } from './trainer.js';

/** Diagnostics of one epoch. */
export interface EpochAffinityDiagnostics extends AffinityDiagnostics {
  /** 1-based epoch. */
  epoch: number;
}

/** Options of `AffinityMonitor`. */
export interface AffinityMonitorOptions {
  /** Rows to measure on (`rows` of them, evenly spaced through the split). */
  probe: Split<Features>;
  /** Shape of one model input. */
  featureShape: readonly number[];
  /** Rows of the probe used. Default 512. */
  rows?: number;
  /** Called once per kind of problem, with a message that says what to change. */
  onWarning?: (message: string) => void;
}

// Over half the samples with every affinity vanished: most of the batch gives no gradient.
const DEAD_SAMPLES_WARNING = 0.5;
// Distances under 1% of sigma: every affinity above exp(-0.01) = 0.99, the margin is hard to meet.
const FLAT_DISTANCE_RATIO = 0.01;
// The regularizer is the variance of the prototypes' pairwise squared distances, zero only for
// equidistant prototypes, and K of them can be equidistant only in d >= K - 1 dimensions. With
// more, lowering the variance mostly pulls every prototype together: on the Figure 1 protocol
// (10 prototypes in 2-D) weight 1 gave 31% macro-F1 where softmax gave 83%, and tuning on the
// validation split picked weights of 0.001-0.05 on every protocol tried (README, Results).
const CROWDING_WEIGHT = 0.1;

/** Measures the head after every epoch; `history` holds the measurements. */
export class AffinityMonitor implements TrainingCallback {
  /** One entry per epoch. */
  readonly history: EpochAffinityDiagnostics[] = [];
  private readonly probe: Split<Features>;
  private readonly warned = new Set<string>();

  /**
   * @param featureModel input -> the features the head sees.
   * @param head the affinity layer (its prototypes and sigma).
   */
  constructor(
    private readonly featureModel: tf.LayersModel,
    private readonly head: GaussianAffinity,
    private readonly options: AffinityMonitorOptions,
  ) {
    // Evenly spaced rows, not the first ones: a split sorted by class would give one class only.
    const { probe } = options;
    const rows = Math.min(options.rows ?? 512, probe.count);
    const spaced = Array.from({ length: rows }, (_, i) => Math.floor((i * probe.count) / rows));
    this.probe = takeRows(probe, spaced, featureSize(options.featureShape));
  }

  /** Measures the head on the probe (inference mode: the features the test split will see). */
  measure(): AffinityDiagnostics {
    const [features] = predictOutputs(this.featureModel, this.probe, { featureShape: this.options.featureShape });
    try {
      return affinityDiagnostics(features as tf.Tensor2D, this.head.prototypes.read() as tf.Tensor3D, this.head.sigma);
    } finally {
      features.dispose();
    }
  }

  epochStart(epoch: number): void {
    if (epoch === 0) this.checkCrowding();
  }

  /** Warns when the prototypes cannot be equidistant and the regularizer's weight is large. */
  private checkCrowding(): void {
    const { diversity, classes, prototypesPerClass } = this.head;
    const width = this.head.prototypes.shape[2]!;
    const count = classes * prototypesPerClass;
    if (diversity === false || diversity.weight < CROWDING_WEIGHT || count <= width + 1) return;
    this.warn(
      'crowded',
      `affinity head: ${count} prototypes cannot be equidistant in ${width} dimensions, so the diversity regularizer (weight ${diversity.weight}) ` +
        `mostly pulls them together and the classes pile up; use a weight near 0.01 (diversityWeight, --diversity-weight) or a wider feature layer`,
    );
  }

  epochEnd(log: EpochLog): void {
    const diagnostics = this.measure();
    this.history.push({ epoch: log.epoch, ...diagnostics });
    const { sigma, meanSquaredDistance, deadSampleFraction } = diagnostics;
    const distance = meanSquaredDistance.toPrecision(3);
    if (deadSampleFraction > DEAD_SAMPLES_WARNING) {
      this.warn(
        'vanished',
        `affinity head, epoch ${log.epoch}: ${Math.round(100 * deadSampleFraction)}% of probed training samples have every class affinity below ${VANISHED_AFFINITY} ` +
          `(mean squared distance to the prototypes ${distance}, sigma ${sigma.toPrecision(3)}), so the max-margin loss cannot move them; ` +
          `${this.advice(distance)}, or put BatchNorm before the head`,
      );
    } else if (meanSquaredDistance < FLAT_DISTANCE_RATIO * sigma) {
      this.warn(
        'flat',
        `affinity head, epoch ${log.epoch}: sigma ${sigma.toPrecision(3)} is over 100 times the mean squared distance to the prototypes (${distance}), ` +
          `so every affinity is near 1 and the margin is hard to meet; ${this.advice(distance)}`,
      );
    }
  }

  /** What to change: with sigma 'auto' already in use, 'auto' is not the advice. */
  private advice(distance: string): string {
    return this.head.sigmaSetting === 'auto' ? `set sigma near ${distance}` : `use sigma 'auto' or a sigma near ${distance}`;
  }

  private warn(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    this.options.onWarning?.(message);
  }
}
