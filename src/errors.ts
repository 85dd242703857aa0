/**
 * Typed errors thrown by affinity-loss. Every error names the bad value and what is allowed,
 * so a user can fix the call without reading the source. Catch `AffinityLossError` to catch
 * them all.
 */

/** Base class of every error this library throws on purpose. */
export class AffinityLossError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A hyper-parameter or option has a value outside its allowed range (sigma <= 0, margin > 1, ...). */
export class AffinityConfigError extends AffinityLossError {}

/** A tensor or array has the wrong rank or shape for the operation. */
export class ShapeError extends AffinityLossError {}

/** Labels are malformed: out of range, not integers, or of the wrong width. */
export class LabelError extends AffinityLossError {}

/** A value that must be finite is NaN or infinite (features, losses, counts). */
export class NonFiniteError extends AffinityLossError {}

/** A data file is malformed: wrong magic number, truncated, ragged rows, non-numeric cells. */
export class DatasetFormatError extends AffinityLossError {}

/** A named dataset's files are missing; the message says how to get them. */
export class DatasetNotFoundError extends AffinityLossError {}

/** A saved model folder is missing, truncated or inconsistent. */
export class ModelFileError extends AffinityLossError {}
