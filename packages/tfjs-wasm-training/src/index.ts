/**
 * tfjs-wasm-training: makes TensorFlow.js' wasm backend (and its cpu backend) train, and train
 * fast. Stock tfjs-backend-wasm has no Conv2DBackpropFilter kernel, so it cannot train a CNN;
 * its transposed matrix products run ~10x slower than plain ones; Adam is a dozen elementwise
 * kernels per variable. `installGradientFixes()` re-registers the gradients of Conv2D, MatMul,
 * MaxPool and BatchNorm in forms wasm runs well, wraps a few kernels (copy-free Identity and
 * Cast, leading-axis sums as one pooling) and installs a WebAssembly SIMD Adam. Each fixed
 * gradient equals the stock one to float rounding (the tests hold them against each other).
 *
 * ```ts
 * import * as tf from '@tensorflow/tfjs';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { installGradientFixes } from 'tfjs-wasm-training';
 * await tf.setBackend('wasm');
 * installGradientFixes();   // model.fit / optimizers now train CNNs on wasm
 * ```
 */
export { installGradientFixes, removeGradientFixes, gradientFixesInstalled } from './gradientFixes.js';
export { WasmTrainingError } from './errors.js';
