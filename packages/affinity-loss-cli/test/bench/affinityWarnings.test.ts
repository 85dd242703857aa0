/**
 * The affinity head's warnings as an experiment reports them (AffinityMonitor, wired in by
 * runExperiment): a sigma far from the feature distances, and a diversity regularizer that must
 * crowd the prototypes. The diagnostics themselves are tested in the library.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { runExperiment } from '../../src/bench/experiment.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

test('training with a sigma far from the feature distances warns once, saying what to do; a matched sigma does not', async () => {
  const run = async (sigma: number, featureWidth = 10, diversityWeight?: number) => {
    const warnings: string[] = [];
    const outcome = await runExperiment(
      { dataset: 'gaussians', method: 'affinity', featureWidth, epochs: 2, batchSize: 64, sigma, diversityWeight },
      {},
      { onWarning: (message) => warnings.push(message) },
    );
    outcome.classifier.dispose();
    return { warnings, diagnostics: outcome.affinityDiagnostics! };
  };
  const tiny = await run(0.01);
  assert.equal(tiny.warnings.length, 1, tiny.warnings.join('\n'));
  assert.match(tiny.warnings[0], /epoch 1: \d+% of probed training samples have every class affinity below 0\.0001 .*sigma 0\.0100.*use sigma 'auto'/);
  assert.equal(tiny.diagnostics.length, 2);
  assert.ok(tiny.diagnostics[0].deadSampleFraction > 0.5);

  const huge = await run(1e5);
  assert.equal(huge.warnings.length, 1);
  assert.match(huge.warnings[0], /sigma 1\.00e\+5 is over 100 times the mean squared distance/);

  const matched = await run(12); // d + 2 for width 10
  assert.deepEqual(matched.warnings, []);
  assert.ok(matched.diagnostics.every((epoch) => epoch.deadSampleFraction < 0.5 && epoch.meanSquaredDistance > 0.1));
});

test('a diversity regularizer that must crowd the prototypes (more than d + 1 of them) is warned about before training, once', async () => {
  const warningsOf = async (featureWidth: number, diversityWeight?: number) => {
    const warnings: string[] = [];
    const outcome = await runExperiment(
      { dataset: 'gaussians', method: 'affinity', featureWidth, epochs: 2, batchSize: 64, sigma: featureWidth + 2, diversityWeight },
      {},
      { onWarning: (message) => warnings.push(message) },
    );
    outcome.classifier.dispose();
    return warnings;
  };
  // 10 classes: 10 prototypes fit equidistant in 9 dimensions, not in 8.
  const crowded = await warningsOf(8);
  assert.equal(crowded.length, 1, crowded.join('\n'));
  assert.match(crowded[0], /^affinity head: 10 prototypes cannot be equidistant in 8 dimensions, so the diversity regularizer \(weight 1\) mostly pulls them together.*use a weight near 0\.01/);
  assert.deepEqual(await warningsOf(9), [], 'equidistant prototypes fit in d = K - 1');
  assert.deepEqual(await warningsOf(8, 0.01), [], 'a small weight');
  assert.deepEqual(await warningsOf(8, 0), [], 'regularizer off');
});
