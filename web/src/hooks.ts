/**
 * The page's state for scripts: `window.__demo` and `data-*` attributes on <body>. The
 * end-to-end test reads them to know when training runs, how far it got and whether the
 * features moved; anyone can read them from the browser console.
 */

/** Where the page is. */
export type DemoPhase = 'loading' | 'ready' | 'running' | 'paused' | 'error';

/** What `window.__demo` holds. */
export interface DemoState {
  /** Where the page is. */
  phase: DemoPhase;
  /** The TensorFlow.js backend in use ('' until one started). */
  backend: string;
  /** Dataset and head of the current network. */
  dataset: string;
  head: string;
  /** Optimizer steps of the current network. */
  step: number;
  /** Last evaluation on the test set. */
  accuracy: number;
  macroF1: number;
  recall: number[];
  /** Loss of the last step. */
  loss: number;
  /** Tensors alive (tf.memory().numTensors): flat while training when nothing leaks. */
  tensors: number;
  /** Steps per second over the last second. */
  stepsPerSecond: number;
  /** Number of test samples drawn. */
  samples: number;
  /** The message of the last error, if any. */
  error: string | null;
  /** The drawn test features, [x0, y0, x1, y1, ...] (a copy). */
  positions(): number[];
}

declare global {
  interface Window {
    /** The demo's state (see hooks.ts). */
    __demo?: DemoState;
  }
}

let positions: Float32Array = new Float32Array(0);

const state: DemoState = {
  phase: 'loading',
  backend: '',
  dataset: '',
  head: '',
  step: 0,
  accuracy: NaN,
  macroF1: NaN,
  recall: [],
  loss: NaN,
  tensors: 0,
  stepsPerSecond: 0,
  samples: 0,
  error: null,
  positions: () => Array.from(positions),
};

/** Updates the published state and mirrors the scalar fields on <body> as data-* attributes. */
export function publish(update: Partial<Omit<DemoState, 'positions'>>, features?: Float32Array): void {
  Object.assign(state, update);
  if (features !== undefined) {
    positions = features;
    state.samples = features.length / 2;
  }
  window.__demo = state;
  const body = document.body.dataset;
  body.state = state.phase;
  body.backend = state.backend;
  body.step = String(state.step);
  body.accuracy = Number.isFinite(state.accuracy) ? state.accuracy.toFixed(4) : '';
}
