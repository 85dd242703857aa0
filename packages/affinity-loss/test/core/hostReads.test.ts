// A process of its own: it registers a backend under WebGL's name.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { affinityLoss, checkLabels, crossEntropyLoss, LabelError, maxMarginLoss, NonFiniteError } from '../../src/index.js';

/**
 * The cpu backend's kernels under the name 'webgl', counting every read back: WebGL itself
 * cannot run in Node, and what is tested is only whether the loss path asks for reads there.
 */
let reads = 0;
class ReadCountingBackend extends MathBackendCPU {
  override readSync(dataId: object): ReturnType<MathBackendCPU['readSync']> {
    reads++;
    return super.readSync(dataId);
  }
  override read(dataId: object): ReturnType<MathBackendCPU['read']> {
    reads++;
    return super.read(dataId);
  }
}

before(async () => {
  tf.enableProdMode();
  tf.registerBackend('webgl', () => new ReadCountingBackend());
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'webgl' });
});

const labels = () => tf.oneHot(tf.tensor1d([0, 2, 1, 2], 'int32'), 3).toFloat();
const scores = () => tf.tensor2d([[0.9, 0.1, 0.2], [0.3, 0.2, 0.8], [0.1, 0.7, 0.4], [0.5, 0.4, 0.45]]);

test('on a GPU backend a training step of the losses reads nothing back; on a host backend they check labels and affinities', async () => {
  await tf.setBackend('cpu');
  const onHost = [maxMarginLoss(labels(), scores(), 0.3).dataSync()[0], crossEntropyLoss()(labels(), scores()).dataSync()[0]];
  assert.throws(() => maxMarginLoss(tf.tensor2d([[0, 2, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]), scores(), 0.3), LabelError);
  assert.throws(() => maxMarginLoss(labels(), tf.tensor2d([[NaN, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]]), 0.3), NonFiniteError);

  await tf.setBackend('webgl');
  const x = tf.variable(scores());
  reads = 0;
  const losses = [affinityLoss({ margin: 0.3 }), crossEntropyLoss()];
  for (const loss of losses) {
    // Loss and gradient, as a training step computes them.
    const { value, grads } = tf.variableGrads(() => loss(labels(), x) as tf.Scalar, [x]);
    assert.equal(reads, 0, 'no read back while the step is computed');
    assert.ok(Number.isFinite(value.dataSync()[0]));
    tf.dispose([value, grads]);
    reads = 0;
  }
  // The same numbers as on the host backend.
  assert.deepEqual([maxMarginLoss(labels(), scores(), 0.3).dataSync()[0], crossEntropyLoss()(labels(), scores()).dataSync()[0]], onHost);
  // There, bad labels are caught once, before training, by checkLabels.
  assert.throws(() => checkLabels(tf.tensor2d([[0, 2, 0]]), 3), (e: Error) => e instanceof LabelError && /row 0, class 1 is 2/.test(e.message));
  assert.throws(() => checkLabels(tf.tensor1d([0, 3]), 3), (e: Error) => e instanceof LabelError && /label 3 at row 1/.test(e.message));
  assert.throws(() => checkLabels(tf.tensor3d([[[1]]]), 3), /labels must have shape/);
  checkLabels(labels(), 3);
  await tf.setBackend('cpu');
});
