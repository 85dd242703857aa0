/**
 * Class-aware batch sampling for the trainer (Kang et al. 2020, "Decoupling representation and
 * classifier"): a row of class c is drawn with probability proportional to n_c^q / n_c, so a
 * class as a whole is drawn with probability p_c = n_c^q / sum_k n_k^q.
 *
 * - `instance` (q = 1): plain shuffled epochs, every row once.
 * - `sqrt` (q = 1/2): square-root sampling, between the two.
 * - `class-balanced` (q = 0): every class equally often, whatever its size.
 *
 * An epoch has as many rows as the split, in the same number of batches for every mode, so
 * epochs are comparable. For `sqrt` and `class-balanced` each row's class is drawn from p_c,
 * then the row comes from that class's own shuffled cycle, reshuffled when used up: minority
 * rows repeat, but a class's rows are all used before any repeats. Each epoch draws from its
 * own stream seeded by (seed, epoch), so `batches(e)` gives the same batches whether or not
 * the epochs before it were run.
 */
import { AffinityConfigError } from '../errors.js';
import { indicesByClass } from './dataset.js';
import { deriveSeed, requireSeed, Rng } from './rng.js';
import { requireInteger, requireOneOf } from '../validate.js';

/** The sampling modes, by their spec-string names. */
export const SAMPLING_MODES = ['instance', 'sqrt', 'class-balanced'] as const;

/** How a sampler weighs classes: see the module comment. */
export type SamplingMode = (typeof SAMPLING_MODES)[number];

/** Options of `ClassAwareSampler`. */
export interface ClassAwareSamplerOptions {
  /** Training labels, class ids in [0, classes). */
  labels: Int32Array;
  /** Number of classes C. */
  classes: number;
  /** How classes are weighed. Default `instance`. */
  mode?: SamplingMode;
  /** Rows per batch (>= 1). */
  batchSize: number;
  /** Seed of the batch order. */
  seed: number;
  /** Drop the last, smaller batch of an epoch. Default false. */
  dropLast?: boolean;
}

/** The exponent q of each mode in p_c proportional to n_c^q. */
const EXPONENT: Record<SamplingMode, number> = { instance: 1, sqrt: 0.5, 'class-balanced': 0 };

/** Yields seeded batches of row indices, weighing classes by the chosen mode. */
export class ClassAwareSampler {
  /** The sampling mode. */
  readonly mode: SamplingMode;
  /** Rows per batch. */
  readonly batchSize: number;
  /** Batches in one epoch. */
  readonly batchesPerEpoch: number;
  /** p_c: the probability that a drawn row is of class c (0 for classes without rows). */
  readonly classProbabilities: number[];
  private readonly seed: number;
  private readonly byClass: Int32Array[];
  private readonly rows: number;
  private readonly dropLast: boolean;
  private readonly cumulative: Float64Array;

  constructor(options: ClassAwareSamplerOptions) {
    const classes = requireInteger('classes', options.classes, 1);
    this.mode = requireOneOf('sampling mode', options.mode ?? 'instance', SAMPLING_MODES);
    this.batchSize = requireInteger('batchSize', options.batchSize, 1);
    this.seed = requireSeed(options.seed);
    this.dropLast = options.dropLast ?? false;
    this.byClass = indicesByClass(options.labels, classes);
    this.rows = options.labels.length;
    if (this.rows === 0) throw new AffinityConfigError('a sampler needs at least one row');
    this.batchesPerEpoch = this.dropLast ? Math.floor(this.rows / this.batchSize) : Math.ceil(this.rows / this.batchSize);
    if (this.batchesPerEpoch === 0) {
      throw new AffinityConfigError(`dropLast with batchSize ${this.batchSize} > ${this.rows} rows leaves no batch`);
    }
    const q = EXPONENT[this.mode];
    const weights = this.byClass.map((rows) => (rows.length === 0 ? 0 : Math.pow(rows.length, q)));
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    this.classProbabilities = weights.map((weight) => weight / total);
    this.cumulative = new Float64Array(classes);
    let running = 0;
    weights.forEach((weight, c) => {
      running += weight;
      this.cumulative[c] = running / total;
    });
  }

  /**
   * The batches of one epoch, each an Int32Array of row indices.
   *
   * @param epoch epoch number (>= 0); the same epoch always gives the same batches.
   */
  *batches(epoch: number): Generator<Int32Array> {
    requireInteger('epoch', epoch, 0);
    const rng = new Rng(deriveSeed(this.seed, epoch));
    const rows = this.dropLast ? this.batchesPerEpoch * this.batchSize : this.rows;
    const order = this.mode === 'instance' ? rng.permutation(this.rows) : this.classAwareOrder(rng, rows);
    for (let start = 0; start < rows; start += this.batchSize) {
      yield order.slice(start, Math.min(start + this.batchSize, rows));
    }
  }

  /** `rows` draws: a class from p_c, then the next row of that class's shuffled cycle. */
  private classAwareOrder(rng: Rng, rows: number): Int32Array {
    const cycles = this.byClass.map((members) => rng.shuffle(members.slice()));
    const position = new Int32Array(cycles.length);
    const order = new Int32Array(rows);
    const last = this.cumulative.length - 1;
    for (let i = 0; i < rows; i++) {
      const u = rng.next();
      // First class whose cumulative probability exceeds u (binary search over C classes).
      let low = 0;
      let high = last;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (this.cumulative[middle] > u) high = middle;
        else low = middle + 1;
      }
      // Rounding can leave the last cumulative value a hair below 1: step back to a class with rows.
      while (cycles[low].length === 0) low--;
      const cycle = cycles[low];
      if (position[low] === cycle.length) {
        rng.shuffle(cycle);
        position[low] = 0;
      }
      order[i] = cycle[position[low]++];
    }
    return order;
  }
}
