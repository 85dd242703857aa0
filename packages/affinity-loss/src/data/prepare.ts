/**
 * From a dataset and a recipe to what a trainer needs: imbalanced (and maybe noisy) training
 * rows, a stratified validation split taken from them, and the test split the protocol names.
 */
import { checkDataset, type Dataset } from './dataset.js';
import type { Features } from './rowStore.js';
import { applyImbalance } from './imbalance.js';
import { applyLabelNoise } from './noise.js';
import { deriveSeed, requireSeed } from './rng.js';
import { SEED_STREAMS } from './seedStreams.js';
import { describeRecipe, parseRecipe, type DataRecipe } from './spec.js';
import { splitValidation } from './split.js';

/** A dataset after `prepareDataset`, with the recipe and seed that made it. */
export interface PreparedDataset<F extends Features = Float32Array> extends Dataset<F> {
  /** The canonical recipe string (`exp:100+noise:sym:0.2+val:0.1`, or `none`). */
  recipe: string;
  /** The seed every random choice of the recipe was derived from. */
  seed: number;
}

// One stream per stage (SEED_STREAMS): changing the noise rate never changes which rows the
// imbalance keeps, and changing the validation fraction never changes which labels are flipped.

/**
 * Applies a recipe to a dataset, in this order:
 * 1. imbalance (training split; the test split only where the protocol says, see `applyImbalance`);
 * 2. label noise on the training split (the clean labels go to `train.trueLabels`);
 * 3. a stratified validation split from the resulting training split (its labels are as noisy
 *    as the training labels, as they would be in practice).
 * The test split is never made noisy.
 *
 * @param recipe a `DataRecipe` or its string (`exp:100+noise:sym:0.2+val:0.1`).
 * @param seed all random choices derive from it; the same seed gives the same rows and labels.
 * @returns a new dataset; the input is not changed.
 */
export function prepareDataset<F extends Features>(dataset: Dataset<F>, recipe: DataRecipe | string, seed = 0): PreparedDataset<F> {
  requireSeed(seed);
  checkDataset(dataset);
  const parsed = typeof recipe === 'string' ? parseRecipe(recipe) : recipe;
  let result = dataset;
  if (parsed.imbalance !== undefined) result = applyImbalance(result, parsed.imbalance, deriveSeed(seed, SEED_STREAMS.imbalance));
  if (parsed.noise !== undefined) result = applyLabelNoise(result, parsed.noise, deriveSeed(seed, SEED_STREAMS.noise));
  if (parsed.validationFraction !== undefined) {
    result = splitValidation(result, parsed.validationFraction, deriveSeed(seed, SEED_STREAMS.validation));
  }
  const text = describeRecipe(parsed);
  return {
    ...result,
    description: text === 'none' ? dataset.description : `${dataset.description} Recipe ${text}, seed ${seed}.`,
    recipe: text,
    seed,
  };
}
