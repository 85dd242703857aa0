/**
 * Typed errors thrown by affinity-loss. Every error names the bad value and what is allowed,
 * so a user can fix the call without reading the source. Catch `AffinityLossError` to catch
 * them all.
 */
// A type only (erased): the trainer's log record, which TrainingDivergedError carries.
import type { EpochLog } from './train/trainer.js';

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

/** Another running process writes to the same output folder (a bench or tune lock). */
export class FolderLockedError extends AffinityLossError {}

/**
 * A file or folder cannot be read, made or written (read-only, full disk, a file where a folder
 * should be, no permission); names the path and the reason.
 */
export class FileSystemError extends AffinityLossError {}

/**
 * Training diverged: the loss became NaN or infinite, grew past its bound (the trainer's
 * `DIVERGENCE_FACTOR` times the first step's loss), or a step's inputs or the weights became
 * non-finite. Names the epoch and step; the model has been put back to the best finite
 * checkpoint (the end of `keptEpoch`, or the initial weights when it is 0), so it can still be
 * saved and inspected; `history` holds the epochs before the divergence.
 */
export class TrainingDivergedError extends AffinityLossError {
  /** 1-based epoch in which training diverged. */
  readonly epoch: number;
  /** 1-based step within that epoch. */
  readonly step: number;
  /** The loss value that was read (NaN, +-Infinity, the value past the bound, or NaN when none was). */
  readonly loss: number;
  /** The last epoch that ended with finite losses and weights (0: none, the model holds its initial weights). */
  readonly lastGoodEpoch: number;
  /**
   * The epoch whose weights the model was restored to: the best on validation among the
   * finite epochs, else `lastGoodEpoch` (0: the initial weights).
   */
  readonly keptEpoch: number;
  /** The per-epoch log of the epochs that ended before the divergence. */
  readonly history: readonly EpochLog[];

  /**
   * @param what what went wrong, in words (default: "training loss became <loss>").
   * @param kept the epoch the model was restored to and the history so far (default: `lastGoodEpoch`, none).
   */
  constructor(
    epoch: number,
    step: number,
    loss: number,
    lastGoodEpoch: number,
    what = `training loss became ${loss}`,
    kept: { keptEpoch: number; history: readonly EpochLog[] } = { keptEpoch: lastGoodEpoch, history: [] },
  ) {
    const restored =
      kept.keptEpoch === 0
        ? 'its initial weights'
        : `its weights at the end of epoch ${kept.keptEpoch}` + (kept.keptEpoch === lastGoodEpoch ? '' : ` (the best on validation; epoch ${lastGoodEpoch} was the last finite one)`);
    super(`${what} at epoch ${epoch}, step ${step}; the model was restored to ${restored} (try a lower learning rate, or check the inputs for NaN)`);
    this.epoch = epoch;
    this.step = step;
    this.loss = loss;
    this.lastGoodEpoch = lastGoodEpoch;
    this.keptEpoch = kept.keptEpoch;
    this.history = kept.history;
  }
}
