/**
 * `affinity eval`: scores a model saved by `affinity train` on the test split of a named dataset
 * (optionally after a recipe) or on every row of a CSV file.
 */
import { dirname, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Command } from 'commander';
// The root entry registers the custom layers and regularizers (GaussianAffinity, CosineHead,
// CenterLossHead, ...) that tf.loadLayersModel must find by class name.
import 'affinity-loss';
import { GaussianAffinity } from 'affinity-loss/internal/affinity/layer.js';
import { featureSize, type Split } from 'affinity-loss/internal/data/dataset.js';
import type { Features } from 'affinity-loss/internal/data/rowStore.js';
import { prepareDataset } from 'affinity-loss/internal/data/prepare.js';
import { parseRecipe } from 'affinity-loss/internal/data/spec.js';
import { AffinityConfigError, AffinityLossError, LabelError, ModelFileError, ShapeError } from 'affinity-loss/internal/errors.js';
import { allFinite } from 'affinity-loss/internal/finite.js';
import { backboneWorkload, needsImages } from 'affinity-loss/internal/models/backbones.js';
import { isFile } from 'affinity-loss-node/internal/data/files.js';
import { readCsv } from 'affinity-loss-node/internal/data/csv.js';
import { DATASET_NAMES, loadDataset } from 'affinity-loss-node/internal/data/registry.js';
import { selectClasses } from '../../bench/experiment.js';
import { useNodeBackend } from 'affinity-loss-node';
import { writeFileAtomic } from 'affinity-loss-node/internal/io/atomicWrite.js';
import { createFolder } from 'affinity-loss-node/internal/io/folders.js';
import { WEIGHTS_BIN } from 'affinity-loss-node/internal/io/fileHandler.js';
import { predictClassIds } from 'affinity-loss/internal/train/predict.js';
import { classificationReport, type ClassificationReport } from 'affinity-loss/internal/train/report.js';
import { addImageReadingOptions, imageReading, type ImageReadingFlags } from '../experimentOptions.js';
import { withExamples } from '../options.js';
import { MODEL_FOLDER, meanRecall, percent, requireRunFolder, sha256OfFile, type RunFolderConfig } from './modelFolder.js';

/** The flags as commander hands them over. */
interface EvalFlags extends ImageReadingFlags {
  model: string;
  dataset?: string;
  imbalance?: string;
  dataPath?: string;
  label?: string | number;
  header?: boolean;
  out?: string;
  quiet?: boolean;
}

/** What metrics JSON `--out` holds. */
export interface EvalRecord {
  /** The model folder evaluated. */
  model: string;
  /** Registry name or CSV path. */
  dataset: string;
  /** The recipe applied before taking the test split (registry datasets only). */
  recipe?: string;
  /** The model's class names, in class-id order (the report's rows and columns). */
  classNames: string[];
  /** Classes the training recipe made rare. */
  minorityClasses: number[];
  /** Every metric of the evaluation. */
  report: ClassificationReport;
  /** Affinity heads: the prior correction tau the saved model predicted with (0: none). */
  priorCorrection?: number;
}

/** `--label 3`, `--label -1` (an index) or `--label species` (a header name). */
function parseLabelColumn(value: string): string | number {
  return /^-?\d+$/.test(value) ? Number(value) : value;
}

/** Evaluation rows and where they came from. */
interface EvalData {
  /** Rows with class ids of the model's classes. */
  split: Split<Features>;
  /** Values per row. */
  size: number;
  /** Shape of one row as the source gives it, for messages. */
  shape: number[];
  /** How to name the source in messages and the summary. */
  description: string;
  /** The recipe applied (registry datasets). */
  recipe?: string;
}

/** A CSV path (by extension or because the file exists) rather than a registry name. */
async function isCsvSource(source: string): Promise<boolean> {
  return /\.csv(\.gz)?$/i.test(source) || (await isFile(source));
}

/** The test split of a registry dataset after the recipe, with the recipe's seed of the training run. */
async function registryData(name: string, flags: EvalFlags, run: RunFolderConfig): Promise<EvalData> {
  // The training run's data path serves when evaluating on the dataset it trained on.
  const path = flags.dataPath ?? (name === run.config.dataset ? run.config.datasetPath : undefined);
  const recipe = flags.imbalance ?? 'none';
  // An image folder is read at the size and channels the model was trained on.
  const image = name === 'image-folder' ? { imageSize: run.config.imageSize, channels: run.config.imageChannels } : {};
  const dataset = prepareDataset(await loadDataset(name, { path, ...image, ...imageReading(flags) }), recipe, run.config.seed);
  const size = featureSize(dataset.featureShape);
  if (name === 'image-folder') {
    // Another image folder names its classes by its subfolders: matched to the model's by name.
    const ids = modelIdsOf(dataset.classNames, run, (unknown) => `${path ?? name}: class folders ${unknown.join(', ')} are not among the model's classes (${run.classNames.join(', ')})`);
    dataset.test.labels = dataset.test.labels.map((id) => ids[id]);
  }
  // A model trained on some classes only (verification) scores their rows, numbered as it was trained.
  const trainClasses = run.config.trainClasses;
  return {
    split: trainClasses ? selectClasses(dataset.test, size, trainClasses, true) : dataset.test,
    size,
    shape: dataset.featureShape,
    description: `the ${name} test split${dataset.recipe === 'none' ? '' : ` after ${dataset.recipe}`}${trainClasses ? `, classes ${trainClasses.join(', ')}` : ''}`,
    recipe: dataset.recipe,
  };
}

/**
 * The model's class id of each of a data source's class names (a CSV's text labels, an image
 * folder's subfolders).
 *
 * @throws LabelError with `describe`'s message for the names the model does not know.
 */
function modelIdsOf(classNames: readonly string[], run: RunFolderConfig, describe: (unknown: string[]) => string): number[] {
  const unknown = classNames.filter((name) => !run.classNames.includes(name));
  if (unknown.length > 0) throw new LabelError(describe(unknown));
  return classNames.map((name) => run.classNames.indexOf(name));
}

/**
 * Every row of a CSV file. Integer labels are class ids; text labels are matched to the
 * model's class names, so a table labelled `cat`, `dog` scores a model trained on those names.
 */
async function csvData(path: string, flags: EvalFlags, run: RunFolderConfig): Promise<EvalData> {
  const table = await readCsv(path, { label: flags.label, header: flags.header === true });
  const integerIds = table.classNames.every((name, id) => name === String(id));
  let labels = table.labels;
  if (!integerIds) {
    const ids = modelIdsOf(
      table.classNames,
      run,
      (unknown) =>
        `${path}: labels ${unknown.map((name) => JSON.stringify(name)).join(', ')} are not class ids and not among the model's ` +
        `class names (${run.classNames.join(', ')})`,
    );
    labels = Int32Array.from(table.labels, (label) => ids[label]);
  }
  return {
    split: { features: table.features, labels, count: table.count },
    size: table.featureCount,
    shape: [table.featureCount],
    description: path,
  };
}

/**
 * Loads the saved model; any failure to read or rebuild it is a ModelFileError, and so are
 * weights that are not the ones training wrote (their SHA-256 in config.json) or not finite:
 * such a model would score garbage with exit 0.
 */
async function loadModel(dir: string, run: RunFolderConfig): Promise<tf.LayersModel> {
  const weights = join(dir, MODEL_FOLDER, WEIGHTS_BIN);
  if (run.weightsSha256 !== undefined) {
    const actual = await sha256OfFile(weights).catch((error: Error) => {
      throw new ModelFileError(`cannot read ${weights}: ${error.message}`);
    });
    if (actual !== run.weightsSha256) {
      throw new ModelFileError(`${weights} is not the file training wrote (its SHA-256 differs from the one in config.json): damaged, truncated or replaced; retrain the run`);
    }
  }
  let model: tf.LayersModel;
  try {
    // The model.json path: what tfjs-node's file:// handler also loads, should it serve.
    model = await tf.loadLayersModel(`file://${join(dir, MODEL_FOLDER, 'model.json')}`);
  } catch (error) {
    if (error instanceof AffinityLossError) throw error;
    throw new ModelFileError(`cannot load the model in ${join(dir, MODEL_FOLDER)}: ${(error as Error).message}`);
  }
  // One read for all the weights; the offending one is looked for only when there is one.
  if (!allFinite(model.getWeights())) {
    const bad = model.weights.find((weight) => !allFinite([weight.read()]));
    model.dispose();
    throw new ModelFileError(`${weights} holds NaN or infinite values (in ${bad?.name}): not a model training saved`);
  }
  return model;
}

/** The metrics and the per-class recall, as printed. */
function summary(run: RunFolderConfig, data: EvalData, report: ClassificationReport, dir: string, tau: number | undefined): string {
  const minority = run.minorityClasses ?? [];
  const rows: [string, number | undefined][] = [
    ['accuracy', report.accuracy],
    ['macro-F1', report.macroF1],
    ['balanced accuracy', report.balancedAccuracy],
    ['G-mean', report.gMean],
  ];
  if (minority.length > 0) rows.push([`minority recall (${minority.length} classes)`, meanRecall(report, minority)]);
  const label = Math.max(...rows.map(([name]) => name.length));
  const testCounts = new Array<number>(run.classNames.length).fill(0);
  for (const id of data.split.labels) testCounts[id]++;
  const nameWidth = Math.max(5, ...run.classNames.map((name) => name.length));
  const { config } = run;
  return [
    `Model ${dir}: ${config.method} (${config.backbone}) trained on ${config.dataset}, recipe ${config.recipe}, seed ${config.seed}.`,
    `Evaluated on ${data.description}: ${report.samples} samples.`,
    ...(tau ? [`Predictions corrected for the training prior: log A - ${tau} log pi (the tau saved with the model).`] : []),
    ...rows.map(([name, value]) => `  ${name.padEnd(label)}  ${percent(value).padStart(6)} %`),
    'Per-class recall (%):',
    `  ${'class'.padEnd(nameWidth)}  train rows  test rows  recall`,
    ...run.classNames.map(
      (name, id) =>
        `  ${name.padEnd(nameWidth)}  ${String(run.trainCounts[id] ?? '-').padStart(10)}  ${String(testCounts[id]).padStart(9)}  ` +
        `${(testCounts[id] === 0 ? '-' : percent(report.perClassRecall[id])).padStart(6)}${minority.includes(id) ? '  (minority)' : ''}`,
    ),
  ].join('\n');
}

/** `affinity eval`. */
export function evalCommand(): Command {
  const command = new Command('eval');
  addImageReadingOptions(command)
    .description('Evaluate a model saved by `affinity train` on a dataset\'s test split or on every row of a CSV file.')
    .requiredOption('-m, --model <dir>', 'the folder `affinity train --out` wrote')
    .option('-d, --dataset <name|file.csv>', `a dataset (${DATASET_NAMES.join(', ')}) or a CSV file (default: the model's training dataset)`)
    .option('-i, --imbalance <recipe>', 'named datasets: recipe applied first (evencap:10 caps the test split too); its seed is the training seed (default: none)')
    .option('--data-path <path>', "named datasets: the dataset's folder or file (default: the training run's)")
    .option('--label <column>', 'CSV: the label column, a header name or an index; negative counts from the end (default: -1, the last)', parseLabelColumn)
    .option('--header', 'CSV: the first row holds column names')
    .option('-o, --out <file>', 'also write every metric as JSON to this file')
    .option('-q, --quiet', 'no backend warnings')
    .action(async (flags: EvalFlags) => {
      const dir = resolve(flags.model);
      const run = await requireRunFolder(dir);
      const source = flags.dataset ?? run.config.dataset;
      const csv = await isCsvSource(source);
      if (csv && flags.imbalance !== undefined) throw new AffinityConfigError('--imbalance applies to named datasets, not to a CSV file');
      if (!csv && (flags.label !== undefined || flags.header === true)) {
        throw new AffinityConfigError(`--label and --header apply to CSV files; ${JSON.stringify(source)} is a named dataset`);
      }
      if (!csv && !(DATASET_NAMES as readonly string[]).includes(source)) {
        throw new AffinityConfigError(`unknown dataset ${JSON.stringify(source)}: give one of ${DATASET_NAMES.join(', ')}, or the path of a CSV file`);
      }
      // A bad recipe fails before the backend starts and the data is read.
      if (flags.imbalance !== undefined) parseRecipe(flags.imbalance);

      await useNodeBackend({ workload: backboneWorkload(run.config.backbone), quiet: flags.quiet === true });
      const model = await loadModel(dir, run);
      try {
        const data = csv ? await csvData(source, flags, run) : await registryData(source, flags, run);
        const inputShape = model.inputs[0].shape.slice(1) as number[];
        const inputSize = featureSize(inputShape);
        if (data.size !== inputSize) {
          throw new ShapeError(
            `${data.description} has ${data.size} features per row ([${data.shape.join(', ')}]) but the model in ${flags.model} ` +
              `takes ${inputSize} ([${inputShape.join(', ')}])`,
          );
        }
        const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
        if (classes !== run.classNames.length) {
          throw new ModelFileError(`the model in ${flags.model} has ${classes} outputs but its config.json names ${run.classNames.length} classes`);
        }
        const bad = data.split.labels.findIndex((label) => label >= classes);
        if (bad >= 0) {
          throw new LabelError(`${data.description}: row ${bad + 1} has label ${data.split.labels[bad]}, but the model knows ${classes} classes (0-${classes - 1})`);
        }
        // The MLP takes flat rows; the CNNs take images, so rows are reshaped to the training shape.
        const featureShape = needsImages(run.config.backbone) ? inputShape : [inputSize];
        const predicted = predictClassIds(model, data.split, { featureShape });
        const report = classificationReport(data.split.labels, predicted, classes, run.trainCounts);
        const head = model.outputs[0].sourceLayer;
        const tau = head instanceof GaussianAffinity ? head.priorCorrection : undefined;
        console.log(summary(run, data, report, flags.model, tau));
        if (flags.out !== undefined) {
          const record: EvalRecord = {
            model: flags.model,
            dataset: source,
            ...(data.recipe === undefined ? {} : { recipe: data.recipe }),
            classNames: run.classNames,
            minorityClasses: run.minorityClasses ?? [],
            report,
            ...(tau === undefined ? {} : { priorCorrection: tau }),
          };
          await createFolder(dirname(resolve(flags.out)), '--out');
          await writeFileAtomic(flags.out, `${JSON.stringify(record, null, 2)}\n`);
          console.log(`Metrics written to ${flags.out}.`);
        }
      } finally {
        model.dispose();
      }
    });
  return withExamples(command, [
    'affinity eval --model runs/mnist-step',
    'affinity eval --model runs/mnist-step --dataset mnist --imbalance evencap:100 --out runs/mnist-step/eval-evencap.json',
    'affinity eval --model runs/blobs --dataset blobs.csv --header --label class',
  ]);
}
