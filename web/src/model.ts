/**
 * The demo's network: a small backbone, a 2-D linear feature layer, BatchNorm, then one of the
 * three heads of the paper's Figure 1. The features are 2-D so they can be drawn as they are,
 * and the head sees the BatchNorm output, as in the library's `buildClassifier` (METHOD.md:
 * without it the affinity head saturates).
 *
 * Built here rather than with `buildClassifier` because the demo wants a lighter backbone for
 * the 2-D blobs than the library's Dense-256 MLP, and direct access to the head layer, so the
 * class regions can be drawn by running the head alone on a grid of feature points.
 */
import * as tf from '@tensorflow/tfjs';
import {
  affinityLoss,
  BATCHNORM_MOMENTUM,
  centerLoss,
  CenterLossHead,
  crossEntropyLoss,
  deriveSeed,
  GaussianAffinity,
  ldamMargins,
  type LossFunction,
} from 'affinity-loss';

/** The heads of the paper's Figure 1, and the affinity head with class margins (the library's affinity-lt). */
export const HEAD_NAMES = ['softmax', 'center-loss', 'affinity', 'affinity-lt'] as const;

/** One of `HEAD_NAMES`. */
export type HeadName = (typeof HEAD_NAMES)[number];

/** Human-readable names of the heads. */
export const HEAD_LABELS: Readonly<Record<HeadName, string>> = {
  softmax: 'softmax',
  'center-loss': 'softmax + center loss',
  affinity: 'affinity loss',
  'affinity-lt': 'affinity loss, class margins',
};

/** True for the heads with prototypes and a margin band. */
export function isAffinityHead(head: HeadName): head is 'affinity' | 'affinity-lt' {
  return head === 'affinity' || head === 'affinity-lt';
}

/**
 * Each class's margin: lambda for every class, or for 'affinity-lt' lambda (n_min / n_c)^(1/4),
 * the rarest class keeping lambda (the library's class margins).
 */
export function classMarginsOf(head: HeadName, margin: number, trainCounts: readonly number[]): number[] {
  return head === 'affinity-lt' ? ldamMargins(trainCounts, margin) : trainCounts.map(() => margin);
}

/** Width of the feature layer: 2, so the feature space is the picture. */
export const FEATURE_WIDTH = 2;


/** What the network is built from. */
export interface ModelOptions {
  /** Which head. */
  head: HeadName;
  /** Values per input sample. */
  inputSize: number;
  /** Number of classes C. */
  classes: number;
  /** Widths of the ReLU layers before the feature layer. */
  hiddenUnits: number[];
  /** Affinity head: sigma, the class spread. */
  sigma: number;
  /** Affinity head: prototypes per class m. */
  prototypesPerClass: number;
  /** Affinity head: the diversity regularizer's weight (0 turns it off). */
  diversityWeight: number;
  /** Training samples per class (the class margins of 'affinity-lt'). */
  trainCounts: number[];
  /** Seed of every initializer. */
  seed: number;
}

/** Settings of the loss that may change while training runs. */
export interface LossSettings {
  /** Affinity head: the margin lambda. */
  margin: number;
  /** Center-loss head: the weight beta of the centre term. */
  centerWeight: number;
}

/** An anchor of the head in feature space: an affinity prototype or a center-loss centre. */
export interface Anchor {
  /** The class it belongs to. */
  classId: number;
  /** Its position in the 2-D feature space. */
  x: number;
  y: number;
}

/** The built network and its head. */
export interface DemoModel {
  /** Which head. */
  readonly head: HeadName;
  /**
   * Input -> [features, scores, ...]: the BatchNorm features the head sees, then the head's
   * outputs (logits or affinities first; the center-loss head adds squared distances).
   */
  readonly network: tf.LayersModel;
  /** The head alone: features -> scores (its first output). */
  headScores(features: tf.Tensor2D): tf.Tensor2D;
  /** The head's anchors now (prototypes or centres); none for softmax. */
  anchors(): Promise<Anchor[]>;
  /** The training loss of the head's outputs (without the layers' regularizers). */
  loss(settings: LossSettings): (labels: tf.Tensor, headOutputs: tf.Tensor[]) => tf.Scalar;
  /** Frees the weights. */
  dispose(): void;
}

function dense(units: number, activation: 'relu' | 'linear', seed: number, layer: number, name?: string): tf.layers.Layer {
  return tf.layers.dense({ units, activation, kernelInitializer: tf.initializers.heNormal({ seed: deriveSeed(seed, layer) }), name });
}

/** Reads a (K, 2) weight into anchors, class of row k = classOf(k). */
async function anchorsOf(weight: tf.Tensor, classOf: (row: number) => number): Promise<Anchor[]> {
  const values = await weight.data();
  const anchors: Anchor[] = [];
  for (let row = 0; row * FEATURE_WIDTH < values.length; row++) {
    anchors.push({ classId: classOf(row), x: values[row * FEATURE_WIDTH], y: values[row * FEATURE_WIDTH + 1] });
  }
  return anchors;
}

/** Builds backbone, 2-D features, BatchNorm and the head. */
export function buildDemoModel(options: ModelOptions): DemoModel {
  const { head, classes, seed } = options;
  const input = tf.input({ shape: [options.inputSize] });
  let x: tf.SymbolicTensor = input;
  options.hiddenUnits.forEach((units, i) => (x = dense(units, 'relu', seed, i + 1).apply(x) as tf.SymbolicTensor));
  // Linear, so the features can point in every direction of the plane.
  const raw = dense(FEATURE_WIDTH, 'linear', seed, 100, 'features').apply(x) as tf.SymbolicTensor;
  const features = tf.layers.batchNormalization({ momentum: BATCHNORM_MOMENTUM, name: 'head_batchnorm' }).apply(raw) as tf.SymbolicTensor;
  const headSeed = deriveSeed(seed, 200);

  if (head === 'softmax') {
    const layer = tf.layers.dense({ units: classes, kernelInitializer: tf.initializers.glorotUniform({ seed: headSeed }), name: 'logits' });
    const logits = layer.apply(features) as tf.SymbolicTensor;
    return {
      head,
      network: tf.model({ inputs: input, outputs: [features, logits] }),
      headScores: (f) => layer.apply(f) as tf.Tensor2D,
      anchors: async () => [],
      loss: () => {
        const crossEntropy = crossEntropyLoss();
        return (labels, [scores]) => crossEntropy(labels, scores);
      },
      dispose() {
        this.network.dispose();
      },
    };
  }

  if (head === 'center-loss') {
    const layer = new CenterLossHead({ classes, seed: headSeed, name: 'center_head' });
    const outputs = layer.apply(features) as tf.SymbolicTensor[];
    return {
      head,
      network: tf.model({ inputs: input, outputs: [features, ...outputs] }),
      headScores: (f) => tf.tidy(() => (layer.apply(f) as tf.Tensor[])[0] as tf.Tensor2D),
      anchors: () => anchorsOf(layer.centers.read(), (row) => row),
      loss: (settings) => {
        const crossEntropy = crossEntropyLoss();
        const centre = centerLoss({ weight: settings.centerWeight });
        return (labels, [logits, distances]) => tf.add(crossEntropy(labels, logits), centre(labels, distances)) as tf.Scalar;
      },
      dispose() {
        this.network.dispose();
      },
    };
  }

  const m = options.prototypesPerClass;
  const diversity = options.diversityWeight > 0 ? { weight: options.diversityWeight } : false;
  const layer = new GaussianAffinity({ classes, prototypesPerClass: m, sigma: options.sigma, diversity, seed: headSeed, name: 'affinity' });
  const affinities = layer.apply(features) as tf.SymbolicTensor;
  return {
    head,
    network: tf.model({ inputs: input, outputs: [features, affinities] }),
    headScores: (f) => layer.apply(f) as tf.Tensor2D,
    anchors: () => anchorsOf(layer.prototypes.read(), (row) => Math.floor(row / m)),
    loss: (settings) => {
      const classCounts = head === 'affinity-lt' ? options.trainCounts : undefined;
      const maxMargin: LossFunction = affinityLoss({ margin: settings.margin, classCounts });
      return (labels, [scores]) => maxMargin(labels, scores);
    },
    dispose() {
      this.network.dispose();
    },
  };
}
