/**
 * The methods the CLI and the bench compare, by name: which head each puts on the backbone and
 * which loss trains it (METHOD.md lists the formulas; src/losses/ has one file per loss).
 */
import { AffinityConfigError } from '../errors.js';

/** Method names, in the order the bench lists them by default. */
export const METHOD_NAMES = [
  'softmax',
  'weighted-ce',
  'focal',
  'class-balanced',
  'ldam',
  'ldam-drw',
  'balanced-softmax',
  'logit-adjusted',
  'center-loss',
  'affinity',
  'affinity-m5',
  'affinity-lt',
  'affinity-ce',
] as const;

/** One of `METHOD_NAMES`. */
export type MethodName = (typeof METHOD_NAMES)[number];

/** The head a method puts on the features. */
export type HeadKind = 'softmax' | 'cosine' | 'center' | 'affinity';

/** How an affinity method trains and predicts (each a default an experiment may override). */
export interface AffinityMethod {
  /** m, prototypes per class. */
  prototypesPerClass: number;
  /**
   * 'hinge': the paper's max-margin loss on affinities. 'cross-entropy': softmax cross-entropy
   * on the distance-space scores s_j = log A_j + log pi_j (logit adjustment on the Gaussian head).
   */
  lossForm: 'hinge' | 'cross-entropy';
  /** Hinge margins in the LDAM form from the class counts (the rarest class keeps the margin). */
  classMargins: boolean;
  /** tau of the prior correction at prediction, or 'auto': chosen on the validation split. */
  priorCorrection: number | 'auto';
}

const PAPER_HEAD: AffinityMethod = { prototypesPerClass: 1, lossForm: 'hinge', classMargins: false, priorCorrection: 0 };

/** What each method is, for `--help` and the reports. */
export const METHODS: Readonly<Record<MethodName, { head: HeadKind; description: string; affinity?: AffinityMethod }>> = Object.freeze({
  softmax: { head: 'softmax', description: 'dense + softmax, cross-entropy' },
  'weighted-ce': { head: 'softmax', description: 'cross-entropy weighted by inverse class frequency' },
  focal: { head: 'softmax', description: 'focal loss, gamma 2 (Lin et al. 2017)' },
  'class-balanced': { head: 'softmax', description: 'class-balanced cross-entropy, beta 0.9999 (Cui et al. 2019)' },
  ldam: { head: 'cosine', description: 'LDAM on a cosine head, s 30, largest margin 0.5 (Cao et al. 2019)' },
  'ldam-drw': { head: 'cosine', description: 'LDAM with deferred class-balanced re-weighting for the last 20% of epochs' },
  'balanced-softmax': { head: 'softmax', description: 'balanced softmax, CE(z + log n) (Ren et al. 2020)' },
  'logit-adjusted': { head: 'softmax', description: 'logit-adjusted loss, tau 1 (Menon et al. 2021)' },
  'center-loss': { head: 'center', description: 'cross-entropy + center loss (Wen et al. 2016)' },
  affinity: { head: 'affinity', description: 'Gaussian affinity max-margin loss, 1 prototype per class (Hayat et al. 2019)', affinity: PAPER_HEAD },
  'affinity-m5': { head: 'affinity', description: 'Gaussian affinity max-margin loss, 5 prototypes per class', affinity: { ...PAPER_HEAD, prototypesPerClass: 5 } },
  'affinity-lt': {
    head: 'affinity',
    description: 'affinity max-margin loss with class margins margin*(n_min/n_y)^(1/4), prior correction tau chosen on validation',
    affinity: { ...PAPER_HEAD, classMargins: true, priorCorrection: 'auto' },
  },
  'affinity-ce': {
    head: 'affinity',
    description: 'cross-entropy on -||f - w_j||^2 / sigma + log pi_j with the diversity regularizer, prior correction chosen on validation',
    affinity: { ...PAPER_HEAD, lossForm: 'cross-entropy', priorCorrection: 'auto' },
  },
});

/** Throws an error listing the valid names unless `name` is a method. */
export function requireMethodName(name: unknown): MethodName {
  if (name === undefined) throw new AffinityConfigError(`no method given; valid methods: ${METHOD_NAMES.join(', ')}`);
  if (typeof name !== 'string' || !(METHOD_NAMES as readonly string[]).includes(name)) {
    throw new AffinityConfigError(`unknown method ${JSON.stringify(name)}; valid methods: ${METHOD_NAMES.join(', ')}`);
  }
  return name as MethodName;
}
