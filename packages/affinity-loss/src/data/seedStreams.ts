/**
 * The one table of seed streams: every stage of an experiment that draws random numbers from the
 * run's seed draws from `deriveSeed(seed, SEED_STREAMS.<stage>)`, and no two stages share a
 * number. Before this table the trainer's batch order and the validation hold-out both used
 * stream 3, so epoch e's batches and class e's validation rows came from one stream of numbers.
 * A test fails if two entries are equal or if code passes a bare stream number.
 */
export const SEED_STREAMS = Object.freeze({
  /** Which training rows an imbalance recipe keeps. */
  imbalance: 1,
  /** Which labels a noise recipe flips. */
  noise: 2,
  /** Which rows of each class are held out for validation. */
  validation: 3,
  /** The backbone's initial weights. */
  backbone: 4,
  /** The head's initial weights (prototypes, centres, the dense head). */
  head: 5,
  /** The trainer: batch order and sampler, one sub-stream per epoch. */
  training: 6,
  /** Which training rows a `trainFraction` below 1 keeps. */
  trainFraction: 7,
  /** Which test points a Figure 1 snapshot draws. */
  featureSnapshot: 8,
  /** The verification pairs among the seen classes. */
  verificationSeen: 9,
  /** The verification pairs among the unseen classes. */
  verificationUnseen: 10,
  /** The trials `affinity tune` draws (from its search seed). */
  tuneSearch: 11,
});

/** One of the stages of `SEED_STREAMS`. */
export type SeedStage = keyof typeof SEED_STREAMS;
