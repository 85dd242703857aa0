/**
 * Why a head learns slowly, in numbers: `npm run bench:convergence`.
 *
 * Trains each head on the same data, seed and batches (default: the `cnn` backbone on the step
 * sweep at k = 10, MNIST, Adam 1e-3, batch 128) and logs, every `--every` steps:
 * - the gradient norm reaching the backbone (all backbone weights, and the first layer's kernel,
 *   the farthest from the head);
 * - for the affinity heads: the share of vanished affinities (< 1e-4: no gradient through exp),
 *   the squared distance to the nearest prototype against sigma, and how much of the prototypes'
 *   gradient comes from the diversity regularizer rather than from the loss;
 * - the scale |gamma| of the BatchNorm before the head;
 * - every `--validate-every` steps, validation macro-F1.
 * The table gives each head's numbers beside softmax's at the same step; `--json` writes them all.
 *
 *   npm run bench:convergence
 *   npm run bench:convergence -- --methods softmax,affinity,affinity-ce --steps 400 --json out.json
 *   npm run bench:convergence -- --quick          (the MLP, a few dozen steps: seconds)
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { Command, InvalidArgumentError } from 'commander';
import { affinityDiagnostics } from 'affinity-loss/internal/affinity/diagnostics.js';
import { Rng } from 'affinity-loss/internal/data/rng.js';
import { macroF1 } from 'affinity-loss/internal/metrics/classification.js';
import { BACKBONE_NAMES, type BackboneName } from 'affinity-loss/internal/models/backbones.js';
import { buildClassifier, type Classifier } from 'affinity-loss/internal/models/build.js';
import { requireMethodName } from 'affinity-loss/internal/models/methods.js';
import { loadExperimentData, resolveExperimentConfig } from 'affinity-loss-cli/internal/bench/experiment.js';
import { useNodeBackend } from 'affinity-loss-node';
import { inputBatch, oneHotBatch } from 'affinity-loss/internal/train/batches.js';
import { predictClassIds } from 'affinity-loss/internal/train/predict.js';

/** One logged step of one head. */
interface StepLog {
  step: number;
  loss: number;
  /** L2 norm of the gradient over every backbone weight. */
  backboneGradNorm: number;
  /** L2 norm of the gradient of the first layer's kernel. */
  firstLayerGradNorm: number;
  /** Mean |gamma| of the BatchNorm before the head. */
  batchNormScale: number;
  /** Affinity heads: share of class affinities below 1e-4 on the batch. */
  vanishedFraction?: number;
  /** Affinity heads: mean squared distance to the nearest prototype, divided by sigma. */
  nearestDistanceOverSigma?: number;
  /** Affinity heads: |grad of the regularizer| / |grad of the loss| on the prototypes. */
  regularizerShare?: number;
  /** Validation macro-F1, on the steps where it is measured. */
  validationMacroF1?: number;
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError(`must be an integer >= 1, got ${value}`);
  return number;
}

function norm(tensors: tf.Tensor[]): number {
  if (tensors.length === 0) return 0;
  return tf.tidy(() => Math.sqrt(tf.addN(tensors.map((t) => tf.sum(tf.square(t)))).dataSync()[0]));
}

/** The head's own weights and the BatchNorm before it: what is not the backbone. */
function isBackbone(variable: tf.LayerVariable): boolean {
  return !/^(head_batchnorm|affinity|logits|cosine_logits|center_head)\//.test(variable.originalName);
}

async function trace(loss: string, flags: Flags): Promise<StepLog[]> {
  const config = resolveExperimentConfig({ dataset: 'mnist', recipe: flags.recipe, method: loss, backbone: flags.backbone, seed: flags.seed, epochs: 1 });
  const data = await loadExperimentData(config);
  const { dataset, inputShape, trainCounts } = data;
  const classes = dataset.classNames.length;
  const sigma = config.method.startsWith('affinity') ? flags.sigma : undefined;
  const classifier: Classifier = buildClassifier({ method: config.method, backbone: config.backbone, inputShape, classes, classCounts: trainCounts, epochs: 1, seed: config.seed, sigma });
  const { model } = classifier;
  const lossFunction = classifier.loss as (y: tf.Tensor, p: tf.Tensor) => tf.Scalar;
  const optimizer = tf.train.adam(1e-3);
  const trainable = model.trainableWeights;
  const variables = trainable.map((weight) => weight.read() as tf.Variable);
  const nameOf = (weight: tf.LayerVariable) => (weight.read() as tf.Variable).name;
  const backbone = new Set(trainable.filter(isBackbone).map(nameOf));
  const firstKernel = nameOf(trainable.find((weight) => isBackbone(weight) && /kernel/.test(weight.originalName))!);
  const gamma = trainable.find((weight) => weight.originalName.startsWith('head_batchnorm/gamma'))!;
  const head = classifier.affinityHead;
  const featureModel = classifier.featureModel;
  const rng = new Rng(flags.seed);
  let order = rng.permutation(dataset.train.count);
  let cursor = 0;
  const logs: StepLog[] = [];
  for (let step = 1; step <= flags.steps; step++) {
    if (cursor + flags.batch > order.length) {
      order = rng.permutation(dataset.train.count);
      cursor = 0;
    }
    const rows = order.subarray(cursor, cursor + flags.batch);
    cursor += flags.batch;
    const logged = step === 1 || step % flags.every === 0;
    let entry: StepLog | undefined;
    tf.tidy(() => {
      const x = inputBatch(dataset.train, rows, inputShape);
      const y = oneHotBatch(dataset.train.labels, rows, classes);
      const dataLoss = () => lossFunction(y, model.apply(x, { training: true }) as tf.Tensor);
      const regularizer = () => tf.addN([tf.scalar(0), ...model.calculateLosses()]) as tf.Scalar;
      const { value, grads } = tf.variableGrads(() => tf.add(dataLoss(), regularizer()) as tf.Scalar, variables);
      if (logged) {
        const log: StepLog = {
          step,
          loss: value.dataSync()[0],
          backboneGradNorm: norm(Object.entries(grads).filter(([name]) => backbone.has(name)).map(([, g]) => g)),
          firstLayerGradNorm: norm([grads[firstKernel]]),
          batchNormScale: tf.mean(tf.abs(gamma.read())).dataSync()[0],
        };
        if (head !== undefined) {
          const features = featureModel.apply(x, { training: true }) as tf.Tensor2D;
          const prototypes = head.prototypes.read() as tf.Tensor3D;
          const state = affinityDiagnostics(features, prototypes, head.sigma);
          const protoVariable = [head.prototypes.read() as tf.Variable];
          const fromLoss = norm(Object.values(tf.variableGrads(dataLoss, protoVariable).grads));
          const fromRegularizer = head.diversity === false ? 0 : norm(Object.values(tf.variableGrads(regularizer, protoVariable).grads));
          Object.assign(log, {
            vanishedFraction: state.vanishedFraction,
            nearestDistanceOverSigma: state.nearestSquaredDistance / head.sigma,
            regularizerShare: fromRegularizer / fromLoss,
          });
        }
        entry = log;
      }
      optimizer.applyGradients(grads as Parameters<typeof optimizer.applyGradients>[0]);
    });
    if (entry !== undefined) {
      if (step === 1 || step % flags.validateEvery === 0) {
        const predicted = predictClassIds(model, dataset.validation!, { featureShape: inputShape });
        entry.validationMacroF1 = macroF1(dataset.validation!.labels, predicted, { classes });
      }
      logs.push(entry);
      if (!flags.quiet) console.error(`${loss} step ${step}: ${JSON.stringify(entry)}`);
    }
  }
  optimizer.dispose();
  classifier.dispose();
  return logs;
}

interface Flags {
  losses: string;
  backbone: BackboneName;
  recipe: string;
  steps: number;
  every: number;
  validateEvery: number;
  batch: number;
  seed: number;
  sigma?: number;
  json?: string;
  quick?: boolean;
  quiet?: boolean;
}

const fixed = (value: number | undefined, digits: number) => (value === undefined ? '' : value.toFixed(digits));

async function main(): Promise<void> {
  const program = new Command('bench:convergence')
    .option('--methods <list>', 'heads to trace; softmax first is the reference', 'softmax,affinity,affinity-lt,affinity-ce')
    .option('--backbone <name>', `backbone: ${BACKBONE_NAMES.join(', ')}`, 'cnn')
    .option('--recipe <recipe>', 'imbalance recipe on MNIST', 'evencap:10')
    .option('--steps <n>', 'training steps per head', positiveInteger, 300)
    .option('--every <n>', 'log every n steps', positiveInteger, 25)
    .option('--validate-every <n>', 'validation macro-F1 every n steps', positiveInteger, 100)
    .option('--batch <n>', 'rows per step', positiveInteger, 128)
    .option('--seed <n>', 'seed of the data, the initialisation and the batches', positiveInteger, 1)
    .option('--sigma <s>', 'affinity heads: sigma (default: feature width + 2)', Number)
    .option('--json <file>', 'write every logged step as JSON')
    .option('--quick', 'the MLP for 40 steps (a smoke run)')
    .option('--quiet', 'no per-step lines');
  const flags = program.parse().opts<Flags>();
  if (flags.quick) Object.assign(flags, { backbone: 'mlp', steps: 40, every: 10, validateEvery: 20 });
  if (!(BACKBONE_NAMES as readonly string[]).includes(flags.backbone)) throw new InvalidArgumentError(`unknown backbone ${flags.backbone}`);
  const losses = flags.losses.split(',').map((name) => requireMethodName(name.trim()));
  await useNodeBackend();
  const traces: Record<string, StepLog[]> = {};
  for (const loss of losses) traces[loss] = await trace(loss, flags);
  const machine = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores, Node ${process.version}, tfjs ${tf.getBackend()}`;
  console.log(`\nConvergence trace: ${flags.backbone} on MNIST ${flags.recipe}, Adam 1e-3, batch ${flags.batch}, seed ${flags.seed}${flags.sigma ? `, sigma ${flags.sigma}` : ''}; ${machine}.`);
  console.log('grad ratio = backbone gradient norm / softmax\'s at the same step; vanished = share of affinities < 1e-4; d/sigma = nearest squared distance / sigma; R share = |grad R| / |grad loss| on the prototypes.\n');
  console.log('| loss | step | loss value | backbone grad | grad ratio | first-layer grad | BN mean abs gamma | vanished | d/sigma | R share | validation macro-F1 |');
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  const reference = traces[losses[0]];
  for (const loss of losses) {
    traces[loss].forEach((log, i) => {
      const ratio = reference[i] ? log.backboneGradNorm / reference[i].backboneGradNorm : undefined;
      const f1 = log.validationMacroF1 === undefined ? '' : (log.validationMacroF1 * 100).toFixed(2);
      console.log(
        `| ${loss} | ${log.step} | ${log.loss.toFixed(4)} | ${log.backboneGradNorm.toExponential(2)} | ${fixed(ratio, 3)} | ${log.firstLayerGradNorm.toExponential(2)} | ` +
          `${log.batchNormScale.toFixed(3)} | ${fixed(log.vanishedFraction, 3)} | ${fixed(log.nearestDistanceOverSigma, 3)} | ${fixed(log.regularizerShare, 3)} | ${f1} |`,
      );
    });
  }
  if (flags.json) await writeFile(flags.json, `${JSON.stringify({ machine, settings: { ...flags, losses }, traces }, null, 2)}\n`);
}

await main();
