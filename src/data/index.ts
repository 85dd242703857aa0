/**
 * The browser-safe data toolkit: dataset types and helpers, a seeded RNG, imbalance and
 * label-noise builders, stratified splits, a class-aware batch sampler, synthetic Gaussian
 * blobs, and the spec strings that name them. File readers live in `affinity-loss/node`.
 */
export * from './dataset.js';
export * from './rng.js';
export * from './rounding.js';
export * from './imbalance.js';
export * from './noise.js';
export * from './split.js';
export * from './sampler.js';
export * from './gaussians.js';
export * from './spec.js';
export * from './prepare.js';
