import { AffinityLossError } from '../../errors.js';

/** A saved model folder is missing, truncated or inconsistent. */
export class ModelFileError extends AffinityLossError {}
