/**
 * The options that describe one experiment (dataset, recipe, method, model, training), shared by
 * `affinity train` and `affinity tune`, and `--config FILE`: a saved config (a run folder's
 * config.json, tune's best-config.json, or a plain config object) that flags given on the
 * command line override.
 */
import { readFile } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { METHOD_NAMES, METHODS } from 'affinity-loss/internal/models/methods.js';
import { recordedInput, type ExperimentInput, type ImageReading } from '../bench/experiment.js';
import { checkKnownFields, defaultHelpOf, EXPERIMENT_FIELDS, settingOf, upgradeConfigFields, type ExperimentField } from '../bench/settings.js';
import { defaultImageCacheDir } from 'affinity-loss-node/internal/data/imageCache.js';
import { STREAM_ABOVE_BYTES } from 'affinity-loss-node/internal/data/imageFolder.js';
import { DATASETS } from 'affinity-loss-node/internal/data/registry.js';
import { parseNumber, renamedOption } from './options.js';

/**
 * The experiment flags as commander hands them over: one field per setting's flag, under
 * commander's name for it (`--lr` -> `lr`, `--data-path` -> `dataPath`), set only when typed;
 * `EXPERIMENT_SETTINGS` says what each means.
 */
export interface ExperimentFlags {
  /** --config FILE. */
  config?: string;
  /** --noise SPEC: a noise part for the recipe. */
  noise?: string;
  [flag: string]: unknown;
}

/** The fields the command line sets, by commander's name of their flag. */
const FIELD_OF_FLAG: ReadonlyMap<string, ExperimentField> = new Map(
  EXPERIMENT_FIELDS.flatMap((field) => {
    const flag = settingOf(field).flag;
    return flag === undefined ? [] : [[new Option(flag.flags).attributeName(), field] as const];
  }),
);

/** Reads a flag's text as its setting takes it, then checks it, so a bad value fails as commander reads it, with the flag's name. */
function parserOf(field: ExperimentField): (text: string) => unknown {
  const setting = settingOf(field);
  const read = (text: string): unknown => {
    const value = setting.flag?.value ?? 'text';
    if (value === 'number-or-auto' && text === 'auto') return 'auto';
    return value === 'text' ? text : parseNumber(text);
  };
  return (text) => {
    try {
      return setting.check(read(text));
    } catch (error) {
      if (error instanceof AffinityConfigError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/**
 * The options of a setting: `full` as train and tune show them, `bench` as bench's overrides of
 * its protocols' settings (the default of a protocol's setting is the protocol's; of a head
 * setting, which protocols leave alone, the method's).
 */
function optionsOf(field: ExperimentField, form: 'full' | 'bench'): Option[] {
  const setting = settingOf(field);
  const flag = setting.flag!;
  const defaultHelp = form === 'bench' && setting.appliesTo?.by !== 'method' ? "the protocol's" : defaultHelpOf(field);
  const help = form === 'bench' && typeof flag.bench === 'string' ? flag.bench : `${setting.help}${defaultHelp === undefined ? '' : ` (default: ${defaultHelp})`}`;
  const option = new Option(flag.flags, help);
  if (!option.required) {
    // A switch (no argument): --class-margins, and --no-class-margins to say no.
    return [option, new Option(`--no-${option.long!.slice(2)}`, flag.negatedHelp)];
  }
  return [flag.choices === undefined ? option.argParser(parserOf(field)) : option.choices(flag.choices)];
}

/** Adds the options of the settings bench takes as overrides of its protocols' (`affinity bench`). */
export function addBenchOverrideOptions(command: Command): Command {
  for (const field of EXPERIMENT_FIELDS) {
    if (settingOf(field).flag?.bench !== undefined) for (const option of optionsOf(field, 'bench')) command.addOption(option);
  }
  return command;
}

/**
 * The config fields of the experiment flags that are set, under their config names (`lr` ->
 * `learningRate`); flags of other commands are ignored. `affinity bench` takes its overrides so.
 */
export function configFieldsOf(flags: object): Partial<ExperimentInput> {
  const values = flags as Record<string, unknown>;
  return Object.fromEntries([...FIELD_OF_FLAG].flatMap(([flag, field]) => (values[flag] === undefined ? [] : [[field, values[flag]]]))) as Partial<ExperimentInput>;
}

/** Adds every experiment option, `--config`, `--noise`, and the dataset and method lists to the help (`affinity train`, `tune`). */
export function addExperimentOptions(command: Command): Command {
  command
    .option('-c, --config <file>', "start from a saved config (a run's config.json, tune's best-config.json); flags given override it")
    .addOption(renamedOption('--loss', '--method'));
  for (const field of EXPERIMENT_FIELDS) {
    if (settingOf(field).flag === undefined) continue;
    for (const option of optionsOf(field, 'full')) command.addOption(option);
    if (field === 'recipe') {
      command.option('--noise <spec>', 'label noise on the training split, e.g. sym:0.2 or asym:mnist:0.4 (adds +noise:<spec> to the recipe)');
    }
  }
  return command.addHelpText(
    'after',
    `\nDatasets:\n${DATASETS.map(({ name, summary }) => `  ${name.padEnd(15)} ${summary}`).join('\n')}` +
      `\n\nMethods:\n${METHOD_NAMES.map((name) => `  ${name.padEnd(17)} ${METHODS[name].description}`).join('\n')}`,
  );
}

/**
 * The experiment the flags describe, before defaults and checks: the `--config` file's, with the
 * flags typed on the command line on top (see `recordedInput`).
 */
export async function experimentInput(flags: ExperimentFlags): Promise<ExperimentInput> {
  const typed = configFieldsOf(flags);
  const input: Partial<ExperimentInput> = flags.config === undefined ? typed : recordedInput(await readConfigFile(flags.config), typed);
  if (flags.noise !== undefined) {
    // --noise is a shorthand for a noise part of the recipe, so both spellings give one config;
    // it replaces a noise part the recipe already has (a recipe holds at most one), with
    // --config too.
    const imbalance = (input.recipe ?? 'none').split('+').filter((part) => !part.startsWith('noise:')).join('+') || 'none';
    input.recipe = `${imbalance === 'none' ? '' : `${imbalance}+`}noise:${flags.noise}`;
  }
  return input as ExperimentInput;
}

/**
 * Reads a saved config: `{ config: {...} }` (a run folder's config.json, tune's
 * best-config.json) or the config object itself. Unknown fields are refused, so a misspelt
 * field is not silently ignored.
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
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
  const fields = upgradeConfigFields(config as Record<string, unknown>);
  checkKnownFields(fields, `--config ${path}`);
  return fields;
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
