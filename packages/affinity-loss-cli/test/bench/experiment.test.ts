import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { AffinityConfigError, choosePriorCorrection, PRIOR_CORRECTION_GRID } from 'affinity-loss';
import { EXPERIMENT_DEFAULTS, loadExperimentData, recordedInput, resolveExperimentConfig, runExperiment } from '../../src/bench/experiment.js';
import { METHOD_NAMES } from 'affinity-loss/internal/models/methods.js';
import { loadDataset } from 'affinity-loss-node/internal/data/registry.js';

before(async () => {
  tf.enableProdMode();
  await tf.setBackend('cpu');
});

test('resolveExperimentConfig fills the defaults and writes the recipe canonically', () => {
  const config = resolveExperimentConfig({ dataset: 'mnist', method: 'affinity', recipe: 'step:4,3,2,1,0:0.1' });
  assert.equal(config.recipe, 'step:0-4:0.1');
  assert.equal(config.epochs, EXPERIMENT_DEFAULTS.epochs);
  assert.equal(config.validationFraction, 0.1);
  assert.equal(config.backbone, 'mlp');
  // Undefined fields (options not given on a command line) do not erase defaults.
  assert.equal(resolveExperimentConfig({ dataset: 'mnist', method: 'softmax', epochs: undefined }).epochs, EXPERIMENT_DEFAULTS.epochs);
});

test('resolveExperimentConfig records every default of the head the loss has, and none of the others', () => {
  const head = (input: Record<string, unknown>) => {
    const config = resolveExperimentConfig({ dataset: 'mnist', ...input }) as unknown as Record<string, unknown>;
    const fields = ['sigma', 'margin', 'prototypesPerClass', 'diversityWeight', 'classMargins', 'priorCorrection', 'centerWeight'];
    return Object.fromEntries(fields.filter((field) => field in config).map((field) => [field, config[field]]));
  };
  // sigma = feature width + 2; the paper's weight 1; affinity-m5 has 5 prototypes, affinity-lt
  // class margins and tau chosen on validation, affinity-ce no hinge (no margin settings).
  assert.deepEqual(head({ method: 'affinity' }), { sigma: 130, margin: 0.3, prototypesPerClass: 1, diversityWeight: 1, classMargins: false, priorCorrection: 0 });
  assert.deepEqual(head({ method: 'affinity-m5', featureWidth: 2 }), { sigma: 4, margin: 0.3, prototypesPerClass: 5, diversityWeight: 1, classMargins: false, priorCorrection: 0 });
  assert.deepEqual(head({ method: 'affinity-lt', margin: 0.5 }), { sigma: 130, margin: 0.5, prototypesPerClass: 1, diversityWeight: 1, classMargins: true, priorCorrection: 'auto' });
  assert.deepEqual(head({ method: 'affinity-ce', sigma: 'auto' }), { sigma: 'auto', prototypesPerClass: 1, diversityWeight: 1, priorCorrection: 'auto' });
  assert.deepEqual(head({ method: 'center-loss' }), { centerWeight: 0.01 });
  assert.deepEqual(head({ method: 'ldam-drw' }), {});
  // The CLI's default loss is the paper's head.
  assert.equal(resolveExperimentConfig({}).method, 'affinity');
  // Resolving a resolved config changes nothing: what a worker checks a queued job by.
  const resolved = resolveExperimentConfig({ dataset: 'mnist', method: 'affinity-lt', recipe: 'exp:100' });
  assert.deepEqual(resolveExperimentConfig(resolved), resolved);
});

test('recordedInput: a recorded head default follows a method or width typed on top; a value that is not a default stays', () => {
  const recorded = (input: Record<string, unknown>) => JSON.parse(JSON.stringify(resolveExperimentConfig({ dataset: 'mnist', ...input }))) as Record<string, unknown>;
  const resolve = (file: Record<string, unknown>, typed: Record<string, unknown>) => resolveExperimentConfig(recordedInput(file, typed));
  const paper = recorded({ method: 'affinity' });
  assert.deepEqual(resolve(paper, {}), resolveExperimentConfig({ dataset: 'mnist', method: 'affinity' }), 'the same config again');
  assert.equal(resolve(paper, { method: 'affinity-m5' }).prototypesPerClass, 5);
  const lt = resolve(paper, { method: 'affinity-lt' });
  assert.deepEqual([lt.classMargins, lt.priorCorrection], [true, 'auto']);
  assert.equal(resolve(paper, { featureWidth: 64 }).sigma, 66);
  assert.equal(resolve(paper, { method: 'softmax' }).sigma, undefined, 'a head the typed method does not have is left out');
  // A value chosen (not a default) stays, and goes with the head that has it.
  const tuned = recorded({ method: 'affinity', sigma: 40, prototypesPerClass: 2 });
  assert.deepEqual([resolve(tuned, { featureWidth: 64 }).sigma, resolve(tuned, { method: 'affinity-m5' }).prototypesPerClass], [40, 2]);
  assert.equal(resolve(tuned, { method: 'softmax' }).sigma, undefined);
  assert.equal(resolve(tuned, { sigma: 7 }).sigma, 7, 'typed wins');
  // A file of an earlier version: the method named loss, no head defaults.
  assert.deepEqual(resolve({ dataset: 'mnist', loss: 'affinity-lt', epochs: 3 }, {}), resolveExperimentConfig({ dataset: 'mnist', method: 'affinity-lt', epochs: 3 }));
});

test('the image settings belong to image-folder: filled there, refused elsewhere', () => {
  const config = resolveExperimentConfig({ dataset: 'image-folder', datasetPath: 'photos', method: 'softmax' });
  assert.equal(config.imageSize, 28);
  assert.equal(config.imageChannels, 1);
  assert.equal(resolveExperimentConfig({ dataset: 'mnist', method: 'softmax' }).imageSize, undefined);
  assert.throws(() => resolveExperimentConfig({ dataset: 'mnist', method: 'softmax', imageSize: 32 }), /^AffinityConfigError: imageSize does not apply to dataset mnist \(imageSize: image-folder only\)$/);
  assert.throws(() => resolveExperimentConfig({ dataset: 'image-folder', method: 'softmax' }), /image-folder needs datasetPath/);
  assert.throws(() => resolveExperimentConfig({ dataset: 'image-folder', datasetPath: 'photos', method: 'softmax', imageChannels: 2 as 1 }), /channels must be 1 \(grayscale\) or 3 \(RGB\), got 2/);
  assert.throws(() => resolveExperimentConfig({ dataset: 'mnist', method: 'softmax', sigmaa: 3 } as never), /the config has unknown field sigmaa; known: dataset, /);
});

test('resolveExperimentConfig refuses bad values, naming them and what is allowed', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ method: 'nosuch' }, new RegExp(`unknown method "nosuch"; valid methods: ${METHOD_NAMES.join(', ')}`)],
    [{ dataset: 'nosuch' }, /dataset must be one of 'mnist'/],
    [{ epochs: -1 }, /epochs must be an integer >= 1, got -1/],
    [{ sigma: 0 }, /sigma must be a finite number > 0, got 0/],
    [{ sigma: 1e-46 }, /sigma must be a number > 0 that float32 can hold \(about 1.4e-45 to 3.4e38\), got 1e-46, which is 0 in float32/],
    [{ learningRate: 1e39 }, /learningRate must be a number > 0 that float32 can hold .*, got 1e\+39, which is Infinity in float32/],
    [{ margin: 2 }, /margin must be in \(0, 1\] because affinities lie in \(0, 1\]; got 2 \(maxMarginLoss and affinityLoss accept it with allowMarginAboveOne: true\)/],
    [{ margin: 0 }, /margin must be a finite number in \(0, 1\], got 0/],
    [{ recipe: 'step:oops' }, /bad .*spec "step:oops"/],
    [{ recipe: 'exp:10+val:0.2' }, /has a val: part/],
    [{ validationFraction: 1 }, /validationFraction must be a number in \[0, 1\)/],
    [{ trainFraction: 0 }, /trainFraction must be a number in \(0, 1\], got 0/],
    [{ schedule: 'step' }, /schedule must be one of 'constant', 'cosine'/],
    [{ trainClasses: [3] }, /trainClasses must list at least 2 distinct class ids/],
    [{ method: 'softmax', sigma: 3, margin: 0.2 }, /^sigma, margin do not apply to method softmax \(sigma: affinity, affinity-m5, affinity-lt, affinity-ce; margin: affinity, affinity-m5, affinity-lt only\)$/],
  ];
  for (const [fields, message] of bad) {
    assert.throws(() => resolveExperimentConfig({ dataset: 'mnist', method: 'affinity', ...fields }), (error: Error) => {
      assert.ok(error instanceof AffinityConfigError, `${JSON.stringify(fields)}: ${error.constructor.name}`);
      assert.match(error.message, message);
      return true;
    });
  }
});

test('trainClasses keeps and renumbers the seen classes and sets the unseen test rows aside', async () => {
  const config = resolveExperimentConfig({ dataset: 'gaussians', method: 'softmax', recipe: 'none', trainClasses: [7, 2, 5], validationFraction: 0.2 });
  const data = await loadExperimentData(config);
  const { dataset, unseenTest } = data;
  const names = (await loadDataset('gaussians')).classNames;
  assert.deepEqual(dataset.classNames, [names[7], names[2], names[5]]);
  // The default blobs: classes 0-4 have 500 training rows, 5-9 have 50; 20% go to validation.
  assert.deepEqual(data.trainCounts, [40, 400, 40]);
  assert.deepEqual(data.minorityClasses, [0, 2]);
  assert.equal(dataset.validation?.count, 10 + 100 + 10);
  assert.ok([...dataset.test.labels].every((label) => label >= 0 && label < 3));
  assert.equal(dataset.test.count, 300);
  assert.equal(unseenTest?.count, 700);
  assert.deepEqual([...new Set(unseenTest!.labels)].sort(), [0, 1, 3, 4, 6, 8, 9]);
});

test('trainFraction keeps a stratified share of the training rows', async () => {
  const data = await loadExperimentData(resolveExperimentConfig({ dataset: 'gaussians', method: 'softmax', validationFraction: 0, trainFraction: 0.1 }));
  assert.deepEqual(data.trainCounts, [50, 50, 50, 50, 50, 5, 5, 5, 5, 5]);
});

test('recipes that empty a class or a split are refused, naming what is empty', async () => {
  const load = (fields: Record<string, unknown>) => loadExperimentData(resolveExperimentConfig({ dataset: 'gaussians', method: 'softmax', ...fields }));
  await assert.rejects(load({ recipe: 'step:0:0' }), /gaussians with recipe step:0:0 leaves class blob 0 with no training rows, which no model can learn/);
  await assert.rejects(load({ recipe: 'counts:5,0,0,0,0,0,0,0,0,0' }), /leaves classes blob 1, blob 2, .*blob 9 with no training rows/);
  await assert.rejects(load({ recipe: 'counts:0,0,0,0,0,0,0,0,0,0', validationFraction: 0 }), /the training split of gaussians with recipe counts:0,0,0,0,0,0,0,0,0,0 is empty: there is nothing to train on/);
  // One row per class is not degenerate.
  const kept = await load({ recipe: 'counts:1,1,1,1,1,1,1,1,1,1', validationFraction: 0 });
  assert.deepEqual(kept.trainCounts, new Array(10).fill(1));
});

test('runExperiment trains, scores last and best epochs, and snapshots 2-D features with the prototypes', async () => {
  const outcome = await runExperiment(
    { dataset: 'gaussians', method: 'affinity', featureWidth: 2, epochs: 4, batchSize: 64, learningRate: 0.01, seed: 2 },
    { features: true },
  );
  try {
    assert.equal(outcome.history.length, 4);
    assert.ok(outcome.bestEpoch >= 1 && outcome.bestEpoch <= 4);
    for (const report of [outcome.last!, outcome.best!]) {
      assert.equal(report.samples, 1000);
      // 4 epochs through a 2-D bottleneck: far from converged, but far above chance (0.1).
      assert.ok(report.accuracy > 0.3, `accuracy ${report.accuracy}`);
      assert.ok(report.macroF1 > 0 && report.macroF1 <= 1);
      assert.ok(report.shotGroups !== undefined);
    }
    const features = outcome.features!;
    assert.equal(features.points.length, 1000); // 100 test rows per class, all under the 200 cap
    assert.equal(features.labels.length, 1000);
    assert.equal(features.anchors?.length, 10); // one prototype per class
    assert.deepEqual(features.minorityClasses, [5, 6, 7, 8, 9]);
    // Class means are the means of the plotted points (every test row is plotted here).
    const xs = features.points.filter((_, i) => features.labels[i] === 3).map(([x]) => x);
    assert.ok(Math.abs(features.classMeans[3][0] - xs.reduce((a, b) => a + b, 0) / xs.length) < 1e-5);
  } finally {
    outcome.classifier.dispose();
  }
});

test('runExperiment scores verification on seen and unseen classes', async () => {
  const outcome = await runExperiment(
    { dataset: 'gaussians', method: 'softmax', featureWidth: 8, epochs: 2, batchSize: 64, trainClasses: [0, 1, 2, 3, 4, 5, 6, 7] },
    { verification: true },
  );
  outcome.classifier.dispose();
  const { seen, unseen } = outcome.verification!;
  // Well-separated blobs: features of seen classes verify far above chance; unseen ones are
  // at least measured (each set has 100 + 100 test rows, 2 classes: 9900 same pairs available).
  assert.ok(seen.rocAuc > 0.8, `seen AUC ${seen.rocAuc}`);
  assert.ok(seen.equalErrorRate < 0.3);
  assert.ok(unseen.rocAuc >= 0 && unseen.rocAuc <= 1);
  assert.equal(seen.pairs, 2 * 5000);
  assert.equal(unseen.pairs, 2 * 5000);
  await assert.rejects(runExperiment({ dataset: 'gaussians', method: 'softmax' }, { verification: true }), /verification needs trainClasses/);
  await assert.rejects(runExperiment({ dataset: 'gaussians', method: 'softmax' }, { features: true }), /featureWidth 2/);
});

test("sigma 'auto' trains and reports the sigma it took from the first batch", async () => {
  const outcome = await runExperiment({ dataset: 'gaussians', method: 'affinity', featureWidth: 8, epochs: 1, batchSize: 64, sigma: 'auto' });
  try {
    const sigma = outcome.classifier.headSettings.sigma;
    assert.equal(typeof sigma, 'number');
    // BatchNorm features of width 8 against He-normal prototypes: E||f - w||^2 = d + 2 = 10.
    assert.ok((sigma as number) > 5 && (sigma as number) < 20, `sigma ${sigma}`);
    assert.equal(outcome.config.sigma, 'auto');
  } finally {
    outcome.classifier.dispose();
  }
});

test("priorCorrection 'auto': each epoch's tau is chosen on validation, and the kept model predicts with its epoch's", async () => {
  // A long tail on the blobs, so the correction has something to do.
  const input = { dataset: 'gaussians', recipe: 'exp:20', method: 'affinity-lt', featureWidth: 8, epochs: 3, batchSize: 32 } as const;
  const outcome = await runExperiment(input);
  try {
    const { priorCorrection, classifier, data } = outcome;
    assert.equal(priorCorrection?.selection, 'validation balanced-macro-f1');
    assert.ok(PRIOR_CORRECTION_GRID.includes(priorCorrection!.best) && PRIOR_CORRECTION_GRID.includes(priorCorrection!.last));
    // The kept weights chosen again on the same validation rows give the tau they were kept with.
    const head = classifier.affinityHead!;
    assert.equal(head.priorCorrection, priorCorrection!.best);
    const again = choosePriorCorrection(classifier.model, data.dataset.validation!, { featureShape: data.inputShape, score: 'balanced-macro-f1' });
    assert.equal(again.tau, priorCorrection!.best);
    // The epoch kept has the best validation score as scored with its tau.
    const best = Math.max(...outcome.history.map((log) => log.validationScore));
    assert.equal(outcome.history[outcome.bestEpoch - 1].validationScore, best);
  } finally {
    outcome.classifier.dispose();
  }
  const fixed = await runExperiment({ ...input, method: 'affinity', priorCorrection: 0.2, epochs: 1 });
  assert.deepEqual(fixed.priorCorrection, { selection: 'fixed', last: 0.2, best: 0.2 });
  fixed.classifier.dispose();
  assert.throws(() => resolveExperimentConfig({ ...input, validationFraction: 0 }), /priorCorrection 'auto' \(affinity-lt's default\) chooses tau on the validation split/);
  assert.throws(() => resolveExperimentConfig({ ...input, method: 'affinity-ce', classMargins: true }), /: classMargins does not apply to method affinity-ce \(classMargins: affinity, affinity-m5, affinity-lt only\)$/);
  assert.throws(() => resolveExperimentConfig({ ...input, method: 'affinity-ce', margin: 0.3 }), /margin does not apply to method affinity-ce/);
  assert.throws(() => resolveExperimentConfig({ ...input, priorCorrection: -1 }), /priorCorrection/);
  assert.throws(() => resolveExperimentConfig({ ...input, method: 'softmax', priorCorrection: 0.5 }), /priorCorrection do(es)? not apply to method softmax/);
});

test('a bench head override applies to the losses with that head only; an undefined override keeps the protocol value', async () => {
  const { planBench } = await import('../../src/bench/runner.js');
  const { plans } = planBench({ protocol: 'figure1', methods: ['softmax', 'affinity'], seeds: 1, overrides: { sigma: 5, epochs: undefined } });
  assert.equal(plans[0].config.method, 'softmax');
  assert.equal(plans[0].config.sigma, undefined);
  assert.equal(plans[1].config.sigma, 5);
  assert.equal(plans[0].config.epochs, 30, "figure1's own epochs, not the default 10");
});

test('a bench can run some settings of a protocol: protocol order kept, unknown names refused', async () => {
  const { planBench } = await import('../../src/bench/runner.js');
  const { plans } = planBench({ protocol: 'step-sweep', methods: ['softmax'], seeds: 1, settings: ['k=10', 'k=50'] });
  assert.deepEqual(
    plans.map((plan) => [plan.setting, plan.settingOrder, plan.config.recipe]),
    [
      ['k=50', 3, 'evencap:50'],
      ['k=10', 5, 'evencap:10'],
    ],
  );
  const quick = planBench({ protocol: 'long-tail', methods: ['softmax'], seeds: 1, quick: true, settings: ['rho=100 mnist'] }).plans;
  assert.deepEqual(quick.map((plan) => plan.id), ['rho-100-mnist__softmax__seed1']);
  assert.throws(() => planBench({ protocol: 'long-tail', methods: ['softmax'], quick: true, settings: ['rho=10 mnist'] }), /unknown setting "rho=10 mnist" for protocol long-tail \(quick\); valid: "rho=100 mnist", "rho=100 fashion-mnist"/);
  assert.throws(() => planBench({ protocol: 'noise', settings: [] }), /give at least one setting/);
  // A quick run without --methods trains the protocol's shorter list, for 12 epochs.
  const quickDefault = planBench({ protocol: 'step-sweep', quick: true, settings: ['k=10'] }).plans;
  assert.deepEqual(
    quickDefault.map((plan) => plan.config.method),
    ['softmax', 'balanced-softmax', 'logit-adjusted', 'ldam-drw', 'affinity', 'affinity-m5', 'affinity-lt', 'affinity-ce'],
  );
  assert.deepEqual([...new Set(quickDefault.map((plan) => plan.config.epochs))], [12]);
  assert.equal(planBench({ protocol: 'step-sweep', settings: ['k=10'] }).plans.length, METHOD_NAMES.length * 3);
});
