/**
 * Adam's update as one wasm kernel per variable, in place of tfjs' ~15 engine ops per variable.
 *
 * Why: `tf.train.adam` updates each variable with separate ops (mul, add, square, div, sqrt, ...)
 * and two fresh scalar tensors per op. On wasm every op costs ~8 us of engine time besides its
 * arithmetic, so a model's small variables (biases, BatchNorm parameters) cost ~0.15 ms each, and
 * a 784x256 kernel ~1.9 ms. Measured on the MLP (784-256-128, 8 variables): 3.5-5.5 ms of a
 * ~16-20 ms training step. The kernel below updates a variable in one SIMD pass over the wasm
 * heap (simdAdam.ts): ~0.8 ms for the whole MLP, against ~3 ms for the same update composed from
 * the backend's elementwise kernels.
 *
 * The update is tfjs' (and PyTorch's) Adam, with its state kept where tfjs keeps it (the moment
 * variables, `accBeta1` / `accBeta2`, the iteration count), so `getWeights`, `setWeights`,
 * serialisation and a later switch back to the stock update see what they expect:
 *   m' = b1 m + (1 - b1) g,   v' = b2 v + (1 - b2) g^2,
 *   w' = w - lr (m' / c1) / (sqrt(v' / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t,
 * computed as w - (lr sqrt(c2) / c1) m' / (sqrt(v') + eps sqrt(c2)) (the same value, Kingma and
 * Ba's section 2 form, with fewer operations per entry). Values agree with the stock update to
 * float32 rounding.
 *
 * Patched on `tf.AdamOptimizer.prototype` (tfjs' optimizers are classes, not kernels): the patch
 * runs only on the wasm backend and hands every other case (other backends, non-float32
 * variables, a runtime without WebAssembly SIMD) to the original method.
 */
import * as tf from '@tensorflow/tfjs';
import { WasmTrainingError } from './errors.js';
import { simdAdamFor, type SimdAdam } from './simdAdam.js';

/** The kernel's name; registered for wasm only. */
export const ADAM_UPDATE = 'AffinityLossAdamUpdate';

/** The scalars of one update step. */
interface AdamStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** b1^t and b2^t, the optimizer's `accBeta1` and `accBeta2`. */
  accBeta1: number;
  accBeta2: number;
}

/** The part of the wasm backend the SIMD form uses. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/** m', v', w' by the SIMD loop (simdAdam.ts), in one pass over the backend's memory. */
function updateWithSimd(backend: HeapBackend, update: SimdAdam, inputs: AdamInputs, s: AdamStep): tf.TensorInfo[] {
  const outputs = [inputs.value, inputs.m, inputs.v].map((t) => backend.makeOutput(t.shape.slice(), 'float32'));
  // Addresses taken after every allocation: an allocation can grow the heap and detach older views.
  const [value, gradient, m, v, newValue, newM, newV] = [inputs.value, inputs.gradient, inputs.m, inputs.v, ...outputs].map(
    (t) => backend.typedArrayFromHeap(t).byteOffset,
  );
  const [c1, c2] = [1 - s.accBeta1, 1 - s.accBeta2];
  update({ value, gradient, m, v, newValue, newM, newV }, tf.util.sizeFromShape(inputs.value.shape), {
    beta1: s.beta1,
    oneMinusBeta1: 1 - s.beta1,
    beta2: s.beta2,
    oneMinusBeta2: 1 - s.beta2,
    rate: (-s.learningRate * Math.sqrt(c2)) / c1,
    epsilon: s.epsilon * Math.sqrt(c2),
  });
  return outputs;
}

interface AdamInputs {
  value: tf.TensorInfo;
  gradient: tf.TensorInfo;
  m: tf.TensorInfo;
  v: tf.TensorInfo;
}

/** The wasm kernel: inputs value, gradient, m, v; outputs the new value, m and v. */
const adamKernel: tf.KernelConfig = {
  kernelName: ADAM_UPDATE,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const given = args.inputs as unknown as AdamInputs;
    const step = args.attrs as unknown as AdamStep;
    const simd = simdAdamFor(args.backend);
    // fusedApplyGradients checks this before it runs the kernel.
    if (simd === null) throw new WasmTrainingError('tfjs-wasm-training: the fused Adam update needs WebAssembly SIMD and the wasm backend\'s memory');
    return updateWithSimd(args.backend as HeapBackend, simd, given, step);
  },
};

/** What this file reads and writes of a tfjs AdamOptimizer (its fields are protected in TypeScript). */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

/** One entry of the list form of `applyGradients`' argument. */
type NamedGradient = { name: string; tensor: tf.Tensor };

type ApplyGradients = (this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedGradient[]) => void;

/** tfjs' own method, captured when the patch is first installed. */
let stockApplyGradients: ApplyGradients | null = null;

/** A moment slot as tfjs creates it: zeros like the variable, not trainable, named `${name}/${suffix}`. */
function momentSlot(value: tf.Variable, name: string, suffix: 'm' | 'v'): { originalName: string; variable: tf.Variable } {
  return { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
}

/** `AdamOptimizer.applyGradients` with the fused kernel; the same state updates as tfjs' own. */
function fusedApplyGradients(this: tf.AdamOptimizer, variableGradients: tf.NamedTensorMap | NamedGradient[]): void {
  const stock = stockApplyGradients;
  if (stock === null) throw new WasmTrainingError('tfjs-wasm-training: the fused Adam update ran without being installed');
  const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  const gradientAt = (name: string, i: number): tf.Tensor | undefined =>
    Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
  const variables = tf.engine().registeredVariables;
  const fusable = names.every((name, i) => variables[name]?.dtype === 'float32' && (gradientAt(name, i)?.dtype ?? 'float32') === 'float32');
  if (tf.getBackend() !== 'wasm' || !fusable || simdAdamFor(tf.backend()) === null) {
    stock.call(this, variableGradients);
    return;
  }
  const state = this as unknown as AdamState;
  tf.tidy(() => {
    const step: AdamStep = {
      beta1: state.beta1,
      beta2: state.beta2,
      epsilon: state.epsilon,
      learningRate: state.learningRate,
      accBeta1: state.accBeta1.dataSync()[0],
      accBeta2: state.accBeta2.dataSync()[0],
    };
    names.forEach((name, i) => {
      const value = variables[name];
      state.accumulatedFirstMoment[i] ??= momentSlot(value, name, 'm');
      state.accumulatedSecondMoment[i] ??= momentSlot(value, name, 'v');
      const gradient = gradientAt(name, i);
      if (gradient === undefined || gradient === null) return;
      const m = state.accumulatedFirstMoment[i].variable;
      const v = state.accumulatedSecondMoment[i].variable;
      const [newValue, newM, newV] = tf.engine().runKernel(ADAM_UPDATE, { value, gradient, m, v }, step as unknown as tf.NamedAttrMap) as tf.Tensor[];
      m.assign(newM);
      v.assign(newV);
      value.assign(newValue);
    });
    state.accBeta1.assign(tf.mul(state.accBeta1, state.beta1));
    state.accBeta2.assign(tf.mul(state.accBeta2, state.beta2));
  });
  state.incrementIterations();
}

/** Registers the kernel (once) and patches `AdamOptimizer.prototype.applyGradients`. Idempotent. */
export function installAdamUpdate(): void {
  if (tf.getKernel(ADAM_UPDATE, 'wasm') === undefined) tf.registerKernel(adamKernel);
  const prototype = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients };
  if (prototype.applyGradients === fusedApplyGradients) return;
  stockApplyGradients = prototype.applyGradients;
  prototype.applyGradients = fusedApplyGradients;
}

/** Puts the method back that `installAdamUpdate` replaced (unless someone patched over ours since). Idempotent. */
export function removeAdamUpdate(): void {
  const prototype = tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients };
  if (stockApplyGradients !== null && prototype.applyGradients === fusedApplyGradients) prototype.applyGradients = stockApplyGradients;
}

/** True while the fused update is installed. */
export function adamUpdateInstalled(): boolean {
  return (tf.AdamOptimizer.prototype as unknown as { applyGradients: ApplyGradients }).applyGradients === fusedApplyGradients;
}
