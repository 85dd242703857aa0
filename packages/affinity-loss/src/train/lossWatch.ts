/**
 * Divergence by the loss: a step loss that is NaN or infinite, or past `DIVERGENCE_FACTOR`
 * times the first finite step's (at least that factor itself).
 */

/**
 * A step loss above this many times the first step's (or above this number, for a first loss
 * below 1) counts as divergence. A loss can blow up and stay finite: Adam at a learning rate of
 * 1e6 reaches 1e25 and ends at chance level. A healthy run's loss falls from its first step.
 */
export const DIVERGENCE_FACTOR = 1e3;

/** Watches the step losses of one run. */
export class LossWatch {
  private firstLoss: number | undefined;

  /**
   * Checks a step's loss.
   *
   * @returns null for a healthy loss, else why it counts as divergence (for `TrainingDivergedError`).
   */
  check(loss: number): string | null {
    this.firstLoss ??= Number.isFinite(loss) ? loss : undefined;
    if (!Number.isFinite(loss)) return `training loss became ${loss}`;
    const bound = DIVERGENCE_FACTOR * Math.max(Math.abs(this.firstLoss ?? 1), 1);
    if (Math.abs(loss) <= bound) return null;
    return `training loss reached ${loss.toPrecision(3)}, past its bound of ${bound.toPrecision(3)} (${DIVERGENCE_FACTOR} times the first step's loss, at least ${DIVERGENCE_FACTOR})`;
  }
}
