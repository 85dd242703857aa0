/**
 * wasm kernels that copy a buffer where sharing it is enough: `Identity` (every `tf.clone`, and
 * the engine's copy of each tensor a gradient saves for the backward pass) and `Cast` to the
 * dtype the tensor already has (in tfjs' ReLU gradient, `cast(step(x), 'float32')`).
 *
 * Why: the stock wasm kernels allocate a new buffer and copy the input into it. Tensors never
 * change once written (a variable's `assign` points it at another buffer), so the copy buys
 * nothing, and the cpu and WebGL backends share the buffer instead, as wasm's own `Reshape`
 * does. A training step of the small CNN (batch 128) made ~60 such copies, 7-8 ms of its
 * ~340 ms; every copy of a (128, 28, 28, 32) activation cost 1.2 ms.
 */
import * as tf from '@tensorflow/tfjs';
import { wrapKernel, type KernelFix } from './kernelOps.js';

/** The part of the wasm backend these kernels use: its reference count per buffer. */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** `x` again, on the same buffer, one more reference to it counted. */
function share(backend: object, x: tf.TensorInfo): tf.TensorInfo {
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape.slice(), dtype: x.dtype };
}

/**
 * Wraps `kernelName` so that `shares(args)` calls return the input's buffer; other calls (string
 * tensors, real dtype conversions) go to the original kernel.
 */
function sharingFix(kernelName: string, backendName: string, shares: (x: tf.TensorInfo, attrs: tf.NamedAttrMap) => boolean): KernelFix {
  return wrapKernel(kernelName, backendName, (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    return shares(x, args.attrs ?? {}) ? share(args.backend, x) : original.kernelFunc(args);
  });
}

/** `Identity` without a copy (string tensors, which wasm keeps outside its heap, go to the original). */
export function identityFix(backendName: string): KernelFix {
  return sharingFix(tf.Identity, backendName, (x) => x.dtype !== 'string');
}

/** `Cast` to the dtype the input already has, without a copy; real conversions go to the original. */
export function sameTypeCastFix(backendName: string): KernelFix {
  return sharingFix(tf.Cast, backendName, (x, attrs) => x.dtype !== 'string' && (attrs as unknown as tf.CastAttrs).dtype === x.dtype);
}
