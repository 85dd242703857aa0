/**
 * Compact spec strings for the builders, so a command line or a results table can name an
 * experiment's data in one token, and the inverse (`describe*`), which gives the canonical
 * string. Parsing sorts class lists ascending and noise maps by source class, as describing
 * does, so parse(describe(spec)) equals spec for every spec a parse returns (and any other
 * spec up to the order of those lists), and describe(parse(text)) is text in canonical form.
 *
 * Grammar (whitespace is not allowed; class ids are integers >= 0):
 *
 *     recipe     := 'none' | part ('+' part)*        at most one part of each kind
 *     part       := imbalance | noise | validation
 *     imbalance  := 'step:' classes ':' keep          keep: integer = a count, with '.' = a fraction
 *                 | 'exp:' ratio [':' maxCount]
 *                 | 'evencap:' k                    k: integer >= 1
 *                 | 'counts:' integer (',' integer)*
 *     classes    := range (',' range)*               range := id | id '-' id
 *     noise      := 'noise:sym:' rate
 *                 | 'noise:asym:' map ':' rate       map := 'mnist' | pair (',' pair)*
 *     pair       := id '>' id | id '<>' id           '<>' flips both ways
 *     validation := 'val:' fraction                  share of each training class, in [0, 1)
 *     sampling   := 'instance' | 'sqrt' | 'class-balanced'
 *
 * Examples: `step:0-4:0.1`, `step:0,2,4:50`, `exp:100`, `exp:100:5000`, `evencap:10`,
 * `counts:500,500,50`, `noise:sym:0.2`, `noise:asym:mnist:0.4`, `noise:asym:2>7,5<>6:0.3`,
 * `exp:100+noise:sym:0.2+val:0.1`.
 */
import { AffinityConfigError } from '../errors.js';
import type { ImbalanceSpec } from './imbalance.js';
import { MNIST_ASYMMETRIC_MAP, type AsymmetricNoise, type NoiseSpec } from './noise.js';
import { SAMPLING_MODES, type SamplingMode } from './sampler.js';

/** What `prepareDataset` does to a dataset, in this order: imbalance, noise, validation split. */
export interface DataRecipe {
  /** How the training (and, for `evencap`, test) split is made imbalanced. */
  imbalance?: ImbalanceSpec;
  /** Label noise on the training split. */
  noise?: NoiseSpec;
  /** Share of each training class moved to a validation split, in [0, 1). */
  validationFraction?: number;
}

const INTEGER = /^\d+$/;
const DECIMAL = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function fail(kind: string, text: string, expected: string): never {
  throw new AffinityConfigError(`bad ${kind} spec ${JSON.stringify(text)}: ${expected}`);
}

function parseInteger(kind: string, text: string, value: string, what: string): number {
  if (!INTEGER.test(value) || !Number.isSafeInteger(Number(value))) {
    fail(kind, text, `${what} must be an integer >= 0, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

function parseDecimal(kind: string, text: string, value: string, what: string): number {
  if (value.startsWith('-') && DECIMAL.test(value.slice(1))) fail(kind, text, `${what} must not be negative, got ${value}`);
  if (!DECIMAL.test(value)) fail(kind, text, `${what} must be a number, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** Class ids from `0-4`, `0,2,4` or `0-2,7`, ascending (the order `describeClassList` writes). */
function parseClassList(kind: string, text: string, value: string): number[] {
  const ids: number[] = [];
  for (const range of value.split(',')) {
    const bounds = range.split('-');
    if (bounds.length > 2 || range === '') fail(kind, text, `class list ${JSON.stringify(value)} must look like 0-4 or 0,2,4`);
    const low = parseInteger(kind, text, bounds[0], 'a class id');
    const high = bounds.length === 2 ? parseInteger(kind, text, bounds[1], 'a class id') : low;
    if (high < low) fail(kind, text, `class range ${range} runs backwards`);
    for (let id = low; id <= high; id++) {
      if (ids.includes(id)) fail(kind, text, `class ${id} is listed twice`);
      ids.push(id);
    }
  }
  return ids.sort((a, b) => a - b);
}

/** Sorted class ids as ranges: runs of 3 or more become a-b, shorter runs are listed. */
function describeClassList(ids: readonly number[]): string {
  const sorted = [...ids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end] + 1) end++;
    if (end - start >= 2) parts.push(`${sorted[start]}-${sorted[end]}`);
    else for (let i = start; i <= end; i++) parts.push(String(sorted[i]));
    start = end + 1;
  }
  return parts.join(',');
}

/** A fraction written so it reads back as a fraction: always with a '.' or an exponent. */
function describeFraction(value: number): string {
  const text = String(value);
  return INTEGER.test(text) ? `${text}.0` : text;
}

/**
 * Parses an imbalance spec string (`step:0-4:0.1`, `exp:100`, `evencap:10`, `counts:500,50`).
 * Values are checked here as far as they can be without the dataset (class ids against the
 * number of classes are checked when the spec is applied).
 *
 * @throws AffinityConfigError naming the string and what was expected.
 */
export function parseImbalanceSpec(text: string): ImbalanceSpec {
  const kind = 'imbalance';
  const fields = String(text).split(':');
  switch (fields[0]) {
    case 'step': {
      if (fields.length !== 3) fail(kind, text, 'expected step:<classes>:<fraction or count>, e.g. step:0-4:0.1');
      const minorityClasses = parseClassList(kind, text, fields[1]);
      if (INTEGER.test(fields[2])) return { kind: 'step', minorityClasses, keepCount: parseInteger(kind, text, fields[2], 'the count') };
      const keepFraction = parseDecimal(kind, text, fields[2], 'the kept fraction');
      if (!(keepFraction > 0 && keepFraction <= 1)) fail(kind, text, `the kept fraction must be in (0, 1], got ${fields[2]}`);
      return { kind: 'step', minorityClasses, keepFraction };
    }
    case 'exp': {
      if (fields.length !== 2 && fields.length !== 3) fail(kind, text, 'expected exp:<ratio> or exp:<ratio>:<maxCount>, e.g. exp:100');
      const ratio = parseDecimal(kind, text, fields[1], 'the imbalance ratio');
      if (!(ratio >= 1 && Number.isFinite(ratio))) fail(kind, text, `the imbalance ratio must be >= 1, got ${fields[1]}`);
      if (fields.length === 2) return { kind: 'exponential', ratio };
      return { kind: 'exponential', ratio, maxCount: parseInteger(kind, text, fields[2], 'maxCount') };
    }
    case 'evencap': {
      if (fields.length !== 2) fail(kind, text, 'expected evencap:<k> (even classes keep 6k training and k test rows), e.g. evencap:10');
      const testCount = parseInteger(kind, text, fields[1], 'k');
      // evencap:0 would delete every even class from train and test.
      if (testCount < 1) fail(kind, text, 'k must be >= 1 (evencap:0 would keep no row of any even class)');
      return { kind: 'evencap', testCount };
    }
    case 'counts':
      if (fields.length !== 2 || fields[1] === '') fail(kind, text, 'expected counts:<n0>,<n1>,..., e.g. counts:500,500,50');
      return { kind: 'counts', counts: fields[1].split(',').map((value) => parseInteger(kind, text, value, 'each count')) };
    default:
      return fail(kind, text, 'expected step:..., exp:..., evencap:... or counts:...');
  }
}

/** The canonical spec string of an imbalance spec (the inverse of `parseImbalanceSpec`). */
export function describeImbalance(spec: ImbalanceSpec): string {
  switch (spec.kind) {
    case 'step': {
      const keep = spec.keepFraction !== undefined ? describeFraction(spec.keepFraction) : String(spec.keepCount);
      return `step:${describeClassList(spec.minorityClasses)}:${keep}`;
    }
    case 'exponential':
      return spec.maxCount === undefined ? `exp:${spec.ratio}` : `exp:${spec.ratio}:${spec.maxCount}`;
    case 'evencap':
      return `evencap:${spec.testCount}`;
    case 'counts':
      return `counts:${spec.counts.join(',')}`;
    default:
      throw new AffinityConfigError(`unknown imbalance kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
  }
}

function parseRate(text: string, value: string): number {
  const rate = parseDecimal('noise', text, value, 'the noise rate');
  if (!(rate >= 0 && rate <= 1)) fail('noise', text, `the noise rate must be in [0, 1], got ${value}`);
  return rate;
}

function parseNoiseMap(text: string, value: string): Array<[number, number]> {
  if (value === 'mnist') return MNIST_ASYMMETRIC_MAP.map(([from, to]) => [from, to]);
  const map: Array<[number, number]> = [];
  for (const pair of value.split(',')) {
    const both = pair.includes('<>');
    const ends = both ? pair.split('<>') : pair.split('>');
    if (ends.length !== 2) fail('noise', text, `map entry ${JSON.stringify(pair)} must look like 2>7 or 5<>6`);
    const from = parseInteger('noise', text, ends[0], 'a class id');
    const to = parseInteger('noise', text, ends[1], 'a class id');
    map.push([from, to]);
    if (both) map.push([to, from]);
  }
  const sources = new Set<number>();
  for (const [from, to] of map) {
    if (from === to) fail('noise', text, `${from}>${to} maps a class to itself`);
    if (sources.has(from)) fail('noise', text, `class ${from} has two targets`);
    sources.add(from);
  }
  // By source class, the order describeNoise writes, so a parsed map equals its re-parse.
  return map.sort((a, b) => a[0] - b[0]);
}

/**
 * Parses a noise spec string (`noise:sym:0.2`, `noise:asym:mnist:0.4`, `noise:asym:2>7,5<>6:0.3`).
 *
 * @throws AffinityConfigError naming the string and what was expected.
 */
export function parseNoiseSpec(text: string): NoiseSpec {
  const fields = String(text).split(':');
  if (fields[0] !== 'noise') fail('noise', text, 'expected noise:sym:<rate> or noise:asym:<map>:<rate>');
  if (fields[1] === 'sym') {
    if (fields.length !== 3) fail('noise', text, 'expected noise:sym:<rate>, e.g. noise:sym:0.2');
    return { kind: 'symmetric', rate: parseRate(text, fields[2]) };
  }
  if (fields[1] === 'asym') {
    if (fields.length !== 4) {
      fail('noise', text, 'expected noise:asym:<map>:<rate> with a map and a flip rate, e.g. noise:asym:mnist:0.4 or noise:asym:2>7,5<>6:0.3');
    }
    return { kind: 'asymmetric', map: parseNoiseMap(text, fields[2]), rate: parseRate(text, fields[3]) };
  }
  return fail('noise', text, 'expected noise:sym:<rate> or noise:asym:<map>:<rate>');
}

function isMnistMap(map: AsymmetricNoise['map']): boolean {
  const key = (pairs: AsymmetricNoise['map']) => pairs.map(([from, to]) => `${from}>${to}`).sort().join(',');
  return key(map) === key(MNIST_ASYMMETRIC_MAP);
}

/** The canonical spec string of a noise spec (the inverse of `parseNoiseSpec`). */
export function describeNoise(spec: NoiseSpec): string {
  if (spec.kind === 'symmetric') return `noise:sym:${spec.rate}`;
  if (spec.kind === 'asymmetric') {
    const map = isMnistMap(spec.map)
      ? 'mnist'
      : [...spec.map].sort((a, b) => a[0] - b[0]).map(([from, to]) => `${from}>${to}`).join(',');
    return `noise:asym:${map}:${spec.rate}`;
  }
  throw new AffinityConfigError(`unknown noise kind ${JSON.stringify((spec as { kind: unknown }).kind)}`);
}

/**
 * Parses a recipe: parts joined by '+' (`exp:100+noise:sym:0.2+val:0.1`), or `none`/'' for
 * the dataset as it is.
 *
 * @throws AffinityConfigError naming the part that is wrong.
 */
export function parseRecipe(text: string): DataRecipe {
  const recipe: DataRecipe = {};
  if (text === '' || text === 'none') return recipe;
  for (const part of String(text).split('+')) {
    const head = part.split(':')[0];
    if (head === 'noise') {
      if (recipe.noise !== undefined) fail('recipe', text, 'more than one noise part');
      recipe.noise = parseNoiseSpec(part);
    } else if (head === 'val') {
      if (recipe.validationFraction !== undefined) fail('recipe', text, 'more than one val part');
      const fields = part.split(':');
      if (fields.length !== 2) fail('recipe', text, 'expected val:<fraction>, e.g. val:0.1');
      const fraction = parseDecimal('recipe', text, fields[1], 'the validation fraction');
      if (!(fraction >= 0 && fraction < 1)) fail('recipe', text, `the validation fraction must be in [0, 1), got ${fields[1]}`);
      recipe.validationFraction = fraction;
    } else if (['step', 'exp', 'evencap', 'counts'].includes(head)) {
      if (recipe.imbalance !== undefined) fail('recipe', text, 'more than one imbalance part');
      recipe.imbalance = parseImbalanceSpec(part);
    } else {
      fail('recipe', text, `unknown part ${JSON.stringify(part)}; parts are step:, exp:, evencap:, counts:, noise: and val:`);
    }
  }
  return recipe;
}

/** The canonical recipe string: imbalance, noise, validation, joined by '+'; `none` when empty. */
export function describeRecipe(recipe: DataRecipe): string {
  const parts: string[] = [];
  if (recipe.imbalance !== undefined) parts.push(describeImbalance(recipe.imbalance));
  if (recipe.noise !== undefined) parts.push(describeNoise(recipe.noise));
  if (recipe.validationFraction !== undefined) parts.push(`val:${recipe.validationFraction}`);
  return parts.length === 0 ? 'none' : parts.join('+');
}

/**
 * Parses a sampling mode (`instance`, `sqrt`, `class-balanced`).
 *
 * @throws AffinityConfigError listing the modes.
 */
export function parseSamplingMode(text: string): SamplingMode {
  if (!(SAMPLING_MODES as readonly string[]).includes(text)) {
    fail('sampling', text, `expected one of ${SAMPLING_MODES.join(', ')}`);
  }
  return text as SamplingMode;
}
