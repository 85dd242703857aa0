/**
 * One entry per experiment setting: its default, check, command-line flag (and how its text is
 * read), help text, search range and the configs it applies to. Everything else reads this table:
 * `resolveExperimentConfig` fills and checks a config with it (every default resolved, the
 * head's included), `addExperimentOptions` makes the flags of train and tune and bench's
 * overrides from it, `readConfigFile` knows the fields by it, and tune draws from its ranges.
 * (imbalanced-learn's `@validate_params` table plays the same part.)
 */
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { SAMPLING_MODES } from 'affinity-loss/internal/data/sampler.js';
import { describeRecipe, parseRecipe } from 'affinity-loss/internal/data/spec.js';
import { validateMargin } from 'affinity-loss/internal/affinity/loss.js';
import { BACKBONE_NAMES } from 'affinity-loss/internal/models/backbones.js';
import { HEAD_SETTING_NAMES, headDefaults, type HeadSettingName } from 'affinity-loss/internal/models/build.js';
import { METHOD_NAMES, requireMethodName, type MethodName } from 'affinity-loss/internal/models/methods.js';
import { OPTIMIZER_NAMES } from 'affinity-loss/internal/train/optimizer.js';
import { PRIOR_CORRECTION_GRID } from 'affinity-loss/internal/train/priorCorrection.js';
import { SCHEDULE_NAMES } from 'affinity-loss/internal/train/schedule.js';
import { VALIDATION_SCORES } from 'affinity-loss/internal/train/validationScore.js';
import { requireInRange, requireInteger, requireNonNegative, requireOneOf, requirePositive, requireSeed } from 'affinity-loss/internal/validate.js';
import { resolveImageSettings } from 'affinity-loss-node/internal/data/imageFolder.js';
import { DATASET_NAMES } from 'affinity-loss-node/internal/data/registry.js';
import type { Rng } from 'affinity-loss/internal/data/rng.js';
import type { ExperimentConfig } from './experiment.js';

/** How a flag's text becomes a value before the setting's check: as it is, as a number, or as `auto` or a number. */
export type FlagValue = 'text' | 'number' | 'number-or-auto';

/** The command-line form of a setting. */
export interface SettingFlag {
  /** Commander's flags: `-e, --epochs <n>`; a switch (no argument) also gets its `--no-` form. */
  flags: string;
  /** How the argument is read (default 'text'); absent for a switch. */
  value?: FlagValue;
  /** The values to list in --help and accept (commander's `choices`). */
  choices?: readonly string[];
  /** Switches: the help of the `--no-` form. */
  negatedHelp?: string;
  /**
   * `affinity bench` takes it too, as an override of its protocols' settings: `true`, or the
   * help text bench shows instead of the usual one.
   */
  bench?: true | string;
}

/** How `affinity tune` draws a setting: from a range `R` ([low, high], or the values to pick from). */
export interface SettingSearch<T, R extends readonly unknown[] = readonly unknown[]> {
  /** The default range. */
  range: R;
  /** @throws AffinityConfigError unless `range` is a range of this kind (a search space given by a caller). */
  checkRange(range: unknown, field: string): R;
  /** One value of a trial, from the range, given the config it joins (sigma scales by the feature width). */
  draw(rng: Rng, range: R, config: ExperimentConfig): T;
  /** For --help: how the range is searched. */
  describe(range: R): string;
  /** Methods whose name fixes the value (affinity-m5's prototypes): not searched for them. */
  fixedBy?: readonly MethodName[];
}

/** One experiment setting. */
export interface Setting<T> {
  /** What it is and what is allowed, for --help. */
  help: string;
  /**
   * The value when none is given: a constant, or one from the fields before it (the head
   * settings: from the method). Absent: the field stays unset unless given.
   */
  default?: T | ((config: ExperimentConfig) => T | undefined);
  /** For --help, when the default is not one value (`feature width + 2`); otherwise made from `default`. */
  defaultHelp?: string;
  /** Checks a given value; returns it in canonical form. @throws AffinityConfigError naming the field. */
  check(value: unknown): T;
  /**
   * Whether the setting applies to a config (the head settings: to some methods; the image
   * settings: to image-folder). A setting given where it does not apply is refused.
   */
  appliesTo?: {
    test(config: ExperimentConfig): boolean;
    /** The field the test reads (the method, the dataset), for the refusal's message. */
    by: 'method' | 'dataset';
    /** What it applies to: `image-folder`, `affinity, affinity-m5`. */
    describe: string;
  };
  /** Its flag, for settings the command line sets (trainClasses is set in --config files only). */
  flag?: SettingFlag;
  /** Its search range, for settings `affinity tune` searches. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each setting's range type is its own (see SearchSpace)
  search?: SettingSearch<T, any>;
}

/** The settings of every field of `ExperimentConfig`, in the order they are resolved (a default sees the fields above it). */
export type ExperimentSettings = { readonly [F in keyof ExperimentConfig]-?: Setting<NonNullable<ExperimentConfig[F]>> };

function logUniform(rng: Rng, [low, high]: readonly [number, number]): number {
  return Math.exp(Math.log(low) + rng.next() * (Math.log(high) - Math.log(low)));
}

// Three significant digits: what a person would type, and what a config file shows.
const round3 = (value: number) => Number(value.toPrecision(3));

/** [low, high] with 0 < low <= high (`positive`) or low <= high. */
function checkInterval(range: unknown, field: string, positive: boolean): readonly [number, number] {
  const ok = Array.isArray(range) && range.length === 2 && range.every((bound) => typeof bound === 'number' && Number.isFinite(bound) && (!positive || bound > 0)) && range[0] <= range[1];
  if (!ok) throw new AffinityConfigError(`the search range of ${field} must be [low, high] with ${positive ? '0 < ' : ''}low <= high, got ${JSON.stringify(range)}`);
  return range as [number, number];
}

/**
 * A scale searched log-uniformly between two bounds > 0, or between two multiples of a `unit`
 * that depends on the config (sigma: of its default).
 */
function logUniformSearch(range: readonly [number, number], unit?: { of(config: ExperimentConfig): number; describe: string }): SettingSearch<number, readonly [number, number]> {
  return {
    range,
    checkRange: (value, field) => checkInterval(value, field, true),
    draw: (rng, bounds, config) => round3((unit?.of(config) ?? 1) * logUniform(rng, bounds)),
    describe: (bounds) => `${bounds[0]}-${bounds[1]}${unit ? ` x (${unit.describe})` : ''}, log-uniform`,
  };
}

/** A value searched uniformly between two bounds. */
function uniformSearch(range: readonly [number, number]): SettingSearch<number, readonly [number, number]> {
  return {
    range,
    checkRange: (value, field) => checkInterval(value, field, false),
    draw: (rng, [low, high]) => round3(low + rng.next() * (high - low)),
    describe: (bounds) => `${bounds[0]}-${bounds[1]}`,
  };
}

/** One of a list of values, each as likely; `check` is the setting's check of one value. */
function choiceSearch<T>(values: readonly T[], check: (value: unknown) => T): SettingSearch<T, readonly T[]> {
  return {
    range: values,
    checkRange: (value, field) => {
      if (!Array.isArray(value) || value.length === 0) throw new AffinityConfigError(`the search range of ${field} must be a non-empty list of values, got ${JSON.stringify(value)}`);
      return value.map(check);
    },
    draw: (rng, list) => list[rng.int(list.length)],
    describe: (list) => `one of ${list.join(', ')}`,
  };
}

/**
 * A head setting applies to the methods whose head has it, and defaults to the method's value
 * (`headDefaults`); --help lists those per method unless `defaultHelp` says it in words.
 */
function headSetting<T>(name: HeadSettingName, defaultHelp = headDefaultHelp(name)): Pick<Setting<T>, 'appliesTo' | 'defaultHelp'> & { default: (config: ExperimentConfig) => T | undefined } {
  const methods = METHOD_NAMES.filter((method) => name in headDefaults(method, 1));
  return {
    default: (config) => headDefaults(config.method, config.featureWidth)[name] as T | undefined,
    defaultHelp,
    appliesTo: { test: (config) => name in headDefaults(config.method, 1), by: 'method', describe: methods.join(', ') },
  };
}

/** The default of a head setting per method, for --help: `0; auto for affinity-lt, affinity-ce`. */
function headDefaultHelp(name: HeadSettingName): string {
  const byValue = new Map<string, string[]>();
  for (const method of METHOD_NAMES) {
    const defaults = headDefaults(method, 1);
    if (!(name in defaults)) continue;
    const value = String(defaults[name]);
    byValue.set(value, [...(byValue.get(value) ?? []), method]);
  }
  const [common, ...others] = [...byValue.entries()].sort((a, b) => b[1].length - a[1].length);
  return [common[0], ...others.map(([value, methods]) => `${value} for ${methods.join(', ')}`)].join('; ');
}

// `defaultSigma` in words.
const SIGMA_DEFAULT_HELP = 'feature width + 2';

// The step schedule needs milestones, which a config does not carry.
const CONFIG_SCHEDULES = SCHEDULE_NAMES.filter((name): name is 'constant' | 'cosine' => name !== 'step');

const checkPrototypes = (value: unknown) => requireInteger('prototypesPerClass', value, 1);
const checkClassMargins = (value: unknown) => {
  if (typeof value !== 'boolean') throw new AffinityConfigError(`classMargins must be true or false, got ${JSON.stringify(value)}`);
  return value;
};
const checkPriorCorrection = (value: unknown) => (value === 'auto' ? 'auto' : requireNonNegative('priorCorrection', value));

const imageFolderOnly = { test: (config: ExperimentConfig) => config.dataset === 'image-folder', by: 'dataset', describe: 'image-folder' } as const;

/** The settings. The table is the one place each is defined; the `ExperimentConfig` fields carry their doc comments. */
export const EXPERIMENT_SETTINGS = Object.freeze({
  dataset: {
    help: 'dataset',
    default: 'mnist',
    check: (value) => requireOneOf('dataset', value, DATASET_NAMES),
    flag: { flags: '-d, --dataset <name>', choices: DATASET_NAMES, bench: 'long-tail: run on this dataset instead of MNIST and Fashion-MNIST, e.g. image-folder with --data-path' },
  },
  datasetPath: {
    help: "the dataset's folder or file when not at its standard location (cifar10 and image-folder need it)",
    check: (value) => {
      if (typeof value !== 'string' || value === '') throw new AffinityConfigError(`datasetPath must be a folder or file path, got ${JSON.stringify(value)}`);
      return value;
    },
    flag: { flags: '--data-path <path>', bench: true },
  },
  imageSize: {
    help: 'image-folder: side of the square images, in pixels',
    default: resolveImageSettings({}).imageSize,
    check: (value) => resolveImageSettings({ imageSize: value as number }).imageSize,
    appliesTo: imageFolderOnly,
    flag: { flags: '--image-size <n>', value: 'number', bench: true },
  },
  imageChannels: {
    help: 'image-folder: 1 for grayscale, 3 for RGB',
    default: resolveImageSettings({}).channels,
    check: (value) => resolveImageSettings({ channels: value as 1 | 3 }).channels,
    appliesTo: imageFolderOnly,
    flag: { flags: '--channels <n>', value: 'number', bench: true },
  },
  recipe: {
    help: 'imbalance recipe: step:0-4:0.1, exp:100, evencap:10, counts:500,50,...; may add +noise:sym:0.2',
    default: 'none',
    check: (value) => {
      const recipe = parseRecipe(value as string);
      if (recipe.validationFraction !== undefined) {
        throw new AffinityConfigError(`recipe ${JSON.stringify(value)} has a val: part; give the validation share as validationFraction (--validation) instead`);
      }
      return describeRecipe(recipe);
    },
    flag: { flags: '-i, --imbalance <recipe>' },
  },
  validationFraction: {
    help: 'share of each training class held out to pick the best epoch, in [0, 1); 0 keeps the last epoch',
    default: 0.1,
    check: (value) => requireInRange('validationFraction', value, 0, 1, true),
    flag: { flags: '--validation <fraction>', value: 'number' },
  },
  trainClasses: {
    help: 'classes to train on (verification: the others are unseen), renumbered 0..n-1 in this order',
    check: (value) => {
      if (!Array.isArray(value) || value.length < 2 || new Set(value).size !== value.length || value.some((id) => !Number.isInteger(id) || id < 0)) {
        throw new AffinityConfigError(`trainClasses must list at least 2 distinct class ids, got ${JSON.stringify(value)}`);
      }
      return value as number[];
    },
  },
  trainFraction: {
    help: 'share of the training rows used (stratified), in (0, 1]',
    default: 1,
    check: (value) => requireInRange('trainFraction', value, 0, 1, false, true),
    flag: { flags: '--train-fraction <f>', value: 'number', bench: true },
  },
  seed: {
    help: 'seed of the recipe, the initial weights, the batch order and the sampler',
    default: 1,
    check: (value) => requireSeed(value),
    flag: { flags: '-s, --seed <n>', value: 'number' },
  },
  method: {
    help: 'method: a head and the loss that trains it, see the list below',
    // The paper's head: what this project is about.
    default: 'affinity',
    check: (value) => requireMethodName(value),
    flag: { flags: '-m, --method <name>' },
  },
  backbone: {
    help: 'backbone: mlp takes flat inputs, the CNNs images',
    default: 'mlp',
    check: (value) => requireOneOf('backbone', value, BACKBONE_NAMES),
    flag: { flags: '--backbone <name>', choices: BACKBONE_NAMES, bench: true },
  },
  featureWidth: {
    help: 'width of the features the head sees',
    default: 128,
    check: (value) => requireInteger('featureWidth', value, 1),
    flag: { flags: '--feature-width <n>', value: 'number', bench: true },
  },
  epochs: {
    help: 'epochs',
    default: 10,
    check: (value) => requireInteger('epochs', value, 1),
    flag: { flags: '-e, --epochs <n>', value: 'number', bench: true },
  },
  batchSize: {
    help: 'rows per step',
    default: 128,
    check: (value) => requireInteger('batchSize', value, 1),
    flag: { flags: '-b, --batch-size <n>', value: 'number' },
  },
  optimizer: {
    help: 'optimizer',
    default: 'adam',
    check: (value) => requireOneOf('optimizer', value, OPTIMIZER_NAMES),
    flag: { flags: '--optimizer <name>', choices: OPTIMIZER_NAMES },
  },
  learningRate: {
    help: 'initial learning rate',
    default: 1e-3,
    check: (value) => requirePositive('learningRate', value),
    flag: { flags: '--lr <rate>', value: 'number', bench: true },
    search: logUniformSearch([3e-4, 3e-3]),
  },
  weightDecay: {
    help: 'L2 weight decay on kernels',
    default: 0,
    check: (value) => requireNonNegative('weightDecay', value),
    flag: { flags: '--weight-decay <w>', value: 'number' },
  },
  schedule: {
    help: 'learning-rate schedule after warm-up: constant, or cosine annealing to 0',
    default: 'constant',
    check: (value) => requireOneOf('schedule', value, CONFIG_SCHEDULES),
    flag: { flags: '--schedule <name>', choices: CONFIG_SCHEDULES },
  },
  sampling: {
    help: 'how batches weigh classes',
    default: 'instance',
    check: (value) => requireOneOf('sampling', value, SAMPLING_MODES),
    flag: { flags: '--sampling <mode>', choices: SAMPLING_MODES },
  },
  selection: {
    help: 'validation score that picks the best epoch and the prior correction: balanced-macro-f1 weights each row by 1 / its class count (for a balanced test split), macro-f1 takes the rows as they are',
    default: 'balanced-macro-f1',
    check: (value) => requireOneOf('selection', value, VALIDATION_SCORES),
    flag: { flags: '--selection <score>', choices: VALIDATION_SCORES },
  },
  sigma: {
    help: "affinity heads: sigma > 0, or 'auto' (the mean squared feature-prototype distance of the first batch)",
    ...headSetting<number | 'auto'>('sigma', SIGMA_DEFAULT_HELP),
    check: (value) => (value === 'auto' ? 'auto' : requirePositive('sigma', value)),
    flag: { flags: '--sigma <s>', value: 'number-or-auto', bench: true },
    // A multiple of the default (feature width + 2, the typical squared distance between fresh
    // BatchNorm features and prototypes): below a twentieth affinities vanish, above five times
    // they all sit near 1.
    search: logUniformSearch([0.05, 5], { of: (config) => headDefaults(config.method, config.featureWidth).sigma as number, describe: SIGMA_DEFAULT_HELP }),
  },
  margin: {
    help: 'affinity heads (hinge): margin lambda in (0, 1]',
    ...headSetting<number>('margin'),
    check: (value) => validateMargin(value),
    flag: { flags: '--margin <m>', value: 'number', bench: true },
    // From nearly none to the paper's 0.75 and beyond.
    search: uniformSearch([0.05, 0.8]),
  },
  prototypesPerClass: {
    help: 'affinity heads: prototypes per class',
    ...headSetting<number>('prototypesPerClass'),
    check: checkPrototypes,
    flag: { flags: '--prototypes <m>', value: 'number', bench: true },
    search: { ...choiceSearch([1, 2, 5], checkPrototypes), fixedBy: ['affinity-m5'] },
  },
  diversityWeight: {
    help: "affinity heads: weight of the diversity regularizer, 0 turns it off (1 is the paper's)",
    ...headSetting<number>('diversityWeight'),
    check: (value) => requireNonNegative('diversityWeight', value),
    flag: { flags: '--diversity-weight <w>', value: 'number', bench: true },
    // From a thousandth of the paper's weight (which can pull the prototypes together) up to it.
    search: logUniformSearch([0.001, 1]),
  },
  classMargins: {
    help: 'affinity heads (hinge): margins margin * (n_min / n_y)^(1/4) from the class counts',
    ...headSetting<boolean>('classMargins'),
    check: checkClassMargins,
    flag: { flags: '--class-margins', negatedHelp: 'affinity heads (hinge): one margin for every class, even for affinity-lt', bench: true },
    search: choiceSearch([false, true], checkClassMargins),
  },
  priorCorrection: {
    help: "affinity heads: predict by log A - tau log pi; 'auto' chooses tau on the validation split after every epoch",
    ...headSetting<number | 'auto'>('priorCorrection'),
    check: checkPriorCorrection,
    flag: { flags: '--prior-correction <tau>', value: 'number-or-auto', bench: true },
    // A trial's tau is fixed for its training, so its validation scores (the trial's score) are the corrected ones.
    search: choiceSearch<number | 'auto'>(PRIOR_CORRECTION_GRID, checkPriorCorrection),
  },
  centerWeight: {
    help: 'center-loss: weight of the centre term',
    ...headSetting<number>('centerWeight'),
    check: (value) => requirePositive('centerWeight', value),
    flag: { flags: '--center-weight <w>', value: 'number' },
  },
} satisfies ExperimentSettings);

/** A field of `ExperimentConfig`. */
export type ExperimentField = keyof ExperimentConfig;

/** Every field of `ExperimentConfig`, in resolution order. */
export const EXPERIMENT_FIELDS = Object.keys(EXPERIMENT_SETTINGS) as ExperimentField[];

/** The setting of a field, typed loosely (for code that walks the table). */
export function settingOf(field: ExperimentField): Setting<unknown> {
  return EXPERIMENT_SETTINGS[field] as Setting<unknown>;
}

/** The default as --help shows it (`10`, `feature width + 2`, `0; auto for affinity-lt, affinity-ce`), or undefined for none. */
export function defaultHelpOf(field: ExperimentField): string | undefined {
  const setting = settingOf(field);
  if (setting.defaultHelp !== undefined) return setting.defaultHelp;
  return typeof setting.default === 'function' || setting.default === undefined ? undefined : String(setting.default);
}

/** The head settings: the fields whose default comes from the method. */
export const HEAD_FIELDS: readonly ExperimentField[] = HEAD_SETTING_NAMES;

/**
 * The head settings `method`'s head does not have (sigma for softmax): a bench drops such
 * overrides for that method, `--config` such recorded values when another method is typed.
 */
export function headFieldsNotOf(method: MethodName): ExperimentField[] {
  return HEAD_FIELDS.filter((field) => !settingOf(field).appliesTo!.test({ method } as ExperimentConfig));
}

// Field names of earlier versions and their names now.
const RENAMED_FIELDS: Readonly<Record<string, ExperimentField>> = { loss: 'method' };

/**
 * A config as an earlier version may have written it (a run folder's config.json, a result
 * file, tune's best-config.json), with its fields under today's names (`loss` -> `method`).
 */
export function upgradeConfigFields(config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [RENAMED_FIELDS[key] ?? key, value]));
}

/** @throws AffinityConfigError naming the fields of `value` that are no experiment setting (a misspelt field is not silently ignored). */
export function checkKnownFields(value: object, what: string): void {
  const unknown = Object.keys(value).filter((key) => !(EXPERIMENT_FIELDS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new AffinityConfigError(`${what} has unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; known: ${EXPERIMENT_FIELDS.join(', ')}`);
  }
}
