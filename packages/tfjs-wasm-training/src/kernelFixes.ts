/**
 * Backend kernels for the gradients that `tf.registerGradient` cannot reach.
 *
 * Why these exist beside the registered gradients: tfjs' *fused* ops (`tf.fused.conv2d`,
 * `tf.fused.matMul`) carry their gradient inside the op (`customGrad`), not in the gradient
 * registry. tf.layers takes that path whenever a conv2d or dense layer has no activation or a
 * linear one while training (conv -> batchNorm -> relu, the last dense before softmax), and its
 * gradient calls three kernels directly:
 *
 * - `Conv2DBackpropFilter`: missing on wasm, so such a model cannot train there at all; ~90x
 *   slower than a forward convolution on the cpu backend.
 * - `Conv2DBackpropInput`: ~4x slower than a forward convolution on wasm.
 * - `BatchMatMul` with transpose flags: ~10x slower than transpose + plain matMul on wasm.
 *
 * So those kernels are provided (or wrapped) for the backends concerned, computing the same
 * forward-convolution forms as the registered gradients (conv2dAlgorithm.ts) through the
 * backend's own kernel functions (kernelOps.ts), never through tfjs ops. A wrapped kernel keeps
 * the original's setup and dispose hooks and falls back to it for what the rewrite does not cover.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmTrainingError } from './errors.js';
import {
  conv2dFilterGradient,
  conv2dInputGradient,
  planConv2DGradient,
  type Conv2DGeometry,
  type Conv2DGradientPlan,
} from './conv2dAlgorithm.js';
import { identityFix, sameTypeCastFix } from './copyFreeKernels.js';
import { withKernelOps, wrapKernel, type KernelArgs, type KernelFix, type KernelOps } from './kernelOps.js';
import { rowMeanFix, rowSumFix } from './rowReductions.js';
import { swapLastTwo } from './tensorOps.js';

function unsupported(kernelName: string, backendName: string, detail: string): Error {
  return new WasmTrainingError(`tfjs-wasm-training: ${kernelName} on the ${backendName} backend supports NHWC convolutions without dilation; got ${detail}`);
}

/**
 * One of the two convolution backprop kernels: where its forward shapes come from (each kernel
 * receives one of the two as a tensor and the other as an attribute) and which gradient it is.
 */
interface Conv2DBackprop {
  readonly kernelName: string;
  /** The forward convolution's input and filter shapes. */
  forwardShapes(args: KernelArgs): { input: readonly number[]; filter: readonly number[] };
  /** The gradient, computed with the kernels of the backend named `backendName`. */
  gradient(ops: KernelOps, args: KernelArgs, plan: Conv2DGradientPlan, backendName: string): tf.TensorInfo;
}

/** `Conv2DBackpropFilter`: inputs x and dy, the filter shape an attribute. */
const filterBackprop: Conv2DBackprop = {
  kernelName: tf.Conv2DBackpropFilter,
  forwardShapes: ({ inputs, attrs }) => ({
    input: (inputs.x as tf.TensorInfo).shape,
    filter: (attrs as unknown as tf.Conv2DBackpropFilterAttrs).filterShape,
  }),
  gradient: (ops, { inputs }, plan, backendName) => conv2dFilterGradient(ops, inputs.x as tf.TensorInfo, inputs.dy as tf.TensorInfo, plan, backendName),
};

/** `Conv2DBackpropInput`: inputs dy and filter, the input shape an attribute. */
const inputBackprop: Conv2DBackprop = {
  kernelName: tf.Conv2DBackpropInput,
  forwardShapes: ({ inputs, attrs }) => ({
    input: (attrs as unknown as tf.Conv2DBackpropInputAttrs).inputShape,
    filter: (inputs.filter as tf.TensorInfo).shape,
  }),
  gradient: (ops, { inputs }, plan) => conv2dInputGradient(ops, inputs.dy as tf.TensorInfo, inputs.filter as tf.TensorInfo, plan),
};

/**
 * A backprop kernel computed as a forward convolution (conv2dAlgorithm.ts). What the rewrite
 * does not cover goes to the original kernel, or, where the backend has none (wasm's filter
 * gradient), fails with an error that says what is supported.
 */
function conv2dBackpropFix(backprop: Conv2DBackprop, backendName: string): KernelFix {
  const { kernelName } = backprop;
  return {
    kernelName,
    backendName,
    make: (original) => ({
      ...original,
      kernelName,
      backendName,
      kernelFunc: (args) => {
        const attrs = args.attrs as unknown as Conv2DGeometry;
        const shapes = backprop.forwardShapes(args);
        const plan = planConv2DGradient(shapes.input, shapes.filter, attrs);
        if (plan === null) {
          if (original !== undefined) return original.kernelFunc(args);
          throw unsupported(kernelName, backendName, `dataFormat ${attrs.dataFormat}, input (${shapes.input}), filter (${shapes.filter})`);
        }
        return withKernelOps(args, backendName, (ops) => backprop.gradient(ops, args, plan, backendName));
      },
    }),
  };
}

/** Turns transpose flags into explicit transposes, then runs the original (XNNPACK) product. */
function batchMatMulFix(backendName: string): KernelFix {
  const kernelName = tf.BatchMatMul;
  return wrapKernel(kernelName, backendName, (original) => (args) => {
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!attrs.transposeA && !attrs.transposeB) return original.kernelFunc(args);
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    return withKernelOps(args, backendName, (ops) => {
      const plainA = attrs.transposeA ? swapLastTwo(ops, a) : a;
      const plainB = attrs.transposeB ? swapLastTwo(ops, b) : b;
      const out = original.kernelFunc({
        ...args,
        inputs: { a: plainA, b: plainB },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
      if (Array.isArray(out)) throw new WasmTrainingError(`tfjs-wasm-training: ${kernelName} returned several outputs`);
      return out;
    });
  });
}

/**
 * What is patched where. cpu gets only the filter gradient: its stock input-gradient kernel is
 * as fast as a forward convolution and its flagged matMul is not slow. The copy-free and
 * row-reduction kernels of wasm (copyFreeKernels.ts, rowReductions.ts) are not about gradients
 * as such, but a training step is where their stock forms cost most.
 */
const KERNEL_FIXES: readonly KernelFix[] = [
  conv2dBackpropFix(filterBackprop, 'wasm'),
  conv2dBackpropFix(inputBackprop, 'wasm'),
  batchMatMulFix('wasm'),
  identityFix('wasm'),
  sameTypeCastFix('wasm'),
  rowSumFix('wasm'),
  rowMeanFix('wasm'),
  conv2dBackpropFix(filterBackprop, 'cpu'),
];

/** Kernels this module registered, keyed `backend/kernel`, with what was there before. */
const installed = new Map<string, { original: tf.KernelConfig | undefined; replacement: tf.KernelConfig }>();

/**
 * Registers the kernel fixes for every backend whose kernels are registered now (a backend's
 * kernels appear when its package is imported: `@tensorflow/tfjs` brings cpu,
 * `@tensorflow/tfjs-backend-wasm` brings wasm). Idempotent: run it again after importing another
 * backend. Returns the `backend/kernel` keys that are patched after the call.
 */
export function installKernelFixes(): string[] {
  for (const fix of KERNEL_FIXES) {
    const key = `${fix.backendName}/${fix.kernelName}`;
    const current = tf.getKernel(fix.kernelName, fix.backendName);
    if (current !== undefined && installed.get(key)?.replacement === current) continue;
    if (tf.getKernelsForBackend(fix.backendName).length === 0) continue;
    const replacement = fix.make(current);
    if (current !== undefined) tf.unregisterKernel(fix.kernelName, fix.backendName);
    tf.registerKernel(replacement);
    installed.set(key, { original: current, replacement });
  }
  return [...installed.keys()];
}

/** Puts back the kernels `installKernelFixes` replaced and removes the ones it added. */
export function removeKernelFixes(): void {
  for (const [key, { original, replacement }] of installed) {
    const { kernelName, backendName } = replacement;
    // Leave alone a kernel someone else registered over ours since.
    if (tf.getKernel(kernelName, backendName) === replacement) {
      tf.unregisterKernel(kernelName, backendName);
      if (original !== undefined) tf.registerKernel(original);
    }
    installed.delete(key);
  }
}
