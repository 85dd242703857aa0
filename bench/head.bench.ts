/**
 * Cost of one training step (forward + backward + Adam) of the affinity head against a dense
 * softmax head of the same width (C*m outputs) and against the naive broadcast formulation
 * of the affinity, on the Node backend (wasm with gradient fixes), batch 128.
 *
 * Only the head is timed: the features are a trainable (128, d) variable, so the gradient
 * flows into them as it would into a backbone, without a backbone's cost hiding the head's.
 *
 *   npm run bench:head            all sizes
 *   npm run bench:head -- --quick the two small sizes, few steps
 */
import * as tf from '@tensorflow/tfjs';
import { diversity, gaussianAffinity, maxMarginLoss } from '../src/index.js';
import { useNodeBackend } from '../src/node/index.js';

const BATCH = 128;
const SIGMA = 100;
const MARGIN = 0.3;

interface Size {
  classes: number;
  perClass: number;
  featureDim: number;
}

/**
 * 'affinity' is the hinge on affinities alone; 'affinity + diversity' adds the prototype
 * regularizer, whose cost grows with (C*m)^2 * d and does not depend on the batch.
 */
type HeadName = 'dense softmax' | 'affinity' | 'affinity + diversity' | 'naive affinity';

interface Measurement {
  msPerStep: number | null;
  peakMiB: number | null;
  error?: string;
}

/** The naive affinity: (N, C*m, d) differences squared and summed, as most public ports do. */
function naiveAffinity(features: tf.Tensor2D, prototypes: tf.Tensor3D, sigma: number): tf.Tensor2D {
  const [classes, perClass, featureDim] = prototypes.shape;
  const flat = tf.reshape(prototypes, [1, classes * perClass, featureDim]);
  const distances = tf.sum(tf.square(tf.sub(tf.expandDims(features, 1), flat)), 2);
  return tf.max(tf.reshape(tf.exp(tf.div(distances, -sigma)), [-1, classes, perClass]), 2) as tf.Tensor2D;
}

/** A variable whose initial value is freed once copied (tidy frees it; variables survive tidy). */
function variable(initial: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(initial()));
}

/** One-hot labels cycling through the classes. */
function oneHotLabels(classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: BATCH }, (_, i) => i % classes), 'int32'), classes).toFloat() as tf.Tensor2D);
}

/** Builds the variables and the loss of one head at one size. */
function makeStep(head: HeadName, size: Size): { loss: () => tf.Scalar; variables: tf.Variable[]; constants: tf.Tensor[] } {
  const { classes, perClass, featureDim } = size;
  const width = classes * perClass;
  const features = variable(() => tf.randomNormal([BATCH, featureDim], 0, 1, 'float32', 1));
  const labels = oneHotLabels(classes);
  if (head === 'dense softmax') {
    const kernel = variable(() => tf.randomNormal([featureDim, width], 0, Math.sqrt(2 / featureDim), 'float32', 2));
    const bias = variable(() => tf.zeros([width]));
    const wideLabels = oneHotLabels(width);
    return {
      variables: [features, kernel, bias],
      constants: [labels, wideLabels],
      loss: () => tf.losses.softmaxCrossEntropy(wideLabels, tf.add(tf.matMul(features, kernel), bias)) as tf.Scalar,
    };
  }
  const prototypes = variable(() => tf.randomNormal([classes, perClass, featureDim], 0, Math.sqrt(2 / featureDim), 'float32', 3));
  const affinity = head === 'naive affinity' ? naiveAffinity : gaussianAffinity;
  const hinge = () => maxMarginLoss(labels, affinity(features as tf.Tensor2D, prototypes as tf.Tensor3D, SIGMA), MARGIN);
  return {
    variables: [features, prototypes],
    constants: [labels],
    loss: head === 'affinity + diversity' ? () => tf.add(hinge(), diversity(prototypes)) as tf.Scalar : hinge,
  };
}

/** wasm memory is 32-bit: a step that needs more than this is not attempted (it aborts the process). */
const WASM_BUDGET_BYTES = 2 * 2 ** 30;

async function measure(head: HeadName, size: Size, steps: number): Promise<Measurement> {
  if (head === 'naive affinity') {
    // The forward keeps the (N, K, d) difference and its square; the backward two more like them.
    const bytes = 4 * 4 * BATCH * size.classes * size.perClass * size.featureDim;
    if (bytes > WASM_BUDGET_BYTES) {
      return { msPerStep: null, peakMiB: null, error: `not run: needs ~${(bytes / 2 ** 30).toFixed(1)} GiB of (N, K, d) tensors` };
    }
  }
  const before = tf.memory().numTensors;
  let built: ReturnType<typeof makeStep> | undefined;
  const optimizer = tf.train.adam(1e-3);
  try {
    built = makeStep(head, size);
    const { loss, variables } = built;
    const step = () => tf.dispose(optimizer.minimize(loss, true, variables) ?? undefined);
    const profile = await tf.profile(step); // also the first warm-up step
    for (let i = 0; i < 3; i++) step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const start = performance.now();
      step();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return { msPerStep: times[Math.floor(times.length / 2)], peakMiB: profile.peakBytes / 2 ** 20 };
  } catch (error) {
    return { msPerStep: null, peakMiB: null, error: (error as Error).message.split('\n')[0].slice(0, 60) };
  } finally {
    optimizer.dispose();
    tf.dispose(built?.constants);
    tf.disposeVariables();
    if (tf.memory().numTensors > before) {
      // A failed step can leave intermediates behind; report it rather than hide it.
      console.warn(`  (${head}: ${tf.memory().numTensors - before} tensors left after the run)`);
    }
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const { backend } = await useNodeBackend();
  const sizes: Size[] = [
    { classes: 10, perClass: 1, featureDim: 64 },
    { classes: 10, perClass: 5, featureDim: 128 },
    { classes: 100, perClass: 5, featureDim: 256 },
    { classes: 1000, perClass: 5, featureDim: 256 },
  ].slice(0, quick ? 2 : 4);
  const heads: HeadName[] = ['dense softmax', 'affinity', 'affinity + diversity', 'naive affinity'];
  // Untimed pass over the first size: the first steps of a process pay for JIT and wasm warm-up.
  for (const head of heads) await measure(head, sizes[0], 5);
  console.log(`Head training step, batch ${BATCH}, backend ${backend}, median of timed steps after warm-up.\n`);
  console.log(`| (C, m, d) | ${heads.map((h) => `${h} ms${h === 'dense softmax' ? '' : ' (ratio)'}`).join(' | ')} | peak MiB ${heads.join(' / ')} |`);
  console.log(`|---|${heads.map(() => '---|').join('')}---|`);
  for (const size of sizes) {
    const width = size.classes * size.perClass;
    const steps = quick ? 5 : width >= 5000 ? 10 : 30;
    const results = new Map<HeadName, Measurement>();
    for (const head of heads) results.set(head, await measure(head, size, steps));
    const dense = results.get('dense softmax')!;
    const cell = (m: Measurement) =>
      m.msPerStep === null ? String(m.error) : `${m.msPerStep.toFixed(2)} (${(m.msPerStep / dense.msPerStep!).toFixed(2)}x)`;
    const peak = heads.map((h) => results.get(h)!.peakMiB?.toFixed(1) ?? 'n/a').join(' / ');
    const cells = heads.slice(1).map((h) => cell(results.get(h)!));
    console.log(
      `| (${size.classes}, ${size.perClass}, ${size.featureDim}) | ${dense.msPerStep?.toFixed(2) ?? 'failed'} | ${cells.join(' | ')} | ${peak} |`,
    );
  }
}

await main();
