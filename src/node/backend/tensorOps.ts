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
  shape(t: T): readonly number[];
  reshape(t: T, shape: number[]): T;
  transpose(t: T, perm: number[]): T;
  reverse(t: T, axes: number[]): T;
  pad(t: T, paddings: Array<[number, number]>): T;
  slice(t: T, begin: number[], size: number[]): T;
  /** NHWC convolution with stride 1, explicit zero padding and the given dilation. */
  conv2d(x: T, filter: T, padding: Padding4D, dilations: [number, number]): T;
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
};
