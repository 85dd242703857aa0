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
import { diversity, gaussianAffinity, maxMarginLoss } from 'affinity-loss';
import { useNodeBackend } from 'affinity-loss-node';

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

/** One head's result at one size. */
interface Measurement {
  msPerStep: number | null;
  peakMiB: number | null;
  /** Why there is no time (too large for wasm memory, or the step failed). */
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

/** A head ready to step, or the reason it cannot run at this size. */
type Prepared = { step: () => void; peakMiB: number; dispose: () => void } | { skipped: string };

/** Builds a head at one size, profiles its first step (peak memory) and warms it up. */
async function prepare(head: HeadName, size: Size): Promise<Prepared> {
  if (head === 'naive affinity') {
    // The forward keeps the (N, K, d) difference and its square; the backward two more like them.
    const bytes = 4 * 4 * BATCH * size.classes * size.perClass * size.featureDim;
    if (bytes > WASM_BUDGET_BYTES) return { skipped: `not run: needs ~${(bytes / 2 ** 30).toFixed(1)} GiB of (N, K, d) tensors` };
  }
  const built = makeStep(head, size);
  const optimizer = tf.train.adam(1e-3);
  const step = () => tf.dispose(optimizer.minimize(built.loss, true, built.variables) ?? undefined);
  const dispose = () => {
    optimizer.dispose();
    tf.dispose([...built.constants, ...built.variables]);
  };
  try {
    const profile = await tf.profile(step);
    for (let i = 0; i < 3; i++) step();
    return { step, peakMiB: profile.peakBytes / 2 ** 20, dispose };
  } catch (error) {
    dispose();
    return { skipped: `failed: ${(error as Error).message.split('\n')[0].slice(0, 60)}` };
  }
}

/** Median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Times every head at one size, in interleaved rounds (all heads once per round), so that
 * a slow patch of the machine slows every head alike instead of skewing one ratio.
 */
async function measureSize(heads: HeadName[], size: Size, rounds: number, stepsPerRound: number): Promise<Map<HeadName, Measurement>> {
  const prepared = new Map<HeadName, Prepared>();
  for (const head of heads) prepared.set(head, await prepare(head, size));
  const times = new Map<HeadName, number[]>(heads.map((h) => [h, []]));
  for (let round = 0; round < rounds; round++) {
    for (const head of heads) {
      const runner = prepared.get(head)!;
      if ('skipped' in runner) continue;
      for (let i = 0; i < stepsPerRound; i++) {
        const start = performance.now();
        runner.step();
        times.get(head)!.push(performance.now() - start);
      }
    }
  }
  const results = new Map<HeadName, Measurement>();
  for (const head of heads) {
    const runner = prepared.get(head)!;
    if ('skipped' in runner) {
      results.set(head, { msPerStep: null, peakMiB: null, error: runner.skipped });
    } else {
      results.set(head, { msPerStep: median(times.get(head)!), peakMiB: runner.peakMiB });
      runner.dispose();
    }
  }
  return results;
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
  await measureSize(heads, sizes[0], 1, 5);
  const tensorsBefore = tf.memory().numTensors;
  console.log(`Head training step (forward + backward + Adam), batch ${BATCH}, backend ${backend}.`);
  console.log('Median ms per step over interleaved rounds; ratio to the dense softmax head; peak MiB of one step.\n');
  console.log(`| (C, m, d) | ${heads.map((h) => `${h} ms${h === 'dense softmax' ? '' : ' (ratio)'}`).join(' | ')} | peak MiB ${heads.join(' / ')} |`);
  console.log(`|---|${heads.map(() => '---|').join('')}---|`);
  for (const size of sizes) {
    const large = size.classes * size.perClass >= 5000;
    const results = await measureSize(heads, size, quick ? 2 : 5, quick ? 3 : large ? 3 : 10);
    const dense = results.get('dense softmax')!;
    const cell = (m: Measurement) =>
      m.msPerStep === null ? String(m.error) : `${m.msPerStep.toFixed(2)} (${(m.msPerStep / dense.msPerStep!).toFixed(2)}x)`;
    const peak = heads.map((h) => results.get(h)!.peakMiB?.toFixed(1) ?? 'n/a').join(' / ');
    const cells = heads.slice(1).map((h) => cell(results.get(h)!));
    console.log(
      `| (${size.classes}, ${size.perClass}, ${size.featureDim}) | ${dense.msPerStep?.toFixed(2) ?? 'failed'} | ${cells.join(' | ')} | ${peak} |`,
    );
  }
  if (tf.memory().numTensors !== tensorsBefore) {
    console.warn(`warning: ${tf.memory().numTensors - tensorsBefore} tensors were not freed by the benchmark`);
  }
}

await main();
