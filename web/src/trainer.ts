/**
 * Live training: one optimizer step at a time, so the page can draw between steps, pause at
 * any step and change the learning rate or the margin without starting over.
 *
 * A small loop of its own rather than the library's `trainModel`: that one runs a fixed number
 * of epochs with settings fixed at the start, and reads the loss back after every step (a
 * synchronous GPU read on WebGL). Here steps are queued without reading anything back; the
 * page reads the loss and the test features once per frame, in `evaluate`.
 */
import * as tf from '@tensorflow/tfjs';
import { accuracy, macroF1, makeOptimizer, perClassRecall, Rng, setLearningRate } from 'affinity-loss';
import type { DemoData } from './data';
import type { Anchor, DemoModel, LossSettings } from './model';

/** Settings that may change while training runs. */
export interface LiveSettings extends LossSettings {
  /** Adam's learning rate. */
  learningRate: number;
}

/** A square window of the feature space, centred on the origin. */
export interface GridRequest {
  /** Half the side of the window, in feature units. */
  halfWidth: number;
  /** Cells per side. */
  cells: number;
}

/** The head evaluated on a grid of feature points: the class regions and the margin band. */
export interface GridScores {
  /** The request it answers. */
  request: GridRequest;
  /** Predicted class per cell, row-major, top row first (largest y). */
  predicted: Uint8Array;
  /** Score of the best class minus the second best, per cell (the affinity gap for the affinity head). */
  gap: Float32Array;
}

/** What the page draws after a frame. */
export interface Snapshot {
  /** Optimizer steps taken. */
  step: number;
  /** Loss of the last step (NaN before the first). */
  loss: number;
  /** Test features, [x0, y0, x1, y1, ...] (inference mode: BatchNorm's moving statistics). */
  features: Float32Array;
  /** Test labels. */
  labels: Int32Array;
  /** Predicted class of each test row. */
  predicted: Int32Array;
  /** Recall of each class on the test rows. */
  recall: number[];
  /** Macro-F1 on the test rows. */
  macroF1: number;
  /** Accuracy on the test rows. */
  accuracy: number;
  /** The head's prototypes or centres. */
  anchors: Anchor[];
  /** The head on the grid, when one was asked for. */
  grid?: GridScores;
}

/** Steps and evaluates one model on one dataset. */
export class LiveTrainer {
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly trainX: tf.Tensor2D;
  private readonly trainY: tf.Tensor2D;
  private readonly testX: tf.Tensor2D;
  private readonly rng: Rng;
  private order: Int32Array;
  private cursor = 0;
  private lossFunction: (labels: tf.Tensor, headOutputs: tf.Tensor[]) => tf.Scalar;
  private lastLoss: tf.Scalar | null = null;
  private steps = 0;
  private unitGrid: tf.Tensor2D | null = null;

  /**
   * @param batchSize rows per step.
   * @param seed seed of the batch order.
   */
  constructor(
    readonly model: DemoModel,
    readonly data: DemoData,
    settings: LiveSettings,
    private readonly batchSize: number,
    seed: number,
  ) {
    const classes = data.classNames.length;
    const { train, test, inputSize } = data;
    // The whole (small) training set lives on the backend; a step gathers its rows there.
    this.trainX = tf.tensor2d(train.features, [train.count, inputSize]);
    this.trainY = tf.tidy(() => tf.oneHot(tf.tensor1d(train.labels, 'int32'), classes).toFloat() as tf.Tensor2D);
    this.testX = tf.tensor2d(test.features, [test.count, inputSize]);
    this.optimizer = makeOptimizer({ name: 'adam', learningRate: settings.learningRate });
    this.variables = model.network.trainableWeights.map((weight) => weight.read() as tf.Variable);
    this.lossFunction = model.loss(settings);
    this.rng = new Rng(seed);
    this.order = this.rng.permutation(train.count);
  }

  /** Optimizer steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** Applies new live settings from the next step on. */
  update(settings: LiveSettings): void {
    setLearningRate(this.optimizer, settings.learningRate);
    this.lossFunction = this.model.loss(settings);
  }

  /** The next batch's rows: epochs of a seeded permutation. */
  private nextRows(): Int32Array {
    const size = Math.min(this.batchSize, this.order.length);
    if (this.cursor + size > this.order.length) {
      this.order = this.rng.permutation(this.order.length);
      this.cursor = 0;
    }
    const rows = this.order.subarray(this.cursor, this.cursor + size);
    this.cursor += size;
    return rows;
  }

  /** One optimizer step. Queues the work; nothing is read back. */
  trainStep(): void {
    const rows = this.nextRows();
    const loss = tf.tidy(() => {
      const index = tf.tensor1d(rows, 'int32');
      const x = tf.gather(this.trainX, index);
      const y = tf.gather(this.trainY, index);
      const { value, grads } = tf.variableGrads(() => {
        const [, ...headOutputs] = this.model.network.apply(x, { training: true }) as tf.Tensor[];
        // The layers' regularizers: the affinity head's diversity term R(w) on its prototypes.
        const regularizers = this.model.network.calculateLosses();
        return tf.addN([this.lossFunction(y, headOutputs), ...regularizers]) as tf.Scalar;
      }, this.variables);
      this.optimizer.applyGradients(grads);
      return value;
    });
    this.lastLoss?.dispose();
    this.lastLoss = loss;
    this.steps++;
  }

  /** Reads back the loss, the test features and predictions, and the head on a grid. */
  async evaluate(grid?: GridRequest): Promise<Snapshot> {
    const classes = this.data.classNames.length;
    const [featuresT, predictedT] = tf.tidy(() => {
      // One batch: predict's default of 32 rows per batch costs a graph run per 32 rows.
      const [features, scores] = this.model.network.predict(this.testX, { batchSize: this.data.test.count }) as tf.Tensor[];
      return [features, tf.argMax(scores, 1)];
    });
    const gridTop = grid === undefined ? null : this.gridTopTwo(grid);
    const lossValue = this.lastLoss === null ? NaN : (await this.lastLoss.data())[0];
    const features = (await featuresT.data()) as Float32Array;
    const predicted = Int32Array.from(await predictedT.data());
    let gridScores: GridScores | undefined;
    if (gridTop !== null && grid !== undefined) {
      const [values, indices] = await Promise.all([gridTop.values.data(), gridTop.indices.data()]);
      const cells = grid.cells * grid.cells;
      gridScores = { request: grid, predicted: new Uint8Array(cells), gap: new Float32Array(cells) };
      for (let cell = 0; cell < cells; cell++) {
        gridScores.predicted[cell] = indices[2 * cell];
        gridScores.gap[cell] = values[2 * cell] - values[2 * cell + 1];
      }
      tf.dispose([gridTop.values, gridTop.indices]);
    }
    tf.dispose([featuresT, predictedT]);
    const labels = this.data.test.labels;
    return {
      step: this.steps,
      loss: lossValue,
      features,
      labels,
      predicted,
      recall: perClassRecall(labels, predicted, { classes }),
      macroF1: macroF1(labels, predicted, { classes }),
      accuracy: accuracy(labels, predicted),
      anchors: await this.model.anchors(),
      grid: gridScores,
    };
  }

  /** The head's two best classes and their scores at each cell of a cells x cells grid. */
  private gridTopTwo({ halfWidth, cells }: GridRequest): { values: tf.Tensor; indices: tf.Tensor } {
    if (this.unitGrid === null || this.unitGrid.shape[0] !== cells * cells) {
      this.unitGrid?.dispose();
      this.unitGrid = unitGrid(cells);
    }
    const unit = this.unitGrid;
    return tf.tidy(() => tf.topk(this.model.headScores(tf.mul(unit, halfWidth) as tf.Tensor2D), 2));
  }

  /** Frees the data on the backend, the optimizer's state and the model. */
  dispose(): void {
    tf.dispose([this.trainX, this.trainY, this.testX]);
    this.unitGrid?.dispose();
    this.lastLoss?.dispose();
    this.optimizer.dispose();
    this.model.dispose();
  }
}

/**
 * Cell centres of a cells x cells grid over [-1, 1]^2, as (cells^2, 2) points, row-major with
 * the top row (y = +1) first, as the canvas draws; scaled to the view's window per frame.
 */
function unitGrid(cells: number): tf.Tensor2D {
  const points = new Float32Array(cells * cells * 2);
  for (let row = 0; row < cells; row++) {
    for (let col = 0; col < cells; col++) {
      const cell = row * cells + col;
      points[2 * cell] = -1 + (2 * col + 1) / cells;
      points[2 * cell + 1] = 1 - (2 * row + 1) / cells;
    }
  }
  return tf.tensor2d(points, [cells * cells, 2]);
}
