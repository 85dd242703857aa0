/**
 * The gradient of tfjs' `MaxPool` kernel, without the `MaxPoolGrad` kernel.
 *
 * Why, for windows that do not overlap (pool size == stride, the usual 2x2/2): the gradient is
 * dx = (x == upsample(y)) * upsample(dy), a mask and two nearest-neighbour upsamplings. The stock
 * `MaxPoolGrad` kernel is ~4x slower than this on wasm and ~30x slower on the cpu backend
 * (measured on a 128x28x28x32 input); on wasm a broadcasting form of the same mask is another
 * ~4x faster (`windowAxesGradient`).
 *
 * Why, on wasm, for overlapping windows too: the wasm `MaxPoolGrad` of tfjs 4.22 starts its
 * running maximum at `numeric_limits<float>::min()`, the smallest *positive* float, so a window
 * whose maximum is <= 0 (all-negative inputs, or a ReLU-dead window) loses its gradient. There,
 * the gradient is computed exactly with ordinary ops instead (`overlappingPoolGradient`).
 *
 * Ties in the mask form: where several elements of one window equal its maximum, each of them
 * receives the window's gradient, while the stock kernel gives it to the first only. In a CNN
 * such ties come from saturated activations (a window of ReLU zeros, ReLU6 at 6), whose own
 * gradient is zero there, so training is unaffected; with continuous inputs ties have
 * probability zero. The overlapping form breaks ties like the cpu kernel (first in raster order).
 */
import * as tf from '@tensorflow/tfjs';
import { onRewrittenBackend, onWasmBackend } from './fastPath.js';
import { insertZeros, tensorOps } from './tensorOps.js';

/** The window geometry of a max pool, from tfjs' own pool info. */
interface PoolPlan {
  /** Whether the windows tile the (padded) input without overlapping: pool size == stride. */
  readonly disjoint: boolean;
  /** Padding [top, bottom, left, right] ('same' pools whose size the stride does not divide). */
  readonly pads: readonly [number, number, number, number];
  readonly outHeight: number;
  readonly outWidth: number;
  readonly poolHeight: number;
  readonly poolWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
}

function planMaxPool(xShape: readonly number[], attrs: tf.MaxPoolAttrs): PoolPlan | null {
  if (xShape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    xShape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, bottom, left, right } = info.padInfo;
  const plan: PoolPlan = {
    disjoint: info.filterHeight === info.strideHeight && info.filterWidth === info.strideWidth,
    pads: [top, bottom, left, right],
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    poolHeight: info.filterHeight,
    poolWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
  };
  // Every window must lie inside the padded input (tfjs' rounding modes can make one stick out).
  const lastRow = (plan.outHeight - 1) * plan.strideHeight + plan.poolHeight;
  const lastColumn = (plan.outWidth - 1) * plan.strideWidth + plan.poolWidth;
  const inside = lastRow <= info.inHeight + top + bottom && lastColumn <= info.inWidth + left + right;
  const sane = [top, bottom, left, right].every((p) => p >= 0) && plan.outHeight >= 1 && plan.outWidth >= 1;
  return inside && sane ? plan : null;
}

/** `x` padded with -Infinity, the value a padded window position never wins with (as in tfjs' pools). */
function padForPool(x: tf.Tensor4D, plan: PoolPlan): tf.Tensor4D {
  const [top, bottom, left, right] = plan.pads;
  if (top + bottom + left + right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], -Infinity);
}

/** The inverse of `padForPool`: the rows and columns of the unpadded input. */
function unpad(dx: tf.Tensor4D, plan: PoolPlan, xShape: readonly number[]): tf.Tensor4D {
  const [top, bottom, left, right] = plan.pads;
  if (top + bottom + left + right === 0) return dx;
  return tf.slice(dx, [0, top, left, 0], [xShape[0], xShape[1], xShape[2], xShape[3]]);
}

/** Zero rows and columns after `t`, or a crop where an amount is negative, up to `height` x `width`. */
function fitTo(t: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [batch, h, w, channels] = t.shape;
  let out = t;
  if (h > height || w > width) out = tf.slice(out, [0, 0, 0, 0], [batch, Math.min(h, height), Math.min(w, width), channels]);
  const [, h2, w2] = out.shape;
  if (h2 < height || w2 < width) out = tf.pad(out, [[0, 0], [0, height - h2], [0, width - w2], [0, 0]]);
  return out;
}

/**
 * Nearest-neighbour upsampling by whole factors. Half-pixel centres make the source index
 * floor((i + 0.5) / factor), exact for every factor; without them i * (1 / factor) can round
 * down at multiples of the factor.
 */
function upsample(t: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.image.resizeNearestNeighbor(t, [height, width], false, true);
}

/** dx of a pool whose windows do not overlap: the mask form. */
function disjointPoolGradient(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, plan: PoolPlan): tf.Tensor4D {
  const padded = padForPool(x, plan);
  const [batch, height, width, channels] = padded.shape;
  const coveredHeight = plan.outHeight * plan.strideHeight;
  const coveredWidth = plan.outWidth * plan.strideWidth;
  const whole = coveredHeight === height && coveredWidth === width;
  const covered = whole ? padded : tf.slice(padded, [0, 0, 0, 0], [batch, coveredHeight, coveredWidth, channels]);
  const dx = onWasmBackend() ? windowAxesGradient(covered, y, dy, plan) : upsampledGradient(covered, y, dy);
  // Rows and columns that no window covered (a valid pool's remainder) get no gradient.
  return unpad(whole ? dx : fitTo(dx, height, width), plan, x.shape);
}

/** The mask form with y and dy upsampled to the covered input: (x == up(y)) * up(dy). */
function upsampledGradient(covered: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [, height, width] = covered.shape;
  const isMax = tf.cast(tf.equal(covered, upsample(y, height, width)), 'float32');
  return tf.mul(isMax, upsample(dy, height, width)) as tf.Tensor4D;
}

/**
 * The mask form for wasm, with each window on axes of its own: the covered input viewed as
 * (B * OH, pool height, OW, pool width, C) against y and dy viewed as (B * OH, 1, OW, 1, C), so
 * broadcasting does the upsampling. And as y is the maximum of its window, x == y exactly where
 * y - x is 0, so the mask is 1 - step(y - x), without wasm's comparison kernels. On a
 * (128, 28, 28, 32) input this is ~9 ms against ~35-50 ms for `upsampledGradient` on wasm (whose
 * `Equal` and `ResizeNearestNeighbor` are slow); on cpu broadcasting is slow instead, so cpu
 * keeps `upsampledGradient`. Same values, -Infinity padding included (y - (-Infinity) > 0);
 * only a NaN input, which no comparison matches, would get the window's gradient here.
 */
function windowAxesGradient(covered: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, plan: PoolPlan): tf.Tensor4D {
  const [batch, , , channels] = covered.shape;
  const { outHeight, outWidth, poolHeight, poolWidth } = plan;
  const windows = tf.reshape(covered, [batch * outHeight, poolHeight, outWidth, poolWidth, channels]);
  const perWindow = (t: tf.Tensor4D): tf.Tensor => tf.reshape(t, [batch * outHeight, 1, outWidth, 1, channels]);
  const isMax = tf.sub(1, tf.step(tf.sub(perWindow(y), windows)));
  return tf.reshape(tf.mul(isMax, perWindow(dy)), covered.shape) as tf.Tensor4D;
}

/**
 * dx of any pool, exactly as the cpu kernel computes it, with ordinary ops: for each position
 * (i, j) inside the window, the strided slice of x at that offset is compared with y; the
 * window's gradient goes to the first offset (raster order) that holds the maximum, and is put
 * back at stride spacing by zero insertion and a shift. Costs one pass per window position.
 */
function overlappingPoolGradient(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D, plan: PoolPlan): tf.Tensor4D {
  const padded = padForPool(x, plan);
  const [batch, height, width, channels] = padded.shape;
  const { outHeight, outWidth, strideHeight: sh, strideWidth: sw } = plan;
  let taken: tf.Tensor | null = null;
  let dx: tf.Tensor4D = tf.zeros(padded.shape);
  for (let i = 0; i < plan.poolHeight; i++) {
    for (let j = 0; j < plan.poolWidth; j++) {
      const atOffset = tf.stridedSlice(
        padded,
        [0, i, j, 0],
        [batch, i + (outHeight - 1) * sh + 1, j + (outWidth - 1) * sw + 1, channels],
        [1, sh, sw, 1],
      );
      let wins = tf.equal(atOffset, y);
      if (taken !== null) wins = tf.logicalAnd(wins, tf.logicalNot(taken));
      taken = taken === null ? wins : tf.logicalOr(taken, wins);
      const routed = tf.mul(tf.cast(wins, 'float32'), dy); // [B, OH, OW, C]
      // Zero insertion puts entry (oh, ow) at (oh * sh, ow * sw); the pad then shifts it by (i, j).
      const spread = insertZeros(tensorOps, routed, sh, sw);
      const shifted = tf.pad(spread, [[0, 0], [i, 0], [j, 0], [0, 0]]) as tf.Tensor4D;
      dx = tf.add(dx, fitTo(shifted, height, width));
    }
  }
  return unpad(dx, plan, x.shape);
}

/**
 * Builds the replacement gradient config of `MaxPool`. `stock` is tfjs' own config, used for
 * overlapping windows on the cpu backend (its kernel is correct there) and on backends other
 * than wasm and cpu.
 */
export function maxPoolGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.MaxPool,
    inputsToSave: ['x'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
      const plan = onRewrittenBackend() ? planMaxPool(x.shape, attrs as unknown as tf.MaxPoolAttrs) : null;
      if (plan === null) return stock.gradFunc(dy, saved, attrs);
      if (plan.disjoint) return { x: () => disjointPoolGradient(x, y, dy as tf.Tensor4D, plan) };
      if (onWasmBackend()) return { x: () => overlappingPoolGradient(x, y, dy as tf.Tensor4D, plan) };
      return stock.gradFunc(dy, saved, attrs);
    },
  };
}
