/**
 * `affinity train`: one model on one dataset and recipe, saved with its metrics in a run folder
 * (see modelFolder.ts) that `affinity eval` reads back.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, Option } from 'commander';
import { SAMPLING_MODES } from '../../data/sampler.js';
import { BACKBONE_NAMES } from '../../models/backbones.js';
import { METHOD_NAMES, METHODS } from '../../models/methods.js';
import { DATASETS, DATASET_NAMES } from '../../node/data/registry.js';
import { EXPERIMENT_DEFAULTS, resolveExperimentConfig, runExperiment, type ExperimentConfig, type ExperimentOutcome } from '../../node/bench/experiment.js';
import { useNodeBackend, writeFileAtomic } from '../../node/index.js';
import { OPTIMIZER_NAMES } from '../../train/optimizer.js';
import type { EpochLog, StepReport, TrainingCallback } from '../../train/trainer.js';
import { parseCount, parseNumber, parsePositive, parsePositiveInteger, withExamples } from '../options.js';
import {
  CONFIG_FILE,
  CONFUSION_FILE,
  LIBRARY_VERSION,
  METRICS_FILE,
  MODEL_FOLDER,
  checkRunFolder,
  confusionCsv,
  meanRecall,
  percent,
  type RunFolderConfig,
  type RunMetrics,
} from './modelFolder.js';

/** The flags as commander hands them over (defaults filled). */
interface TrainFlags {
  dataset: string;
  dataPath?: string;
  imbalance: string;
  noise?: string;
  loss: string;
  backbone: ExperimentConfig['backbone'];
  featureWidth: number;
  epochs: number;
  batchSize: number;
  optimizer: ExperimentConfig['optimizer'];
  lr: number;
  weightDecay: number;
  schedule: ExperimentConfig['schedule'];
  sampling: ExperimentConfig['sampling'];
  validation: number;
  trainFraction: number;
  seed: number;
  sigma?: number;
  margin?: number;
  prototypes?: number;
  centerWeight?: number;
  out: string;
  force?: boolean;
  quiet?: boolean;
}

/** The experiment the flags describe, before defaults and checks. */
function experimentInput(flags: TrainFlags): Parameters<typeof resolveExperimentConfig>[0] {
  // --noise is a shorthand for a noise part of the recipe, so both spellings give one config.
  const recipe = flags.noise === undefined ? flags.imbalance : `${flags.imbalance === 'none' ? '' : `${flags.imbalance}+`}noise:${flags.noise}`;
  return {
    dataset: flags.dataset,
    datasetPath: flags.dataPath,
    recipe,
    loss: flags.loss,
    backbone: flags.backbone,
    featureWidth: flags.featureWidth,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    optimizer: flags.optimizer,
    learningRate: flags.lr,
    weightDecay: flags.weightDecay,
    schedule: flags.schedule,
    sampling: flags.sampling,
    validationFraction: flags.validation,
    trainFraction: flags.trainFraction,
    seed: flags.seed,
    sigma: flags.sigma,
    margin: flags.margin,
    prototypesPerClass: flags.prototypes,
    centerWeight: flags.centerWeight,
  };
}

/**
 * Progress of a training run on stderr: on a terminal one bar per epoch (steps, loss, accuracy,
 * ETA) that stays on screen when the epoch ends; elsewhere (a log file, a CI job) one line per
 * epoch, since bars redrawn with carriage returns make unreadable logs.
 */
function trainingProgress(quiet: boolean, epochs: number): TrainingCallback & { stop(): void } {
  if (quiet) return { stop: () => {} };
  const width = String(epochs).length;
  if (process.stderr.isTTY !== true) {
    return {
      epochEnd: (log) => console.error(epochLine(log, epochs, width)),
      stop: () => {},
    };
  }
  let bar: SingleBar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  return {
    stepEnd(report: StepReport) {
      const payload = { epoch: String(report.epoch).padStart(width), loss: report.meanLoss.toFixed(4), accuracy: percent(report.accuracy), validation: '' };
      if (bar === undefined) {
        bar = new SingleBar({
          format: `epoch {epoch}/${epochs} {bar} {value}/{total} steps | loss {loss} | accuracy {accuracy}{validation} | ETA {eta_formatted}`,
          barsize: 24,
          hideCursor: true,
          // Redraw at most 10 times a second: steps of small models take a millisecond.
          fps: 10,
        });
        bar.start(report.steps, report.step, payload);
      } else {
        bar.update(report.step, payload);
      }
    },
    epochEnd(log: EpochLog) {
      const validation = Number.isNaN(log.validationMacroF1) ? '' : ` | validation macro-F1 ${percent(log.validationMacroF1)}`;
      bar?.update({ loss: log.loss.toFixed(4), accuracy: percent(log.accuracy), validation });
      stop();
    },
    stop,
  };
}

/** `epoch  3/10: loss 0.4012, accuracy 91.20, validation macro-F1 88.31, 1.2 s`. */
function epochLine(log: EpochLog, epochs: number, width: number): string {
  const validation = Number.isNaN(log.validationMacroF1) ? '' : `, validation macro-F1 ${percent(log.validationMacroF1)}`;
  return `epoch ${String(log.epoch).padStart(width)}/${epochs}: loss ${log.loss.toFixed(4)}, accuracy ${percent(log.accuracy)}${validation}, ${log.seconds.toFixed(1)} s`;
}

/** Writes the model and its records; config.json last, so only a finished run has one. */
async function writeRun(dir: string, outcome: ExperimentOutcome, backend: string, seconds: number): Promise<void> {
  const { config, data, classifier } = outcome;
  const { dataset, recipe, loss, ...settings } = config;
  await mkdir(dir, { recursive: true });
  // A rerun into a finished run's folder: without its config.json the folder reads as
  // unfinished until the new one is complete, never as the old config with the new model.
  await rm(join(dir, CONFIG_FILE), { force: true });
  await classifier.model.save(`file://${join(dir, MODEL_FOLDER)}`);
  const metrics: RunMetrics = {
    bestEpoch: outcome.bestEpoch,
    selection: 'validation macro-F1',
    last: outcome.last,
    best: outcome.best,
    history: outcome.history,
    seconds,
    backend,
  };
  await writeFileAtomic(join(dir, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);
  await writeFileAtomic(join(dir, CONFUSION_FILE), confusionCsv(data.dataset.classNames, outcome.best.confusion));
  const record: RunFolderConfig = {
    version: LIBRARY_VERSION,
    backend,
    // The fields that say what was trained first, for a reader of the file; order does not
    // matter to the comparison of configs.
    config: { dataset, recipe, loss, ...settings },
    classNames: data.dataset.classNames,
    inputShape: data.inputShape,
    trainCounts: data.trainCounts,
    minorityClasses: data.minorityClasses,
    headSettings: classifier.headSettings,
  };
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** The summary printed after training: the main metrics of the last and the kept model. */
function summary(outcome: ExperimentOutcome, dir: string, backend: string, seconds: number): string {
  const { config, data, last, best, bestEpoch, history } = outcome;
  const minority = data.minorityClasses;
  const rows: [string, number | undefined, number | undefined][] = [
    ['accuracy', last.accuracy, best.accuracy],
    ['macro-F1', last.macroF1, best.macroF1],
    ['balanced accuracy', last.balancedAccuracy, best.balancedAccuracy],
  ];
  if (minority.length > 0) rows.push([`minority recall (${minority.length} classes)`, meanRecall(last, minority), meanRecall(best, minority)]);
  const label = Math.max(...rows.map(([name]) => name.length));
  const lastHead = `last (epoch ${history.length})`;
  const bestHead = `best (epoch ${bestEpoch})`;
  const column = Math.max(lastHead.length, bestHead.length) + 2;
  const lines = [
    `Trained ${config.loss} (${config.backbone}) on ${config.dataset}, recipe ${config.recipe}, for ${config.epochs} epoch${config.epochs === 1 ? '' : 's'} in ${seconds.toFixed(1)} s on ${backend}.`,
    `Test metrics (%), ${last.samples} samples:`,
    `  ${''.padEnd(label)}${lastHead.padStart(column)}${bestHead.padStart(column)}`,
    ...rows.map(([name, a, b]) => `  ${name.padEnd(label)}${percent(a).padStart(column)}${percent(b).padStart(column)}`),
    config.validationFraction > 0
      ? `Saved model: the best epoch by macro-F1 on the validation split (${Math.round(config.validationFraction * 1000) / 10} % of each training class).`
      : 'Saved model: the last epoch (no validation split to choose another).',
    `Saved to ${dir} (${MODEL_FOLDER}/, ${METRICS_FILE}, ${CONFUSION_FILE}, ${CONFIG_FILE}).`,
  ];
  return lines.join('\n');
}

/** `affinity train`. */
export function trainCommand(): Command {
  const d = EXPERIMENT_DEFAULTS;
  const command = new Command('train')
    .description('Train one model on a dataset made imbalanced (and noisy) by a recipe; save the model, its metrics and its config to a folder.')
    .option('-d, --dataset <name>', `dataset: ${DATASET_NAMES.join(', ')}`, 'mnist')
    .option('--data-path <path>', "the dataset's folder or file when not at its standard location (cifar10 needs it)")
    .option('-i, --imbalance <recipe>', 'imbalance recipe: step:0-4:0.1, exp:100, evencap:10, counts:500,50,...; may add +noise:sym:0.2', 'none')
    .option('--noise <spec>', 'label noise on the training split, e.g. sym:0.2 or asym:mnist:0.4 (adds +noise:<spec> to the recipe)')
    .option('-l, --loss <name>', 'loss (method), see the list below', 'affinity')
    .addOption(new Option('--backbone <name>', 'backbone: mlp takes flat inputs, the CNNs images').choices(BACKBONE_NAMES).default(d.backbone))
    .option('--feature-width <n>', 'width of the features the head sees', parsePositiveInteger, d.featureWidth)
    .option('-e, --epochs <n>', 'epochs', parsePositiveInteger, d.epochs)
    .option('-b, --batch-size <n>', 'rows per step', parsePositiveInteger, d.batchSize)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES).default(d.optimizer))
    .option('--lr <rate>', 'initial learning rate', parsePositive, d.learningRate)
    .option('--weight-decay <w>', 'L2 weight decay on kernels', parseNumber, d.weightDecay)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'cosine'] as const).default(d.schedule))
    .addOption(new Option('--sampling <mode>', 'how batches weigh classes').choices(SAMPLING_MODES).default(d.sampling))
    .option('--validation <fraction>', 'share of each training class held out to pick the best epoch, in [0, 1); 0 keeps the last epoch', parseNumber, d.validationFraction)
    .option('--train-fraction <f>', 'share of the training rows used (stratified), in (0, 1]', parseNumber, d.trainFraction)
    .option('-s, --seed <n>', 'seed of the recipe, the initial weights, the batch order and the sampler', parseCount, d.seed)
    .option('--sigma <s>', 'affinity heads: sigma (default: feature width + 2)', parsePositive)
    .option('--margin <m>', 'affinity heads: margin lambda in [0, 1] (default: 0.3)', parseNumber)
    .option('--prototypes <m>', 'affinity heads: prototypes per class (default: 1, or 5 for affinity-m5)', parsePositiveInteger)
    .option('--center-weight <w>', 'center-loss: weight of the centre term (default: 0.01)', parsePositive)
    .requiredOption('-o, --out <dir>', 'output folder (model/, metrics.json, confusion.csv, config.json)')
    .option('--force', 'overwrite a run of a different config in --out, or write beside other files')
    .option('-q, --quiet', 'no progress output (the summary is still printed)')
    .addHelpText(
      'after',
      `\nDatasets:\n${DATASETS.map(({ name, summary }) => `  ${name.padEnd(15)} ${summary}`).join('\n')}` +
        `\n\nLosses:\n${METHOD_NAMES.map((name) => `  ${name.padEnd(17)} ${METHODS[name].description}`).join('\n')}`,
    )
    .action(async (flags: TrainFlags) => {
      // Every name and number is checked before any data is read or a folder is made.
      const config = resolveExperimentConfig(experimentInput(flags));
      const dir = resolve(flags.out);
      await checkRunFolder(dir, config, flags.force === true);
      const { backend } = await useNodeBackend({ prefer: 'wasm', quiet: flags.quiet === true });
      const progress = trainingProgress(flags.quiet === true, config.epochs);
      const started = performance.now();
      let outcome: ExperimentOutcome;
      try {
        outcome = await runExperiment(config, {}, [progress]);
      } finally {
        progress.stop();
      }
      try {
        const seconds = (performance.now() - started) / 1000;
        await writeRun(dir, outcome, backend, seconds);
        console.log(summary(outcome, flags.out, backend, seconds));
      } finally {
        outcome.classifier.dispose();
      }
    });
  return withExamples(command, [
    'affinity train --dataset mnist --imbalance step:0-4:0.1 --loss affinity --epochs 10 --out runs/mnist-step',
    'affinity train --dataset fashion-mnist --imbalance exp:100 --noise sym:0.2 --loss ldam-drw --backbone cnn --out runs/fmnist-ldam',
    'affinity train --dataset gaussians --loss affinity-m5 --feature-width 2 --epochs 20 --sigma 4 --out runs/blobs',
    'affinity train --dataset cifar10 --data-path ~/data/cifar-10-batches-bin --backbone cnn3 --schedule cosine --out runs/cifar',
  ]);
}
