// `affinity tune`: the search space and the tuner.
export { DEFAULT_SEARCH_SPACE, sampleTrial, searchedSpace, type SearchSpace, type TrialValues } from './space.js';
export {
  halvingEpochs,
  planTune,
  runTune,
  validationScore,
  TUNE_STRATEGIES,
  type RunTuneOptions,
  type TrialScore,
  type TuneOptions,
  type TuneStrategy,
  type TuneSummary,
} from './tuner.js';
