/**
 * The benchmark protocols of `affinity bench`: which data, which settings, which methods by
 * default, and the published numbers to print beside ours. A protocol only plans runs; the
 * runner executes them.
 */
import { AffinityConfigError } from 'affinity-loss/internal/errors.js';
import { METHOD_NAMES, type MethodName } from 'affinity-loss/internal/models/methods.js';
import type { ReferenceTable } from '../report/tables.js';
import type { ExperimentConfig, ExperimentExtras } from './experiment.js';

/** Protocol names, as `--protocol` takes them. */
export const PROTOCOL_NAMES = ['figure1', 'step-sweep', 'long-tail', 'noise', 'verification'] as const;

/** One of `PROTOCOL_NAMES`. */
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** One setting of a protocol: the data and training it fixes, for every method and seed. */
export interface ProtocolSetting {
  /** Name shown in the tables (`k=10`, `rho=100 mnist`). */
  setting: string;
  /** Fields of the experiment config this setting fixes. */
  config: Partial<ExperimentConfig> & { dataset: string };
  /** What to measure besides classification. */
  extras: ExperimentExtras;
}

/** A benchmark protocol. */
export interface Protocol {
  /** `--protocol` name. */
  name: ProtocolName;
  /** Report title. */
  title: string;
  /** One paragraph: what it measures and where it comes from. */
  description: string;
  /** Methods compared when `--methods` is not given. */
  defaultMethods: readonly MethodName[];
  /** Methods of a quick run when `--methods` is not given; default: `defaultMethods`. */
  quickMethods?: readonly MethodName[];
  /** Seeds when `--seeds` is not given (a quick run takes one). */
  defaultSeeds: number;
  /**
   * The datasets it runs on, for a protocol whose settings suit any dataset with at least two
   * classes (`--dataset` replaces them, e.g. with a folder of your own images); absent for the
   * protocols built around MNIST's digits.
   */
  datasets?: readonly string[];
  /**
   * The settings, full or quick (fewer settings, fewer epochs, a share of the training rows), on
   * `datasets` (default: the protocol's own) when it takes others.
   */
  settings(quick: boolean, datasets?: readonly string[]): ProtocolSetting[];
  /** Published numbers (percent) to print beside ours, keyed by setting. */
  reference?: ReferenceTable;
}

// Full runs: the MLP for 10 epochs keeps a whole protocol within an hour or two on 2 cores
// (a CNN epoch over MNIST costs ~90 s on wasm, an MLP epoch ~5 s; see the README).
const FULL = { backbone: 'mlp', epochs: 10 } as const;
// Quick runs: what `npm start` and the tests use; minutes, not hours. 12 epochs because the
// affinity heads start slower than softmax: on a quarter of the step sweep's rows, affinity-lt
// and affinity-ce level off on validation by epoch 6-10 and softmax by 5-8, while after 3 epochs
// (the old quick run) every affinity head was 9-30 points behind softmax and below every baseline.
const QUICK = { backbone: 'mlp', epochs: 12, trainFraction: 0.25 } as const;
// A quick run of a protocol that compares every method: the paper's heads, the recommended
// prior-aware ones and the strongest baselines, so that `npm start` fits in about 5 minutes.
const QUICK_METHODS: readonly MethodName[] = ['softmax', 'balanced-softmax', 'logit-adjusted', 'ldam-drw', 'affinity', 'affinity-m5', 'affinity-lt', 'affinity-ce'];

const STEP_SWEEP_K = [500, 200, 100, 50, 20, 10];

/** The long-tail protocol's own datasets. */
const LONG_TAIL_DATASETS: readonly string[] = ['mnist', 'fashion-mnist'];

/** The public re-implementation's step-sweep table (macro-F1 %, best epoch of 100, 3-block CNN). */
export const STEP_SWEEP_REFERENCE: ReferenceTable = {
  title: 'public re-implementation, 3-block CNN, best epoch of 100, Adam 1e-3',
  source: 'docs/METHOD.md: macro-F1 (%) on MNIST with the even digits capped at 6k train / k test images',
  rows: [
    { method: 'softmax', values: referenceRow([99.28, 99.03, 98.79, 98.2, 98.56, 97.83]) },
    { method: 'affinity', values: referenceRow([99.39, 99.2, 98.97, 98.54, 98.36, 98.27]) },
    { method: 'affinity-m5', values: referenceRow([99.33, 99.12, 98.75, 98.65, 98.85, 98.85]) },
  ],
};

function referenceRow(values: number[]): Record<string, number> {
  return Object.fromEntries(STEP_SWEEP_K.map((k, i) => [`k=${k}`, values[i]]));
}

const PROTOCOLS: Readonly<Record<ProtocolName, Protocol>> = {
  figure1: {
    name: 'figure1',
    title: 'Figure 1: 2-D features on MNIST with digits 0-4 at 10%',
    description:
      'MNIST, digits 0-4 keep 10% of their training images, a 2-D feature layer; softmax, softmax + center loss and the affinity loss side by side (and the affinity head with class margins and a prior correction), with the test features and each head\'s prototypes or centres (the paper\'s Figure 1).',
    defaultMethods: ['softmax', 'center-loss', 'affinity', 'affinity-lt'],
    defaultSeeds: 3,
    settings: (quick) => [
      {
        setting: 'digits 0-4 at 10%',
        // A 2-D bottleneck trains slowly (softmax is at ~40% macro-F1 after 10 epochs): more epochs,
        // and the quick run keeps every row.
        config: { ...(quick ? { ...QUICK, epochs: 5, trainFraction: 1 } : { ...FULL, epochs: 30 }), dataset: 'mnist', recipe: 'step:0-4:0.1', featureWidth: 2 },
        extras: { features: true },
      },
    ],
  },
  'step-sweep': {
    name: 'step-sweep',
    title: 'Step sweep: even digits capped at 6k train / k test',
    description:
      'The public re-implementation\'s protocol: even MNIST digits keep their first 6k training and first k test images, odd digits keep everything; macro-F1 on the test split per k.',
    defaultMethods: METHOD_NAMES,
    quickMethods: QUICK_METHODS,
    defaultSeeds: 3,
    settings: (quick) =>
      (quick ? [50, 10] : STEP_SWEEP_K).map((k) => ({
        setting: `k=${k}`,
        // The test split keeps the training imbalance (k test images of each even digit), so the
        // epoch is chosen by plain validation macro-F1, not by the balanced estimate.
        config: { ...(quick ? QUICK : FULL), dataset: 'mnist', recipe: `evencap:${k}`, selection: 'macro-f1' },
        extras: {},
      })),
    reference: STEP_SWEEP_REFERENCE,
  },
  'long-tail': {
    name: 'long-tail',
    title: 'Long tail: exponential imbalance on MNIST and Fashion-MNIST',
    description:
      'Per-class training counts n_i = n_max * rho^(-i/(C-1)) (Cao et al. 2019), balanced test split; accuracy, macro-F1 and many / medium / few-shot accuracy. Takes --dataset (your own images), which it also runs as given.',
    defaultMethods: METHOD_NAMES,
    quickMethods: QUICK_METHODS,
    defaultSeeds: 3,
    datasets: LONG_TAIL_DATASETS,
    settings: (quick, datasets = LONG_TAIL_DATASETS) =>
      datasets.flatMap((dataset) => [
        // Another dataset (your own images) is also run as it comes: its own imbalance is the one that matters.
        ...(LONG_TAIL_DATASETS.includes(dataset) ? [] : [{ setting: `as given ${dataset}`, config: { ...(quick ? QUICK : FULL), dataset, recipe: 'none' }, extras: {} }]),
        ...(quick ? [100] : [10, 50, 100]).map((rho) => ({
          setting: `rho=${rho} ${dataset}`,
          config: { ...(quick ? QUICK : FULL), dataset, recipe: `exp:${rho}` },
          extras: {},
        })),
      ]),
  },
  noise: {
    name: 'noise',
    title: 'Label noise on imbalanced MNIST (digits 0-4 at 10%)',
    description:
      'Digits 0-4 keep 10% of their training images, then a share of training labels is corrupted: symmetric (to any other class) or asymmetric (2>7, 3>8, 5<>6, 7>1); the test split stays clean.',
    defaultMethods: METHOD_NAMES,
    quickMethods: QUICK_METHODS,
    defaultSeeds: 3,
    settings: (quick) =>
      (quick ? ['clean', 'sym 40%'] : ['clean', 'sym 20%', 'sym 40%', 'asym 20%', 'asym 40%']).map((setting) => {
        const [kind, rate] = setting.split(' ');
        const noise = kind === 'clean' ? '' : `+noise:${kind === 'sym' ? 'sym' : 'asym:mnist'}:${Number.parseInt(rate, 10) / 100}`;
        return { setting, config: { ...(quick ? QUICK : FULL), dataset: 'mnist', recipe: `step:0-4:0.1${noise}` }, extras: {} };
      }),
  },
  verification: {
    name: 'verification',
    title: 'Verification: 8 seen classes (0-3 at 10%), 2 unseen',
    description:
      'Train on classes 0-7 with 0-3 keeping 10% of their training images; verify same / different pairs of test images by feature distance, among the seen classes and among the 2 unseen classes (8, 9); ROC AUC and equal error rate.',
    defaultMethods: METHOD_NAMES,
    quickMethods: QUICK_METHODS,
    defaultSeeds: 3,
    settings: (quick) =>
      (quick ? ['mnist'] : ['mnist', 'fashion-mnist']).map((dataset) => ({
        setting: `${dataset} 8 seen`,
        config: { ...(quick ? QUICK : FULL), dataset, recipe: 'step:0-3:0.1', trainClasses: [0, 1, 2, 3, 4, 5, 6, 7] },
        extras: { verification: true },
      })),
  },
};

/** The protocol of a name; the error lists the valid names. */
export function getProtocol(name: string): Protocol {
  if (!(PROTOCOL_NAMES as readonly string[]).includes(name)) {
    throw new AffinityConfigError(`unknown protocol ${JSON.stringify(name)}; valid protocols: ${PROTOCOL_NAMES.join(', ')}`);
  }
  return PROTOCOLS[name as ProtocolName];
}
