/**
 * `useNodeBackend()`: picks the fastest tfjs backend this Node process can run, and makes it
 * able to train.
 *
 * Order: tfjs-node (native TensorFlow, only when the user has installed
 * `@tensorflow/tfjs-node`; never a dependency of this package) -> wasm (XNNPACK with SIMD, loads
 * offline) -> cpu (pure JavaScript, always there). Stock wasm cannot train a CNN and trains an
 * MLP 4x slower than it could, hence the gradient fixes (gradientFixes.ts) on wasm and cpu.
 *
 * Which of tfjs-node and wasm is faster depends on the model (`npm run bench:train`, one
 * process each, results/training-speed-tfjs-node): tfjs-node trains the small CNN at 1.4-1.5x of
 * our wasm on both cores, but the MLP at 0.6x of wasm on one core (its per-op overhead weighs on
 * ~10 ms steps). Hence `workload`.
 */
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, AffinityLossError } from 'affinity-loss/internal/errors.js';
import { requireOneOf } from 'affinity-loss/internal/validate.js';
import { gradientFixesInstalled, installGradientFixes } from 'tfjs-wasm-training';

/** The Node backends of tfjs, by their registered names. 'tensorflow' is tfjs-node. */
export type NodeBackendName = 'tensorflow' | 'wasm' | 'cpu';

const BACKENDS: readonly NodeBackendName[] = ['tensorflow', 'wasm', 'cpu'];

/** What a backend is chosen for: models with convolutions, or small dense models (MLPs). */
export type NodeWorkload = 'convolutional' | 'dense';

const WORKLOADS: readonly NodeWorkload[] = ['convolutional', 'dense'];

/**
 * The backend to try first for a workload: tfjs-node for convolutions, wasm for dense models,
 * where each was measured the faster (see the file comment).
 */
export function preferredBackend(workload: NodeWorkload): NodeBackendName {
  return workload === 'convolutional' ? 'tensorflow' : 'wasm';
}

/** Options of `useNodeBackend`. */
export interface NodeBackendOptions {
  /**
   * The backend to try first; the others follow in the order tensorflow, wasm, cpu.
   * Default: `preferredBackend(workload)` when `workload` is given, else 'tensorflow'. tfjs-node
   * is skipped silently when `@tensorflow/tfjs-node` is not installed, unless named here.
   */
  prefer?: NodeBackendName;
  /** What will be trained, when `prefer` is not given: picks the faster backend for it. */
  workload?: NodeWorkload;
  /** No console warning when a backend cannot start and the next one is used. Default false. */
  quiet?: boolean;
}

/** What `useNodeBackend` set up. */
export interface NodeBackendInfo {
  /** The active tfjs backend. */
  backend: NodeBackendName;
  /**
   * Whether the gradient fixes are installed. True on wasm and cpu; false on tfjs-node, whose
   * native kernels need none.
   */
  gradientFixes: boolean;
}

// The package name is in a variable so that TypeScript does not try to resolve an optional
// package that is not installed; Node resolves it at run time.
const TFJS_NODE = '@tensorflow/tfjs-node';

/** Starts one backend; resolves to why it could not, or null on success. */
async function start(name: NodeBackendName): Promise<string | null> {
  try {
    if (name === 'tensorflow') {
      await import(TFJS_NODE);
      if (tf.findBackendFactory('tensorflow') === null) {
        return `${TFJS_NODE} loaded but registered no 'tensorflow' backend (two copies of @tensorflow/tfjs?)`;
      }
    } else if (name === 'wasm') {
      // Importing registers the backend and its kernels; the .wasm binary is read from the
      // package's own folder, so no network and no setWasmPaths are needed in Node.
      await import('@tensorflow/tfjs-backend-wasm');
    }
    // tfjs reports why a backend failed to initialise only through its own (silenced) log.
    return (await tf.setBackend(name)) ? null : `tf.setBackend('${name}') returned false`;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}

async function select(options: NodeBackendOptions): Promise<NodeBackendInfo> {
  // Prod mode first: it also silences tfjs' own multi-line warnings when a backend fails to start.
  tf.enableProdMode();
  const first = options.prefer ?? (options.workload === undefined ? 'tensorflow' : preferredBackend(options.workload));
  const order = [first, ...BACKENDS.filter((b) => b !== first)];
  const failures: string[] = [];
  for (const name of order) {
    const failure = await start(name);
    if (failure === null) {
      if (failures.length > 0 && options.quiet !== true) {
        console.warn(`affinity-loss: ${failures.join('; ')}; using the ${name} backend`);
      }
      // The fixes only help the JavaScript and wasm backends; tfjs-node has native gradient kernels.
      if (name !== 'tensorflow') installGradientFixes();
      return { backend: name, gradientFixes: name !== 'tensorflow' && gradientFixesInstalled() };
    }
    // A missing tfjs-node is the normal case: worth a word only when it was asked for by name.
    if (name !== 'tensorflow' || options.prefer === 'tensorflow') {
      failures.push(`the ${name} backend could not start (${failure})`);
    }
  }
  // Unreachable in practice: the cpu backend ships with @tensorflow/tfjs.
  throw new AffinityLossError(`affinity-loss: no tfjs backend could start, not even cpu: ${failures.join('; ')}`);
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Selects the fastest available tfjs backend for Node and prepares it for training:
 * `@tensorflow/tfjs-node` when installed, else wasm with the gradient fixes, else cpu (with the
 * fixes too, and a one-line warning); with `workload: 'dense'`, wasm before tfjs-node. Also
 * calls `tf.enableProdMode()`.
 *
 * Idempotent and safe to call concurrently: calls run one after another, so two callers never
 * race to initialise the same backend.
 *
 * @example
 * const { backend } = await useNodeBackend();          // 'wasm' here
 * await useNodeBackend({ workload: 'convolutional' });  // tfjs-node when installed
 * await useNodeBackend({ prefer: 'cpu', quiet: true }); // e.g. to compare against
 */
export async function useNodeBackend(options: NodeBackendOptions = {}): Promise<NodeBackendInfo> {
  if (options === null || typeof options !== 'object') {
    throw new AffinityConfigError(`useNodeBackend options must be an object, got ${String(options)}`);
  }
  if (options.prefer !== undefined) requireOneOf('prefer', options.prefer, BACKENDS);
  if (options.workload !== undefined) requireOneOf('workload', options.workload, WORKLOADS);
  if (options.quiet !== undefined && typeof options.quiet !== 'boolean') {
    throw new AffinityConfigError(`quiet must be true or false, got ${String(options.quiet)}`);
  }
  const run = queue.then(() => select(options));
  queue = run.catch(() => undefined);
  return run;
}
