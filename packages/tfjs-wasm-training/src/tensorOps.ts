/**
 * The handful of array operations the gradient rewrites are made of, behind one interface.
 *
 * Why an interface: the same convolution-gradient algorithm runs in two places. Inside a
 * registered gradient it runs on `tf.Tensor`s with ordinary tfjs ops (the tape disposes the
 * intermediates). Inside a backend kernel it must run on raw `TensorInfo`s with the backend's
 * own kernel functions (kernelOps.ts), because tfjs ops called inside a kernel create tensors the
 * engine does not expect there. Writing the algorithm once against `TensorOps` keeps the two in step.
 */
import * as tf from '@tensorflow/tfjs';

/** Explicit [before, after] padding of each of the four NHWC axes. */
export type Padding4D = [[number, number], [number, number], [number, number], [number, number]];

/** Shape-level array operations over some tensor handle `T`. */
export interface TensorOps<T> {
  /** The shape of `t`. */
  shape(t: T): readonly number[];
  /** `t` with the same values in row-major order, viewed as `shape` (same element count). */
  reshape(t: T, shape: number[]): T;
  /** `t` with its axes permuted: axis i of the result is axis `perm[i]` of `t`. */
  transpose(t: T, perm: number[]): T;
  /** `t` with the order of its entries reversed along each of `axes`. */
  reverse(t: T, axes: number[]): T;
  /** `t` with `paddings[i] = [before, after]` zeros added along axis i. */
  pad(t: T, paddings: Array<[number, number]>): T;
  /** The block of `t` of extent `size` starting at index `begin`. */
  slice(t: T, begin: number[], size: number[]): T;
  /** NHWC convolution with stride 1, explicit zero padding and the given dilation. */
  conv2d(x: T, filter: T, padding: Padding4D, dilations: [number, number]): T;
  /** The tensors joined along `axis` (their other axes agree). */
  concat(ts: T[], axis: number): T;
  /** The matrix product a b of two rank-2 tensors, without transpose flags (slow on wasm). */
  matMul(a: T, b: T): T;
}

/** `TensorOps` over `tf.Tensor`, for use inside registered gradients (which run inside a tidy). */
export const tensorOps: TensorOps<tf.Tensor> = {
  shape: (t) => t.shape,
  reshape: (t, shape) => tf.reshape(t, shape),
  transpose: (t, perm) => tf.transpose(t, perm),
  reverse: (t, axes) => tf.reverse(t, axes),
  pad: (t, paddings) => tf.pad(t, paddings),
  slice: (t, begin, size) => tf.slice(t, begin, size),
  conv2d: (x, filter, padding, dilations) =>
    tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, padding, 'NHWC', dilations),
  concat: (ts, axis) => tf.concat(ts, axis),
  matMul: (a, b) => tf.matMul(a, b),
};

/** T(t): `t` with its last two axes swapped (the transpose of a matrix or batch of matrices). */
export function swapLastTwo<T>(ops: TensorOps<T>, t: T): T {
  const perm = ops.shape(t).map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return ops.transpose(t, perm);
}

/**
 * Zero insertion: an NHWC tensor [B, H, W, C] spread to [B, H * strideHeight, W * strideWidth, C]
 * with entry (h, w) at (h * strideHeight, w * strideWidth) and zeros between (and after the last
 * entry). This puts a strided op's output gradient back at the spacing of its input.
 *
 * Done one axis at a time by a reshape that gives the axis a unit neighbour, a pad of that
 * neighbour and a reshape back: every step stays a rank-4 pad, fast on every backend, where a
 * scatter or a strided write would not be.
 */
export function insertZeros<T>(ops: TensorOps<T>, t: T, strideHeight: number, strideWidth: number): T {
  const [batch, height, width, channels] = ops.shape(t);
  let out = t;
  if (strideWidth > 1) {
    out = ops.reshape(out, [batch * height, width, 1, channels]);
    out = ops.pad(out, [[0, 0], [0, 0], [0, strideWidth - 1], [0, 0]]);
    out = ops.reshape(out, [batch, height, width * strideWidth, channels]);
  }
  if (strideHeight > 1) {
    out = ops.reshape(out, [batch, height, 1, width * strideWidth * channels]);
    out = ops.pad(out, [[0, 0], [0, 0], [0, strideHeight - 1], [0, 0]]);
    out = ops.reshape(out, [batch, height * strideHeight, width * strideWidth, channels]);
  }
  return out;
}
