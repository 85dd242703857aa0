/**
 * The options that describe one experiment (dataset, recipe, loss, model, training), shared by
 * `affinity train` and `affinity tune`, and `--config FILE`: a saved config (a run folder's
 * config.json, tune's best-config.json, or a plain config object) that flags given on the
 * command line override.
 */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { SAMPLING_MODES } from 'affinity-loss/internal/data/sampler.js';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { BACKBONE_NAMES } from 'affinity-loss/internal/models/backbones.js';
import { METHOD_NAMES, METHODS } from 'affinity-loss/internal/models/methods.js';
import { EXPERIMENT_DEFAULTS, EXPERIMENT_FIELDS, type ExperimentInput, type ImageReading } from '../bench/experiment.js';
import { defaultImageCacheDir } from 'affinity-loss-node/internal/data/imageCache.js';
import { STREAM_ABOVE_BYTES } from 'affinity-loss-node/internal/data/imageFolder.js';
import { DATASETS, DATASET_NAMES } from 'affinity-loss-node/internal/data/registry.js';
import { OPTIMIZER_NAMES } from 'affinity-loss/internal/train/optimizer.js';
import { VALIDATION_SCORES } from 'affinity-loss/internal/train/validationScore.js';
import { parseChannels, parseCount, parseNumber, parsePositive, parsePositiveInteger, parsePriorCorrection, parseSigma } from './options.js';

/**
 * The experiment flags as commander hands them over (defaults filled), one field per option of
 * `addExperimentOptions`, whose help text says what each means.
 */
export interface ExperimentFlags {
  config?: string;
  dataset: string;
  dataPath?: string;
  imageSize?: number;
  channels?: 1 | 3;
  imbalance: string;
  noise?: string;
  loss: string;
  backbone: string;
  featureWidth: number;
  epochs: number;
  batchSize: number;
  optimizer: string;
  lr: number;
  weightDecay: number;
  schedule: string;
  sampling: string;
  selection: string;
  validation: number;
  trainFraction: number;
  seed: number;
  sigma?: number | 'auto';
  margin?: number;
  prototypes?: number;
  diversityWeight?: number;
  classMargins?: boolean;
  priorCorrection?: number | 'auto';
  centerWeight?: number;
}

// Flag (commander's camelCase name) -> config field, for the flags that map one to one.
const FIELD_OF_FLAG: Readonly<Record<string, keyof ExperimentInput>> = {
  dataset: 'dataset',
  dataPath: 'datasetPath',
  imageSize: 'imageSize',
  channels: 'imageChannels',
  loss: 'loss',
  backbone: 'backbone',
  featureWidth: 'featureWidth',
  epochs: 'epochs',
  batchSize: 'batchSize',
  optimizer: 'optimizer',
  lr: 'learningRate',
  weightDecay: 'weightDecay',
  schedule: 'schedule',
  sampling: 'sampling',
  selection: 'selection',
  validation: 'validationFraction',
  trainFraction: 'trainFraction',
  seed: 'seed',
  sigma: 'sigma',
  margin: 'margin',
  prototypes: 'prototypesPerClass',
  diversityWeight: 'diversityWeight',
  classMargins: 'classMargins',
  priorCorrection: 'priorCorrection',
  centerWeight: 'centerWeight',
};

/**
 * Adds the affinity head's options (sigma, margin, prototypes, diversity weight, class margins,
 * prior correction); `affinity bench` takes them too.
 */
export function addAffinityHeadOptions(command: Command): Command {
  return command
    .option('--sigma <s>', "affinity heads: sigma > 0, or 'auto' (the mean squared feature-prototype distance of the first batch); default: feature width + 2", parseSigma)
    .option('--margin <m>', 'affinity heads: margin lambda in (0, 1] (default: 0.3)', parseNumber)
    .option('--prototypes <m>', 'affinity heads: prototypes per class (default: 1, or 5 for affinity-m5)', parsePositiveInteger)
    .option('--diversity-weight <w>', "affinity heads: weight of the diversity regularizer, 0 turns it off (default: 1, the paper's)", parseNumber)
    .option('--class-margins', 'affinity heads (hinge): margins margin * (n_min / n_y)^(1/4) from the class counts (default: on for affinity-lt only)')
    .option('--no-class-margins', 'affinity heads: one margin for every class, even for affinity-lt')
    .option(
      '--prior-correction <tau>',
      "affinity heads: predict by log A - tau log pi; 'auto' chooses tau on the validation split after training (default: 0, auto for affinity-lt and affinity-ce)",
      parsePriorCorrection,
    );
}

/**
 * The config fields of the experiment flags that are set, under their config names (`lr` ->
 * `learningRate`); flags of other commands are ignored. `affinity bench` takes its overrides so.
 */
export function configFieldsOf(flags: object): Partial<ExperimentInput> {
  const values = flags as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(FIELD_OF_FLAG).flatMap(([flag, field]) => (values[flag] === undefined ? [] : [[field, values[flag]]])),
  ) as Partial<ExperimentInput>;
}

/**
 * Adds `--data-path`, `--image-size` and `--channels`: where a dataset is and how an image
 * folder is read (`affinity train`, `tune` and `bench` share them).
 */
export function addDatasetLocationOptions(command: Command): Command {
  return command
    .option('--data-path <path>', "the dataset's folder or file when not at its standard location (cifar10 and image-folder need it)")
    .option('--image-size <n>', 'image-folder: side of the square images, in pixels (default: 28)', parsePositiveInteger)
    .option('--channels <n>', 'image-folder: 1 for grayscale, 3 for RGB (default: 1)', parseChannels);
}

/** Adds every experiment option, `--config`, and the dataset and loss lists to the help. */
export function addExperimentOptions(command: Command, defaultLoss: string): Command {
  const d = EXPERIMENT_DEFAULTS;
  command
    .option('-c, --config <file>', "start from a saved config (a run's config.json, tune's best-config.json); flags given override it")
    .option('-d, --dataset <name>', `dataset: ${DATASET_NAMES.join(', ')}`, 'mnist');
  addDatasetLocationOptions(command)
    .option('-i, --imbalance <recipe>', 'imbalance recipe: step:0-4:0.1, exp:100, evencap:10, counts:500,50,...; may add +noise:sym:0.2', 'none')
    .option('--noise <spec>', 'label noise on the training split, e.g. sym:0.2 or asym:mnist:0.4 (adds +noise:<spec> to the recipe)')
    .option('-l, --loss <name>', 'loss (method), see the list below', defaultLoss)
    .addOption(new Option('--backbone <name>', 'backbone: mlp takes flat inputs, the CNNs images').choices(BACKBONE_NAMES).default(d.backbone))
    .option('--feature-width <n>', 'width of the features the head sees', parsePositiveInteger, d.featureWidth)
    .option('-e, --epochs <n>', 'epochs', parsePositiveInteger, d.epochs)
    .option('-b, --batch-size <n>', 'rows per step', parsePositiveInteger, d.batchSize)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZER_NAMES).default(d.optimizer))
    .option('--lr <rate>', 'initial learning rate', parsePositive, d.learningRate)
    .option('--weight-decay <w>', 'L2 weight decay on kernels', parseNumber, d.weightDecay)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule').choices(['constant', 'cosine'] as const).default(d.schedule))
    .addOption(new Option('--sampling <mode>', 'how batches weigh classes').choices(SAMPLING_MODES).default(d.sampling))
    .addOption(
      new Option('--selection <score>', "validation score that picks the best epoch and the prior correction: balanced-macro-f1 weights each row by 1 / its class count (for a balanced test split), macro-f1 takes the rows as they are")
        .choices(VALIDATION_SCORES)
        .default(d.selection),
    )
    .option('--validation <fraction>', 'share of each training class held out to pick the best epoch, in [0, 1); 0 keeps the last epoch', parseNumber, d.validationFraction)
    .option('--train-fraction <f>', 'share of the training rows used (stratified), in (0, 1]', parseNumber, d.trainFraction)
    .option('-s, --seed <n>', 'seed of the recipe, the initial weights, the batch order and the sampler', parseCount, d.seed);
  addAffinityHeadOptions(command);
  return command
    .option('--center-weight <w>', 'center-loss: weight of the centre term (default: 0.01)', parsePositive)
    .addHelpText(
      'after',
      `\nDatasets:\n${DATASETS.map(({ name, summary }) => `  ${name.padEnd(15)} ${summary}`).join('\n')}` +
        `\n\nLosses:\n${METHOD_NAMES.map((name) => `  ${name.padEnd(17)} ${METHODS[name].description}`).join('\n')}`,
    );
}

/** True when the user typed the option (not a default, not absent). */
function given(command: Command, flag: string): boolean {
  return command.getOptionValueSource(flag) === 'cli';
}

/**
 * The experiment the flags describe, before defaults and checks: the `--config` file's, with the
 * flags typed on the command line on top; without `--config`, every flag (defaults included).
 */
export async function experimentInput(command: Command, flags: ExperimentFlags): Promise<ExperimentInput> {
  const base = flags.config === undefined ? undefined : await readConfigFile(flags.config);
  const take = (flag: string) => base === undefined || given(command, flag);
  const input: Record<string, unknown> = { ...base };
  for (const [flag, field] of Object.entries(FIELD_OF_FLAG)) {
    const value = (flags as unknown as Record<string, unknown>)[flag];
    if (take(flag) && value !== undefined) input[field] = value;
  }
  if (take('imbalance') || take('noise')) {
    // --noise is a shorthand for a noise part of the recipe, so both spellings give one config;
    // with --config, --noise alone adds noise to the file's recipe.
    let imbalance = base !== undefined && !given(command, 'imbalance') ? (base.recipe ?? 'none') : flags.imbalance;
    if (flags.noise !== undefined) {
      // --noise replaces a noise part the recipe already has (a recipe holds at most one).
      imbalance = imbalance.split('+').filter((part) => !part.startsWith('noise:')).join('+') || 'none';
    }
    input.recipe = flags.noise === undefined ? imbalance : `${imbalance === 'none' ? '' : `${imbalance}+`}noise:${flags.noise}`;
  }
  return input as ExperimentInput;
}

/**
 * Reads a saved config: `{ config: {...} }` (a run folder's config.json, tune's
 * best-config.json) or the config object itself. Unknown fields are refused, so a misspelt
 * field is not silently ignored.
 */
export async function readConfigFile(path: string): Promise<Partial<ExperimentInput>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AffinityConfigError(`--config ${path}: no such file`);
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AffinityConfigError(`--config ${path}: not valid JSON (${(error as Error).message})`);
  }
  const holder = value as { config?: unknown } | null;
  const config = typeof holder === 'object' && holder !== null && typeof holder.config === 'object' ? holder.config : value;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new AffinityConfigError(`--config ${path}: expected a config object or { "config": { ... } }`);
  }
  const unknown = Object.keys(config).filter((key) => !(EXPERIMENT_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new AffinityConfigError(`--config ${path}: unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; known: ${EXPERIMENT_FIELDS.join(', ')}`);
  }
  return config as Partial<ExperimentInput>;
}

/** The flags of how an image folder is read (`addImageReadingOptions`). */
export interface ImageReadingFlags {
  /** true: --stream, false: --no-stream, absent: by size. */
  stream?: boolean;
  cacheDir?: string;
}

/**
 * `--stream`, `--no-stream` and `--cache-dir`: whether an image folder's decoded images are
 * held in memory or read batch by batch from a cache on disk (results are the same).
 */
export function addImageReadingOptions(command: Command): Command {
  return command
    .option('--stream', `image-folder: read batches from a decoded-image cache on disk (default: when the images would take more than ${STREAM_ABOVE_BYTES / 2 ** 20} MiB in memory)`)
    .option('--no-stream', 'image-folder: hold every decoded image in memory')
    .option('--cache-dir <dir>', `image-folder, streaming: where decoded images are cached (default: ${defaultImageCacheDir()})`);
}

/** What `runExperiment` and `loadDataset` take from those flags. */
export function imageReading(flags: ImageReadingFlags): ImageReading {
  return { stream: flags.stream ?? 'auto', cacheDir: flags.cacheDir };
}
