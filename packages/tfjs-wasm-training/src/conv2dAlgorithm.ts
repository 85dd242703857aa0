/**
 * Both gradients of a 2-D convolution, written as *forward* convolutions.
 *
 * Why: the wasm backend has no `Conv2DBackpropFilter` kernel at all, its `Conv2DBackpropInput`
 * is 4-10x slower than its forward convolution, and the cpu backend's filter-gradient kernel is
 * one to two orders of magnitude slower than its forward convolution. A forward convolution
 * (XNNPACK on wasm) computes the same sums once the axes are arranged right:
 *
 * - filter gradient: dW[kh,kw,ci,co] = sum over b, oh, ow of xpad[b, oh*s+kh, ow*s+kw, ci] * dy[b,oh,ow,co].
 *   Read the channels ci as a batch and the examples b as input channels: this is a stride-1
 *   convolution of x^T [Cin, H, W, B] with dy^T [OH, OW, B, Cout] as the filter, dilated by
 *   the forward stride, giving [Cin, KH, KW, Cout]. (With few input channels, on wasm, a matrix
 *   product of the input's patches is faster: `filterGradientByPatches`.)
 * - input gradient: dx[i] = sum_k dyd[i + pad - k] * W[k], with dyd the output gradient with
 *   (stride - 1) zeros inserted between its entries. That is a stride-1 convolution of the
 *   padded dyd with the filter flipped in space and its in/out channels swapped.
 *
 * The padding arithmetic follows tfjs' own `computeConv2DInfo`, so 'same', 'valid', explicit
 * pads and any stride are handled; dilated forward convolutions and NCHW are not (`planConv2DGradient`
 * returns null and the caller falls back to tfjs' stock gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { insertZeros, type Padding4D, type TensorOps } from './tensorOps.js';

/** One spatial axis of a forward convolution. */
export interface ConvAxis {
  /** Input length (H or W). */
  readonly input: number;
  /** Output length (OH or OW). */
  readonly output: number;
  /** Filter length (KH or KW). */
  readonly filter: number;
  /** Step of the filter between neighbouring outputs (the forward convolution's stride). */
  readonly stride: number;
  /** Zero padding before the first input row (top or left). */
  readonly padBefore: number;
}

/** Sizes of a forward NHWC convolution, enough to lay out both of its gradients. */
export interface Conv2DGradientPlan {
  /** B, examples in the batch. */
  readonly batch: number;
  /** Cin, channels of the forward input. */
  readonly inChannels: number;
  /** Cout, channels of the forward output (filters). */
  readonly outChannels: number;
  /** The vertical axis: H, OH, KH, its stride and top padding. */
  readonly height: ConvAxis;
  /** The horizontal axis: W, OW, KW, its stride and left padding. */
  readonly width: ConvAxis;
}

/** The attributes tfjs gives the Conv2D kernel and its two backprop kernels. */
export interface Conv2DGeometry {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Lays out the gradients of the convolution of an input of `xShape` with a filter of
 * `filterShape`, or returns null where the forward-convolution form does not apply: NCHW,
 * dilation > 1, shapes of rank other than 4, or paddings so large that a crop would be empty.
 */
export function planConv2DGradient(
  xShape: readonly number[],
  filterShape: readonly number[],
  geometry: Conv2DGeometry,
): Conv2DGradientPlan | null {
  if (xShape.length !== 4 || filterShape.length !== 4) return null;
  if ((geometry.dataFormat ?? 'NHWC') !== 'NHWC') return null;
  const dilations = geometry.dilations ?? 1;
  if (!tf.backend_util.tupleValuesAreOne(dilations)) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    geometry.strides,
    1,
    geometry.pad,
    geometry.dimRoundingMode,
    false,
    'channelsLast',
  );
  const plan: Conv2DGradientPlan = {
    batch: info.batchSize,
    inChannels: info.inChannels,
    outChannels: info.outChannels,
    height: {
      input: info.inHeight,
      output: info.outHeight,
      filter: info.filterHeight,
      stride: info.strideHeight,
      padBefore: info.padInfo.top,
    },
    width: {
      input: info.inWidth,
      output: info.outWidth,
      filter: info.filterWidth,
      stride: info.strideWidth,
      padBefore: info.padInfo.left,
    },
  };
  const axes = [plan.height, plan.width];
  const usable = axes.every((a) => a.output >= 1 && filterAxis(a).keep >= 1 && inputAxis(a).keep >= 1);
  return usable ? plan : null;
}

/** How the input must be cropped and padded along one axis for the filter-gradient convolution. */
function filterAxis(a: ConvAxis): { keep: number; before: number; after: number } {
  // Rows of the padded input that the forward pass read; rows past them never met the filter.
  const used = (a.output - 1) * a.stride + a.filter;
  const tail = used - a.padBefore - a.input;
  return tail >= 0
    ? { keep: a.input, before: a.padBefore, after: tail }
    : { keep: a.input + tail, before: a.padBefore, after: 0 };
}

/** How the zero-dilated output gradient must be cropped and padded along one axis. */
function inputAxis(a: ConvAxis): { start: number; keep: number; before: number; after: number } {
  const dilated = a.output * a.stride; // includes stride - 1 trailing zeros
  const before = a.filter - 1 - a.padBefore;
  const after = a.input + a.padBefore - dilated;
  // A negative amount means those entries only ever met padding: crop them instead.
  const start = Math.max(0, -before);
  return { start, keep: dilated - start - Math.max(0, -after), before: Math.max(0, before), after: Math.max(0, after) };
}

/**
 * dL/dW of a forward convolution. `x` is the forward input [B, H, W, Cin], `dy` the output
 * gradient [B, OH, OW, Cout]; returns [KH, KW, Cin, Cout]. On wasm, as one matrix product of the
 * input's patches where that pays (`usePatches`); otherwise as one forward convolution.
 *
 * @param backendName the backend `ops` runs on, which decides the form.
 */
export function conv2dFilterGradient<T>(ops: TensorOps<T>, x: T, dy: T, plan: Conv2DGradientPlan, backendName: string): T {
  return usePatches(plan, backendName) ? filterGradientByPatches(ops, x, dy, plan) : filterGradientByConvolution(ops, x, dy, plan);
}

/**
 * Whether the filter gradient is cheaper as a product of patches than as a convolution: on wasm,
 * for stride-1 convolutions with at most 3 input channels (grey or colour images). The
 * convolution form's output then has only KH * KW * Cin rows (9 for a first layer on grey
 * images), too few for XNNPACK to run at speed. Measured with a fresh dy at every call, as in
 * training (XNNPACK packs its weights operand, dy here, anew for each new tensor; that packing is
 * most of either form's cost): 28x28x1 -> 32, batch 128, 46 ms as patches against 66 ms as a
 * convolution; 32x32x3 -> 32, 77 against 95 ms; at 4 channels the convolution wins (30 against
 * 42 ms), and at 32 clearly (114 against 164 ms). On the cpu backend the patches lose at every
 * width (2-7x: its slices and concat are slow).
 */
function usePatches(plan: Conv2DGradientPlan, backendName: string): boolean {
  return backendName === 'wasm' && plan.height.stride === 1 && plan.width.stride === 1 && plan.inChannels <= PATCHES_MAX_IN_CHANNELS;
}

/** Input channels up to which `usePatches` takes the patch form on wasm (measured, see there). */
const PATCHES_MAX_IN_CHANNELS = 3;

/**
 * The filter gradient of a stride-1 convolution as one matrix product: with P the patch matrix,
 * one row per filter tap (kh, kw, ci) and one column per output position (b, oh, ow), holding
 * xpad[b, oh + kh, ow + kw, ci], dW = P dy, dy read as [B * OH * OW, Cout]. P is built from
 * KH * KW shifted slices of the padded input, channels first so each slice is a block of rows.
 */
export function filterGradientByPatches<T>(ops: TensorOps<T>, x: T, dy: T, plan: Conv2DGradientPlan): T {
  const { batch, inChannels, outChannels } = plan;
  const h = filterAxis(plan.height);
  const w = filterAxis(plan.width);
  const [outH, outW] = [plan.height.output, plan.width.output];
  // [Cin, B, H, W]: for one channel the same values in the same order, so a reshape will do.
  let channelsFirst = inChannels === 1 ? ops.reshape(x, [1, batch, plan.height.input, plan.width.input]) : ops.transpose(x, [3, 0, 1, 2]);
  if (h.keep < plan.height.input || w.keep < plan.width.input) {
    channelsFirst = ops.slice(channelsFirst, [0, 0, 0, 0], [inChannels, batch, h.keep, w.keep]);
  }
  const padded = ops.pad(channelsFirst, [[0, 0], [0, 0], [h.before, h.after], [w.before, w.after]]);
  const positions = batch * outH * outW;
  const taps: T[] = [];
  for (let kh = 0; kh < plan.height.filter; kh++) {
    for (let kw = 0; kw < plan.width.filter; kw++) {
      taps.push(ops.reshape(ops.slice(padded, [0, 0, kh, kw], [inChannels, batch, outH, outW]), [inChannels, positions]));
    }
  }
  const patches = taps.length === 1 ? taps[0] : ops.concat(taps, 0); // [KH * KW * Cin, B * OH * OW]
  const dW = ops.matMul(patches, ops.reshape(dy, [positions, outChannels]));
  return ops.reshape(dW, [plan.height.filter, plan.width.filter, inChannels, outChannels]);
}

/**
 * The filter gradient as one forward convolution: x^T [Cin, H, W, B] with dy^T [OH, OW, B, Cout]
 * as the filter, dilated by the forward stride (see the top of the file).
 */
export function filterGradientByConvolution<T>(ops: TensorOps<T>, x: T, dy: T, plan: Conv2DGradientPlan): T {
  const h = filterAxis(plan.height);
  const w = filterAxis(plan.width);
  let xT = ops.transpose(x, [3, 1, 2, 0]); // [Cin, H, W, B]
  if (h.keep < plan.height.input || w.keep < plan.width.input) {
    xT = ops.slice(xT, [0, 0, 0, 0], [plan.inChannels, h.keep, w.keep, plan.batch]);
  }
  const dyT = ops.transpose(dy, [1, 2, 0, 3]); // [OH, OW, B, Cout]
  const padding: Padding4D = [[0, 0], [h.before, h.after], [w.before, w.after], [0, 0]];
  const dW = ops.conv2d(xT, dyT, padding, [plan.height.stride, plan.width.stride]); // [Cin, KH, KW, Cout]
  return ops.transpose(dW, [1, 2, 0, 3]);
}

/**
 * dL/dx of a forward convolution, as one forward convolution. `dy` is the output gradient
 * [B, OH, OW, Cout], `filter` the forward filter [KH, KW, Cin, Cout]; returns [B, H, W, Cin].
 */
export function conv2dInputGradient<T>(ops: TensorOps<T>, dy: T, filter: T, plan: Conv2DGradientPlan): T {
  const { batch, outChannels } = plan;
  const { output: outH, stride: sh } = plan.height;
  const { output: outW, stride: sw } = plan.width;
  let d = insertZeros(ops, dy, sh, sw); // [B, OH * sh, OW * sw, Cout]
  const h = inputAxis(plan.height);
  const w = inputAxis(plan.width);
  if (h.keep < outH * sh || w.keep < outW * sw) {
    d = ops.slice(d, [0, h.start, w.start, 0], [batch, h.keep, w.keep, outChannels]);
  }
  const flipped = ops.transpose(ops.reverse(filter, [0, 1]), [0, 1, 3, 2]); // [KH, KW, Cout, Cin]
  return ops.conv2d(d, flipped, [[0, 0], [h.before, h.after], [w.before, w.after], [0, 0]], [1, 1]);
}
