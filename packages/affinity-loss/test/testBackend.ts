/**
 * The backend of the backend-sensitive tests (the head, the losses' gradients, the trainer,
 * save/load, leak checks): tfjs's pure-JS cpu backend by default, the one every machine has;
 * tfjs-node with AFFINITY_TEST_BACKEND=tensorflow, as `npm run test:tfjs-node` runs them after
 * `npm run build:tfjs-node`.
 */
import * as tf from '@tensorflow/tfjs';
import { useNodeBackend } from 'affinity-loss-node';

/** 'cpu', or 'tensorflow' when AFFINITY_TEST_BACKEND says so. */
export const TEST_BACKEND = process.env.AFFINITY_TEST_BACKEND === 'tensorflow' ? 'tensorflow' : 'cpu';

/**
 * Starts the test backend.
 *
 * @throws Error when tfjs-node was asked for but does not load (it is built by `npm run build:tfjs-node`).
 */
export async function useTestBackend(): Promise<void> {
  if (TEST_BACKEND === 'cpu') {
    await tf.setBackend('cpu');
    return;
  }
  const { backend } = await useNodeBackend({ prefer: 'tensorflow', quiet: true });
  if (backend !== 'tensorflow') throw new Error(`AFFINITY_TEST_BACKEND=tensorflow, but tfjs-node did not load (got ${backend}); build it with npm run build:tfjs-node`);
}
