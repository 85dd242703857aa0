/**
 * What `affinity tune` searches: the settings with a search range in `EXPERIMENT_SETTINGS` (the
 * affinity head's sigma, margin, prototypes per class, diversity weight, margin form and prior
 * correction, and the learning rate), each drawn with a seed. A value the user fixes, or that
 * does not apply to the method, is not searched.
 */
import type { Rng } from 'affinity-loss/internal/data/rng.js';
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { requireMethodName } from 'affinity-loss/internal/models/methods.js';
import type { ExperimentConfig, ExperimentInput } from '../bench/experiment.js';
import { EXPERIMENT_FIELDS, EXPERIMENT_SETTINGS, HEAD_FIELDS, settingOf, type ExperimentField, type SettingSearch } from '../bench/settings.js';

/** The fields `affinity tune` can search. */
export type SearchedField = { [F in ExperimentField]: (typeof EXPERIMENT_SETTINGS)[F] extends { search: object } ? F : never }[ExperimentField];

/**
 * The searched ranges, by field: [low, high] for a scale or an interval (sigma as a multiple of
 * feature width + 2), or the values to pick from. See each setting's `search`.
 */
export type SearchSpace = { [F in SearchedField]?: (typeof EXPERIMENT_SETTINGS)[F]['search']['range'] };

/** The hyper-parameters one trial sets. */
export type TrialValues = { [F in SearchedField]?: ExperimentConfig[F] };

/**
 * The searched fields, in the order their values are drawn: the head's settings first, then the
 * others (the learning rate), the order the draws had before the settings table, so a search
 * seed still gives the same trials.
 */
export const SEARCHED_FIELDS: readonly SearchedField[] = [...HEAD_FIELDS, ...EXPERIMENT_FIELDS.filter((field) => !HEAD_FIELDS.includes(field))].filter(
  (field): field is SearchedField => settingOf(field).search !== undefined,
);

function searchOf(field: SearchedField): SettingSearch<unknown, readonly unknown[]> {
  return settingOf(field).search!;
}

/** The default ranges, from the settings table. */
export const DEFAULT_SEARCH_SPACE: Readonly<Required<SearchSpace>> = Object.freeze(
  Object.fromEntries(SEARCHED_FIELDS.map((field) => [field, searchOf(field).range])) as Required<SearchSpace>,
);

/**
 * The dimensions searched for a method, given the fields the user fixed: those that apply to its
 * head (the affinity heads' settings; the margin and margin form for the hinge heads only; not
 * the prototypes of affinity-m5, whose name fixes 5), and the learning rate for every method.
 *
 * @throws AffinityConfigError for a field of `space` that is not searched, or a range of the wrong kind.
 */
export function searchedSpace(base: ExperimentInput, space: SearchSpace = DEFAULT_SEARCH_SPACE): SearchSpace {
  const unknown = Object.keys(space).filter((field) => !(SEARCHED_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) throw new AffinityConfigError(`the search space has unknown field${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; searched: ${SEARCHED_FIELDS.join(', ')}`);
  const method = requireMethodName(base.method ?? settingOf('method').default);
  const config = { ...base, method } as ExperimentConfig;
  const searched: Record<string, unknown> = {};
  for (const field of SEARCHED_FIELDS) {
    const { appliesTo } = settingOf(field);
    const range = space[field];
    if (range === undefined || base[field] !== undefined || searchOf(field).fixedBy?.includes(method)) continue;
    if (appliesTo !== undefined && !appliesTo.test(config)) continue;
    searched[field] = searchOf(field).checkRange(range, field);
  }
  return searched as SearchSpace;
}

/** Draws one trial's values from the searched space; `base` is the resolved config they join. */
export function sampleTrial(space: SearchSpace, rng: Rng, base: ExperimentConfig): TrialValues {
  const values: Record<string, unknown> = {};
  for (const field of SEARCHED_FIELDS) {
    const range = space[field];
    if (range !== undefined) values[field] = searchOf(field).draw(rng, range, base);
  }
  return values as TrialValues;
}

/** The searched ranges as --help describes them: `sigma 0.05-5 x (feature width + 2), log-uniform; ...`. */
export function describeSearchSpace(space: SearchSpace = DEFAULT_SEARCH_SPACE): string {
  return SEARCHED_FIELDS.filter((field) => space[field] !== undefined)
    .map((field) => `${field} ${searchOf(field).describe(space[field]!)}`)
    .join('; ');
}
