/**
 * Installs (and removes) the training-speed fixes for the wasm and cpu backends: the replacement gradients of
 * `Conv2D`, `BatchMatMul`, `MaxPool` and `FusedBatchNorm`, the kernels that the gradients of
 * tfjs' fused ops call directly and a few wasm kernels a training step leans on (kernelFixes.ts),
 * and Adam's update as one kernel per variable on wasm (adamUpdate.ts).
 *
 * Why gradients and not kernels for those ops: `tf.registerGradient` swaps only the backward
 * formula, built from ordinary tfjs ops whose intermediates the tape disposes. Replacing a
 * forward kernel with tfjs ops leaked tensors and crashed inside `tidy`.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmTrainingError } from './errors.js';
import { adamUpdateInstalled, installAdamUpdate, removeAdamUpdate } from './adamUpdate.js';
import { batchNormGradConfig } from './batchNormGradient.js';
import { conv2dGradConfig } from './conv2dGradient.js';
import { installKernelFixes, removeKernelFixes } from './kernelFixes.js';
import { matMulGradConfig } from './matMulGradient.js';
import { maxPoolGradConfig } from './maxPoolGradient.js';

/** Each replaced gradient, built around the stock config it falls back to. */
const GRADIENT_FIXES: ReadonlyArray<[kernelName: string, make: (stock: tf.GradConfig) => tf.GradConfig]> = [
  [tf.Conv2D, conv2dGradConfig],
  [tf.BatchMatMul, matMulGradConfig],
  [tf.MaxPool, maxPoolGradConfig],
  [tf.FusedBatchNorm, batchNormGradConfig],
];

/** Per kernel: the gradient that was registered before ours, and ours. */
const installed = new Map<string, { stock: tf.GradConfig; replacement: tf.GradConfig }>();

/**
 * Makes training fast on the wasm and cpu backends of tfjs, and makes CNNs trainable on wasm:
 *
 * - `Conv2D`: filter and input gradients as forward convolutions (wasm has no filter-gradient
 *   kernel; the cpu one is ~90x slower than this);
 * - `BatchMatMul` (every `tf.matMul`): explicit transposes instead of transpose flags (~10x on wasm);
 * - `MaxPool` with pool size == stride: a mask instead of the `MaxPoolGrad` kernel (~15x on
 *   wasm, 30x on cpu); on wasm, other pools too, since its kernel drops the gradient of windows
 *   whose maximum is <= 0;
 * - `FusedBatchNorm` (BatchNorm layers): shared terms computed once, no `tile` (~12 kernels
 *   instead of ~25);
 * - the kernels behind the gradients of `tf.fused.conv2d` / `tf.fused.matMul`, which tf.layers
 *   uses for conv2d and dense layers with a linear activation;
 * - on wasm, `Identity` and same-dtype `Cast` without a copy, row sums and means without a
 *   transpose, and Adam's per-variable update in one kernel instead of ~15 ops.
 *
 * Gradients are global in tfjs; the rewrites switch themselves off on other backends (WebGL,
 * WebGPU, tfjs-node), which keep the stock gradients, and for cases they do not cover (dilated
 * or NCHW convolutions, overlapping pools on cpu). Gradient values match the cpu backend's
 * stock ones to float32 rounding, except at ties inside a max-pool window (maxPoolGradient.ts).
 *
 * Idempotent. Kernel fixes reach only the backends whose package is imported when this runs:
 * import `@tensorflow/tfjs-backend-wasm` first, or call `useNodeBackend()`, which does both.
 */
export function installGradientFixes(): void {
  for (const [kernelName, make] of GRADIENT_FIXES) {
    const current = tf.getGradient(kernelName) as tf.GradConfig | undefined;
    if (current !== undefined && installed.get(kernelName)?.replacement === current) continue;
    if (current === undefined) {
      throw new WasmTrainingError(`tfjs-wasm-training: tfjs has no gradient registered for '${kernelName}' to fall back to; is @tensorflow/tfjs loaded twice?`);
    }
    const replacement = make(current);
    tf.registerGradient(replacement);
    installed.set(kernelName, { stock: current, replacement });
  }
  installKernelFixes();
  installAdamUpdate();
}

/** Restores the gradients and kernels that `installGradientFixes` replaced. Idempotent. */
export function removeGradientFixes(): void {
  for (const [kernelName, { stock, replacement }] of installed) {
    if (tf.getGradient(kernelName) === replacement) tf.registerGradient(stock);
    installed.delete(kernelName);
  }
  removeKernelFixes();
  removeAdamUpdate();
}

/** True while the gradient fixes are installed. */
export function gradientFixesInstalled(): boolean {
  const gradients = GRADIENT_FIXES.every(([kernelName]) => {
    const entry = installed.get(kernelName);
    return entry !== undefined && tf.getGradient(kernelName) === entry.replacement;
  });
  return gradients && adamUpdateInstalled();
}
