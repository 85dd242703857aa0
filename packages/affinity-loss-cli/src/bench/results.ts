/**
 * The record one finished bench run leaves behind (one JSON file per run), and what the report
 * writers read. Plain JSON: no tensors, no class instances.
 */
import type { ClassificationReport } from 'affinity-loss/internal/train/report.js';
import type { EpochAffinityDiagnostics } from 'affinity-loss/internal/train/affinityMonitor.js';
import type { EpochLog } from 'affinity-loss/internal/train/trainer.js';

/** Verification scores of one model (features compared by negative distance). */
export interface VerificationScores {
  /** Pairs drawn from classes the model was trained on. */
  seen: { rocAuc: number; equalErrorRate: number; pairs: number };
  /** Pairs drawn from classes left out of training. */
  unseen: { rocAuc: number; equalErrorRate: number; pairs: number };
}

/** 2-D test features and prototypes (or class centres), for the Figure 1 panels. */
export interface FeatureSnapshot {
  /** One [x, y] per plotted test sample. */
  points: [number, number][];
  /** True class of each plotted sample. */
  labels: number[];
  /**
   * The head's own anchors in feature space: affinity prototypes or center-loss centres;
   * absent for heads without (softmax), whose class means are in `classMeans`.
   */
  anchors?: { class: number; point: [number, number] }[];
  /** Mean feature of each class over the plotted samples. */
  classMeans: [number, number][];
  /** Classes the protocol made rare. */
  minorityClasses: number[];
}

/** The prior correction of a run's two models, as recorded in its result files. */
export interface PriorCorrectionRecord {
  /** `validation <score>` when chosen on validation ('auto', by the run's selection score), 'fixed' when given. */
  selection: string;
  /** tau of the last-epoch model. */
  last: number;
  /** tau of the best-on-validation model (the one kept). */
  best: number;
}

/**
 * One finished run, as its result file holds it. Runs of a search (`affinity tune`) are never
 * scored on the test split, so they have no `last` and `best`; see `RunResult`.
 */
export interface RunRecord {
  /** Unique key within the protocol: the result file's name without `.json`. */
  id: string;
  /** Protocol name (`figure1`, `step-sweep`, ...). */
  protocol: string;
  /** The setting within the protocol, as shown in the tables (`k=10`, `rho=100 mnist`, ...). */
  setting: string;
  /** Sort key of the setting, so tables list settings in protocol order. */
  settingOrder: number;
  /** Method name, as on the command line. */
  method: string;
  /** Seed of the data recipe, the initialisation and the batch order. */
  seed: number;
  /** Everything that made this run, to rerun it alone. */
  config: Record<string, unknown>;
  /** Test metrics of the model at the last epoch (absent for search trials). */
  last?: ClassificationReport;
  /** Test metrics of the model from the epoch with the best validation score (the config's `selection`; absent for search trials). */
  best?: ClassificationReport;
  /** 1-based epoch chosen on validation. */
  bestEpoch: number;
  /** Per-epoch log. */
  history: EpochLog[];
  /** Verification scores (verification protocol), for the last-epoch model. */
  verification?: VerificationScores;
  /** 2-D features (Figure 1 protocol), of the last-epoch model. */
  features?: FeatureSnapshot;
  /** Affinity heads: the head's state after every epoch (see `AffinityMonitor`). */
  affinityDiagnostics?: EpochAffinityDiagnostics[];
  /** Affinity heads: the prior correction tau of the last and the best model, and how it was set. */
  priorCorrection?: PriorCorrectionRecord;
  /** What went wrong in training that did not stop it (an affinity head that cannot learn). */
  warnings?: string[];
  /** Classes the protocol made rare (for per-class plots). */
  minorityClasses: number[];
  /** Class names, in class-id order. */
  classNames: string[];
  /** The command line that trained this run (absent in files written before it was recorded). */
  command?: string;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
  /** Backend the run trained on (`wasm`, `tensorflow`, `cpu`). */
  backend: string;
}

/** A run scored on the test split: every bench run. */
export interface RunResult extends RunRecord {
  /** Test metrics of the model at the last epoch. */
  last: ClassificationReport;
  /** Test metrics of the model from the epoch with the best validation macro-F1. */
  best: ClassificationReport;
}
