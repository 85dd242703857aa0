/**
 * The gradient of tfjs' `Conv2D` kernel, with both halves computed by forward convolutions
 * (conv2dAlgorithm.ts). Registered with `tf.registerGradient`, which replaces the gradient and
 * leaves the kernels alone.
 *
 * Why: stock tfjs computes dW with the `Conv2DBackpropFilter` kernel, which the wasm backend
 * lacks (no CNN trains on wasm without this) and which is ~90x slower than a forward
 * convolution on the cpu backend. dx uses `Conv2DBackpropInput`, ~4x slower than a forward
 * convolution on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGradient, conv2dInputGradient, planConv2DGradient } from './conv2dAlgorithm.js';
import { onRewrittenBackend, onWasmBackend } from './fastPath.js';
import { tensorOps } from './tensorOps.js';

/**
 * Builds the replacement gradient config of `Conv2D`. `stock` is tfjs' own config, used for
 * what the rewrite does not cover (NCHW, dilation > 1, backends other than wasm and cpu), so
 * those keep exactly their stock behaviour, error messages included.
 */
export function conv2dGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.Conv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
      const plan = onRewrittenBackend()
        ? planConv2DGradient(x.shape, filter.shape, attrs as unknown as tf.Conv2DAttrs)
        : null;
      if (plan === null) return stock.gradFunc(dy, saved, attrs);
      const stockGrads = (): ReturnType<tf.GradFunc> => stock.gradFunc(dy, saved, attrs);
      // Strided input gradients pay off on wasm only (see fastPath.ts); elsewhere keep the stock kernel.
      const fastInput = onWasmBackend() || (plan.height.stride === 1 && plan.width.stride === 1);
      return {
        x: fastInput ? () => conv2dInputGradient(tensorOps, dy as tf.Tensor, filter, plan) : () => stockGrads().x(),
        filter: () => conv2dFilterGradient(tensorOps, x, dy as tf.Tensor, plan, tf.getBackend()),
      };
    },
  };
}
