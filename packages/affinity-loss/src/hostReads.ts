/**
 * Whether a check may read tensor values back. On the host backends (cpu, wasm, tfjs-node) a
 * read is a copy from memory the process already holds; on a GPU backend (WebGL, WebGPU) it is a
 * synchronous wait for the GPU's queue to drain, once per training step if a loss did it. So the
 * checks inside the loss path (label ranges, NaN affinities) run on the host backends only; on a
 * GPU, labels are checked where they enter (the trainer's datasets, `checkLabels` before
 * `model.fit`) and a NaN shows as a non-finite loss, which the trainer stops on.
 */
import * as tf from '@tensorflow/tfjs';

/** Backends whose tensors live in the process's own memory. */
const HOST_BACKENDS: ReadonlySet<string> = new Set(['cpu', 'wasm', 'tensorflow']);

/** Whether the active backend keeps tensors in host memory, so that reading one back is cheap. */
export function readsBackCheaply(): boolean {
  return HOST_BACKENDS.has(tf.getBackend());
}
