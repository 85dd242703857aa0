/**
 * Picks the TensorFlow.js backend: WebGL first (the GPU), then wasm (XNNPACK on the CPU), then
 * the plain JavaScript cpu backend, which always works. The page shows which one runs and why
 * the others were skipped.
 */
import * as tf from '@tensorflow/tfjs';

/** The backends the demo tries, fastest first. */
export const BACKEND_NAMES = ['webgl', 'wasm', 'cpu'] as const;

/** One of `BACKEND_NAMES`. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** The backend that runs, and why the ones before it did not. */
export interface BackendChoice {
  /** The active backend. */
  name: BackendName;
  /** Backends tried before it, with the reason each failed. */
  skipped: { name: BackendName; reason: string }[];
}

async function tryBackend(name: BackendName): Promise<string | null> {
  try {
    // The wasm backend and its binaries are loaded only when WebGL is not there.
    if (name === 'wasm') (await import('./wasmBackend')).registerWasmBackend();
    if (!(await tf.setBackend(name))) return 'could not start';
    await tf.ready();
    // A context that starts but cannot run a kernel (a blocked GPU) fails here, not mid-training.
    tf.tidy(() => tf.add(tf.ones([2]), 1).dataSync());
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Starts the first backend that works.
 *
 * @param first a backend to try before the usual order (e.g. from the page's `?backend=` parameter).
 */
export async function startBackend(first?: BackendName): Promise<BackendChoice> {
  const order = first === undefined ? [...BACKEND_NAMES] : [first, ...BACKEND_NAMES.filter((name) => name !== first)];
  const skipped: BackendChoice['skipped'] = [];
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) return { name, skipped };
    skipped.push({ name, reason });
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
