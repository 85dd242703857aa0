/**
 * wasm `Sum` and `Mean` over leading axes, as an average pooling whose one window spans the rows.
 *
 * Why: the wasm backend reduces only along the innermost axes, so a sum over the rows first
 * transposes the whole tensor, and its transpose is slow (~6 ns per element). Such sums are
 * everywhere in a training step: every bias gradient sums the output gradient over the batch
 * (and over height and width after a convolution), BatchNorm's gradient and statistics reduce
 * over the batch. Viewed as an image of R x 1 pixels with C channels, the rows' mean is one
 * XNNPACK average pooling, a single streaming pass: on a (128, 28, 28, 32) conv output gradient
 * the stock sum took 18-28 ms, this 0.3-1.3 ms; in the small CNN's training step the bias
 * gradients went from ~30 ms to ~2 ms. (A product ones(1, R) x would be as fast only with x
 * already packed as XNNPACK weights; packing a fresh x cost 20 ms.)
 */
import * as tf from '@tensorflow/tfjs';
import { withKernelOps, wrapKernel, type KernelFix } from './kernelOps.js';

/**
 * Tensors from this many entries on take the pooling form. Below it the stock kernel costs
 * under ~0.1 ms, and it keeps the last bit: the pooling form divides by R and multiplies back,
 * so a sum can differ from the stock float32 sum by an ulp (500500.03 for the integers 1..1000).
 */
const MIN_SIZE = 65536;

/**
 * Channels per pixel of the pooling image at most. XNNPACK's average pooling over a window of
 * more than 9 rows keeps a buffer of one float per channel on the stack, and wasm's stack is
 * 64 KiB: 16384 channels overflowed it and corrupted the heap (a crash in a later, unrelated
 * kernel). Wider rows are laid out as several pixels side by side (see `poolingImage`).
 */
const MAX_CHANNELS = 4096;
/** Channels per pixel at least: fewer would leave the pooling's vector lanes mostly idle. */
const MIN_CHANNELS = 64;

/**
 * The pooling image [1, rows, pixels, channels] of a [rows, columns] matrix, with pixels *
 * channels = columns and channels <= MAX_CHANNELS; null when columns has no divisor in
 * [MIN_CHANNELS, MAX_CHANNELS] (e.g. a prime above MAX_CHANNELS), left to the stock kernel.
 * One window of rows x 1 pixels then averages each column over the rows, whatever the split.
 */
function poolingImage(rows: number, columns: number): number[] | null {
  if (columns <= MAX_CHANNELS) return [1, rows, 1, columns];
  for (let pixels = Math.ceil(columns / MAX_CHANNELS); columns / pixels >= MIN_CHANNELS; pixels++) {
    if (columns % pixels === 0) return [1, rows, pixels, columns / pixels];
  }
  return null;
}

/** The rows and columns of `shape` when `axes` are its k leading axes (k < rank); null otherwise. */
function leadingAxes(shape: readonly number[], axes: readonly number[]): { rows: number; columns: number } | null {
  const k = axes.length;
  if (k === 0 || k >= shape.length || !axes.every((axis, i) => axis === i)) return null;
  const rows = shape.slice(0, k).reduce((a, b) => a * b, 1);
  const columns = shape.slice(k).reduce((a, b) => a * b, 1);
  return rows > 1 && columns > 0 && rows * columns >= MIN_SIZE ? { rows, columns } : null;
}

/**
 * `Sum` (or `Mean`) of a large float32 tensor over its leading axes: the mean by average pooling
 * (x as [1, R, pixels, C / pixels], one R x 1 window), times R for the sum. Any other reduction
 * goes to the original kernel.
 */
function rowReductionFix(kernelName: typeof tf.Sum | typeof tf.Mean, backendName: string): KernelFix {
  return wrapKernel(kernelName, backendName, (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const layout = x.dtype === 'float32' ? leadingAxes(x.shape, axes) : null;
    const imageShape = layout === null ? null : poolingImage(layout.rows, layout.columns);
    if (layout === null || imageShape === null) return original.kernelFunc(args);
    const { rows } = layout;
    const outShape = keepDims ? x.shape.map((size, i) => (i < axes.length ? 1 : size)) : x.shape.slice(axes.length);
    return withKernelOps(args, backendName, (ops) => {
      const image = ops.reshape(x, imageShape);
      let result = ops.run(tf.AvgPool, { x: image }, { filterSize: [rows, 1], strides: [1, 1], pad: 'valid' }); // [1, 1, pixels, channels]
      if (kernelName === tf.Sum) {
        result = ops.run(tf.Multiply, { a: result, b: ops.scalar(rows) }, {});
      }
      return ops.reshape(result, outShape);
    });
  });
}

/** `Sum` over leading axes by average pooling. */
export function rowSumFix(backendName: string): KernelFix {
  return rowReductionFix(tf.Sum, backendName);
}

/** `Mean` over leading axes by average pooling. */
export function rowMeanFix(backendName: string): KernelFix {
  return rowReductionFix(tf.Mean, backendName);
}
