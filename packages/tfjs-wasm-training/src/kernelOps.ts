/**
 * `TensorOps` over raw `TensorInfo`s, run with one backend's own kernel functions.
 *
 * Why: code that runs *inside* a kernel must not call tfjs ops. Those would create engine-tracked
 * tensors in the middle of another kernel; a kernel built that way leaked tensors and crashed
 * inside `tidy` when it was tried. Backend kernels call each other's kernel functions directly and
 * free their scratch outputs with `backend.disposeData`; this class does the same, and remembers
 * every scratch output so that one `dispose()` frees them all, even after an exception.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmTrainingError } from './errors.js';
import type { Padding4D, TensorOps } from './tensorOps.js';

/** The part of a tfjs backend this file needs: freeing the data of a scratch output. */
interface DisposingBackend {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** Runs kernels of one backend on `TensorInfo`s and tracks their outputs for disposal. */
export class KernelOps implements TensorOps<tf.TensorInfo> {
  private readonly scratch: tf.TensorInfo[] = [];

  /**
   * @param backend the backend instance the calling kernel received.
   * @param backendName its registered name, to look its kernels up by.
   */
  constructor(
    private readonly backend: object,
    private readonly backendName: string,
  ) {}

  /** Runs the kernel `kernelName` of this backend; its output is scratch until `keep`. */
  run(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
    const config = tf.getKernel(kernelName, this.backendName);
    if (config === undefined) {
      throw new WasmTrainingError(`tfjs-wasm-training: kernel '${kernelName}' is not registered for backend '${this.backendName}'`);
    }
    const out = config.kernelFunc({ inputs, backend: this.backend, attrs });
    if (Array.isArray(out)) {
      throw new WasmTrainingError(`tfjs-wasm-training: kernel '${kernelName}' returned several outputs where one was expected`);
    }
    this.scratch.push(out);
    return out;
  }

  /** Takes `t` off the scratch list: the caller now owns it (e.g. returns it from a kernel). */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.scratch.indexOf(t);
    if (i >= 0) this.scratch.splice(i, 1);
    return t;
  }

  /** Frees every scratch output not kept. */
  dispose(): void {
    const backend = this.backend as DisposingBackend;
    for (const t of this.scratch.splice(0)) backend.disposeData(t.dataId);
  }

  shape(t: tf.TensorInfo): readonly number[] {
    return t.shape;
  }

  reshape(t: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x: t }, { shape });
  }

  transpose(t: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x: t }, { perm });
  }

  reverse(t: tf.TensorInfo, axes: number[]): tf.TensorInfo {
    return this.run('Reverse', { x: t }, { dims: axes });
  }

  pad(t: tf.TensorInfo, paddings: Array<[number, number]>): tf.TensorInfo {
    return this.run('PadV2', { x: t }, { paddings, constantValue: 0 });
  }

  slice(t: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    return this.run('Slice', { x: t }, { begin, size });
  }

  conv2d(x: tf.TensorInfo, filter: tf.TensorInfo, padding: Padding4D, dilations: [number, number]): tf.TensorInfo {
    return this.run('Conv2D', { x, filter }, { strides: [1, 1], pad: padding, dataFormat: 'NHWC', dilations });
  }

  concat(ts: tf.TensorInfo[], axis: number): tf.TensorInfo {
    // Concat is the one kernel whose inputs are a list rather than named.
    return this.run('Concat', ts as unknown as tf.NamedTensorInfoMap, { axis });
  }

  matMul(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.run('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  }

  /** A float32 scalar holding `value` (an operand of the elementwise kernels). */
  scalar(value: number): tf.TensorInfo {
    return this.run('Fill', {}, { shape: [], value, dtype: 'float32' });
  }
}

/** One kernel to provide or wrap for one backend: `make` receives the kernel registered now, if any. */
export interface KernelFix {
  readonly kernelName: string;
  readonly backendName: string;
  make(original: tf.KernelConfig | undefined): tf.KernelConfig;
}

/** What a kernel function receives. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * A fix that wraps the kernel registered now: `kernelFunc(original)` gives the new kernel
 * function, which falls back to `original` for what it does not cover; the original's setup
 * and dispose hooks are kept.
 *
 * @throws WasmTrainingError at install time when the backend has no such kernel to wrap.
 */
export function wrapKernel(kernelName: string, backendName: string, kernelFunc: (original: tf.KernelConfig) => tf.KernelFunc): KernelFix {
  return {
    kernelName,
    backendName,
    make: (original) => {
      if (original === undefined) throw new WasmTrainingError(`tfjs-wasm-training: ${backendName} has no ${kernelName} kernel to wrap`);
      return { ...original, kernelFunc: kernelFunc(original) };
    },
  };
}

/** Runs `body` with a scratch-tracking `KernelOps`; the returned TensorInfo survives, the rest is freed. */
export function withKernelOps(args: KernelArgs, backendName: string, body: (ops: KernelOps) => tf.TensorInfo): tf.TensorInfo {
  const ops = new KernelOps(args.backend, backendName);
  try {
    return ops.keep(body(ops));
  } finally {
    ops.dispose();
  }
}
