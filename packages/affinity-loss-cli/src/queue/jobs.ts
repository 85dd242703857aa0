/**
 * A planned run as a queue job: its id (the run's id and a hash of everything that defines it,
 * so the same run enqueued twice is one job), the plain data it carries, the checks a worker
 * makes before training it, and the checks the coordinator makes on the result a worker sent.
 *
 * A job is plain JSON validated like a command line: a worker never loads a module or any code
 * a job names. Anything outside the known fields is refused, so the data-parallel
 * `{ module, exportName }` recipe (or any other field) cannot reach a worker through the queue.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { AffinityConfigError, DatasetFormatError } from 'affinity-loss/internal/errors.js';
import { checkExtras, configDifferences, resolveExperimentConfig, type ExperimentExtras, type ExperimentInput } from '../bench/experiment.js';
import { EXPERIMENT_FIELDS } from '../bench/settings.js';
import type { RunRecord } from '../bench/results.js';
import { recordedConfig, type PlannedRun } from '../bench/run.js';
import { parseRunRecord } from '../report/read.js';

/** The BullMQ job name of a training run. */
export const RUN_JOB_NAME = 'run';

/** Version of the job data's shape; a worker refuses data of another version. */
export const RUN_JOB_FORMAT = 1;

/** What a job carries. */
export interface RunJobData {
  /** `RUN_JOB_FORMAT`. */
  format: number;
  /** The run: plain JSON, every config field resolved. */
  plan: PlannedRun;
}

const PLAN_FIELDS = ['id', 'protocol', 'setting', 'settingOrder', 'config', 'extras'] as const;
const EXTRAS_FIELDS = ['features', 'verification', 'scoreTest'] as const satisfies readonly (keyof ExperimentExtras)[];

/** JSON with every object's keys sorted: the same value gives the same text whatever order its fields were set in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The job id of a plan: `<run id>__<16 hex digits of SHA-256>` over the resolved config, the
 * extras, and the protocol and setting names. The same run asked for by two commands (or by the
 * same command again) is one job; the same run id with other epochs or settings is another.
 */
export function jobIdOf(plan: PlannedRun): string {
  const defining = { id: plan.id, protocol: plan.protocol, setting: plan.setting, settingOrder: plan.settingOrder, config: recordedConfig(plan) };
  return `${plan.id}__${createHash('sha256').update(canonicalJson(defining)).digest('hex').slice(0, 16)}`;
}

/** The data of a plan's job. */
export function jobDataOf(plan: PlannedRun): RunJobData {
  return { format: RUN_JOB_FORMAT, plan: JSON.parse(JSON.stringify(plan)) as PlannedRun };
}

function plainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.getPrototypeOf(value) !== Object.prototype) {
    throw new AffinityConfigError(`${what} must be a plain object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}

function onlyKnownFields(value: Record<string, unknown>, known: readonly string[], what: string): void {
  const unknown = Object.keys(value).filter((key) => !known.includes(key));
  if (unknown.length > 0) throw new AffinityConfigError(`${what} has unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; known: ${known.join(', ')}`);
}

/**
 * The plan a job's data describes, checked as the command line checks a config: only known
 * fields, every value valid, the config fully resolved, and the job id the one its plan gives.
 *
 * @throws AffinityConfigError naming the job and what is wrong: a retry cannot fix it.
 */
export function readJobData(data: unknown, jobId: string): PlannedRun {
  const what = `job ${jobId}`;
  try {
    const holder = plainObject(data, 'its data');
    onlyKnownFields(holder, ['format', 'plan'], 'its data');
    if (holder.format !== RUN_JOB_FORMAT) throw new AffinityConfigError(`its data has format ${JSON.stringify(holder.format)}; this worker reads format ${RUN_JOB_FORMAT} (run the same version of affinity-loss on every machine)`);
    const plan = plainObject(holder.plan, 'its plan');
    onlyKnownFields(plan, PLAN_FIELDS, 'its plan');
    const { id, protocol, setting, settingOrder } = plan;
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(id) || id.startsWith('.')) throw new AffinityConfigError(`its run id must be a file-name-safe name, got ${JSON.stringify(id)}`);
    if (typeof protocol !== 'string' || protocol.length > 200) throw new AffinityConfigError(`its protocol must be a name, got ${JSON.stringify(protocol)}`);
    if (typeof setting !== 'string' || setting.length > 200) throw new AffinityConfigError(`its setting must be a name, got ${JSON.stringify(setting)}`);
    if (!Number.isInteger(settingOrder) || (settingOrder as number) < 0) throw new AffinityConfigError(`its settingOrder must be an integer >= 0, got ${JSON.stringify(settingOrder)}`);
    const config = plainObject(plan.config, 'its config');
    onlyKnownFields(config, EXPERIMENT_FIELDS, 'its config');
    const extras = plainObject(plan.extras, 'its extras');
    onlyKnownFields(extras, EXTRAS_FIELDS, 'its extras');
    for (const [key, value] of Object.entries(extras)) {
      if (typeof value !== 'boolean') throw new AffinityConfigError(`its extras.${key} must be true or false, got ${JSON.stringify(value)}`);
    }
    const resolved = resolveExperimentConfig(config as unknown as ExperimentInput);
    checkExtras(resolved, extras);
    const checked: PlannedRun = { id, protocol, setting, settingOrder: settingOrder as number, config: resolved, extras };
    // Resolving fills defaults: a config that changes is one the coordinator did not resolve, or
    // resolved with other defaults (another version).
    if (!isDeepStrictEqual(recordedConfig(checked), JSON.parse(JSON.stringify({ ...config, extras })))) {
      throw new AffinityConfigError(`its config is not fully resolved here (${configDifferences({ ...config, extras }, recordedConfig(checked))}); run the same version of affinity-loss on every machine`);
    }
    if (jobIdOf(checked) !== jobId) throw new AffinityConfigError(`its plan gives job id ${jobIdOf(checked)}: the data was changed after it was enqueued`);
    return checked;
  } catch (error) {
    if (error instanceof AffinityConfigError) throw new AffinityConfigError(`${what} refused: ${error.message}`);
    throw error;
  }
}

/**
 * The record a worker returned for `plan`, checked as a result file is, and checked to be the
 * run asked for (its id and config), so a wrong or damaged result is never written as this run's.
 *
 * @throws DatasetFormatError naming the job and the mismatch.
 */
export function readJobResult(value: unknown, plan: PlannedRun, jobId: string): RunRecord {
  const where = `the result of job ${jobId}`;
  if (value === null || value === undefined) throw new DatasetFormatError(`${where} is empty`);
  const record = parseRunRecord(typeof value === 'string' ? value : JSON.stringify(value), where);
  const wrong = (['id', 'protocol', 'setting', 'settingOrder'] as const).filter((field) => record[field] !== plan[field]);
  if (wrong.length > 0) throw new DatasetFormatError(`${where} is for another run (${wrong.map((field) => `${field} ${JSON.stringify(record[field])}`).join(', ')})`);
  if (!isDeepStrictEqual(record.config, recordedConfig(plan))) {
    throw new DatasetFormatError(`${where} was trained with another config (${configDifferences(record.config, recordedConfig(plan))})`);
  }
  return record;
}
