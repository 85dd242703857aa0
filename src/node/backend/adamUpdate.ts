/**
 * Adam's update as one wasm kernel per variable, in place of tfjs' ~15 engine ops per variable.
 *
 * Why: `tf.train.adam` updates each variable with separate ops (mul, add, square, div, sqrt, ...)
 * and two fresh scalar tensors per op. On wasm every op costs ~8 us of engine time besides its
 * arithmetic, so a model's small variables (biases, BatchNorm parameters) cost ~0.15 ms each, and
 * a 784x256 kernel ~1.9 ms. Measured on the MLP (784-256-128, 8 variables): 3.5-5.5 ms of a
 * ~16-20 ms training step. The kernel below updates a variable in one call: small variables in a
 * JavaScript loop over the wasm heap (no kernel at all), large ones with the backend's own
 * elementwise kernels called directly (no engine, no scalar uploads).
 *
 * The update is tfjs' (and PyTorch's) Adam, with its state kept where tfjs keeps it (the moment
 * variables, `accBeta1` / `accBeta2`, the iteration count), so `getWeights`, `setWeights`,
 * serialisation and a later switch back to the stock update see what they expect:
 *   m' = b1 m + (1 - b1) g,   v' = b2 v + (1 - b2) g^2,
 *   w' = w - lr (m' / c1) / (sqrt(v' / c2) + eps),   c1 = 1 - b1^t, c2 = 1 - b2^t,
 * written for the large case as w - (lr sqrt(c2) / c1) m' / (sqrt(v') + eps sqrt(c2)) (the same
 * value, Kingma and Ba's section 2 form), which saves two passes. Values agree with the stock
 * update to float32 rounding.
 *
 * Patched on `tf.AdamOptimizer.prototype` (tfjs' optimizers are classes, not kernels): the patch
 * runs only on the wasm backend and hands every other case (other backends, non-float32
 * variables) to the original method.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityLossError } from '../../errors.js';
import { withKernelOps, type KernelOps } from './kernelOps.js';

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

/** The part of the wasm backend the loop form uses. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

/**
 * Variables up to this many entries are updated by the JavaScript loop, larger ones by kernels.
 * The loop costs ~10-30 ns an entry, the 12 kernels ~30 us plus ~8 ns an entry: even near 1-2k.
 */
const LOOP_MAX_SIZE = 1024;

/** m', v', w' by a loop over the wasm heap. */
function updateInLoop(backend: HeapBackend, inputs: AdamInputs, s: AdamStep): tf.TensorInfo[] {
  const outputs = [inputs.value, inputs.m, inputs.v].map((t) => backend.makeOutput(t.shape.slice(), 'float32'));
  // Views taken after every allocation: an allocation can grow the heap and detach older views.
  const [w, g, m, v, w2, m2, v2] = [inputs.value, inputs.gradient, inputs.m, inputs.v, ...outputs].map((t) => backend.typedArrayFromHeap(t));
  const { beta1, beta2, epsilon } = s;
  // In float64, so the reordered constants change nothing at float32 precision.
  const rate = s.learningRate / (1 - s.accBeta1); // lr / c1
  const inverseC2 = 1 / (1 - s.accBeta2);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m2[i] = mi;
    v2[i] = vi;
    w2[i] = w[i] - (rate * mi) / (Math.sqrt(vi * inverseC2) + epsilon);
  }
  return outputs;
}

/** m', v', w' with the backend's elementwise kernels, called directly. */
function updateWithKernels(ops: KernelOps, inputs: AdamInputs, s: AdamStep): tf.TensorInfo[] {
  const mul = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo => ops.run(tf.Multiply, { a, b }, {});
  const add = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo => ops.run(tf.Add, { a, b }, {});
  const { value, gradient, m, v } = inputs;
  const [c1, c2] = [1 - s.accBeta1, 1 - s.accBeta2];
  const m2 = add(mul(m, ops.scalar(s.beta1)), mul(gradient, ops.scalar(1 - s.beta1)));
  const v2 = add(mul(v, ops.scalar(s.beta2)), mul(ops.run(tf.Square, { x: gradient }, {}), ops.scalar(1 - s.beta2)));
  const denominator = add(ops.run(tf.Sqrt, { x: v2 }, {}), ops.scalar(s.epsilon * Math.sqrt(c2)));
  const step = ops.run(tf.RealDiv, { a: mul(m2, ops.scalar((-s.learningRate * Math.sqrt(c2)) / c1)), b: denominator }, {});
  return [add(value, step), m2, v2];
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
    if (tf.util.sizeFromShape(given.value.shape) <= LOOP_MAX_SIZE) return updateInLoop(args.backend as HeapBackend, given, step);
    return withKernelOps(args, 'wasm', (ops) => updateWithKernels(ops, given, step));
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
  if (stock === null) throw new AffinityLossError('affinity-loss: the fused Adam update ran without being installed');
  const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
  const gradientAt = (name: string, i: number): tf.Tensor | undefined =>
    Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
  const variables = tf.engine().registeredVariables;
  const fusable = names.every((name, i) => variables[name]?.dtype === 'float32' && (gradientAt(name, i)?.dtype ?? 'float32') === 'float32');
  if (tf.getBackend() !== 'wasm' || !fusable) {
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
