/**
 * Which backends the rewritten gradients run on.
 *
 * Why a policy: `tf.registerGradient` is global, but the rewrites were only measured to help the
 * two CPU backends of tfjs. WebGL, WebGPU and tfjs-node have fast native kernels of their own
 * (and the extra transposes would cost them time), so on those the stock gradient runs.
 */
import * as tf from '@tensorflow/tfjs';

/** True when the active backend is one the gradient rewrites were measured to speed up. */
export function onRewrittenBackend(): boolean {
  const backend = tf.getBackend();
  return backend === 'wasm' || backend === 'cpu';
}

/**
 * True when the active backend is wasm. Some rewrites pay off only there: the input gradient of
 * a strided convolution as a zero-dilated forward convolution is ~3x faster than stock on wasm
 * but ~2.5x slower on the cpu backend, whose stock kernel is as fast as its forward convolution.
 */
export function onWasmBackend(): boolean {
  return tf.getBackend() === 'wasm';
}
