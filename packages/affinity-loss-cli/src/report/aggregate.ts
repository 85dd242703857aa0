/**
 * Seeds folded into table cells: runs grouped by (protocol, setting, method), each metric
 * summarised as mean and sample standard deviation over the group's seeds. Every report
 * writer (markdown, CSV-free HTML tables, plots) reads this one structure, so the numbers in
 * the tables and in the plots cannot disagree.
 */
import type { ClassificationReport } from 'affinity-loss/internal/train/report.js';
import { clusterRadii, radiusRatio, spacingVariation } from 'affinity-loss/internal/metrics/clusters.js';
import type { RunRecord, RunResult } from '../bench/results.js';

/** Mean and spread of one metric over seeds; fractions as stored (not percent). */
export interface Summary {
  /** Arithmetic mean over the seeds that have the metric. */
  mean: number;
  /** Sample standard deviation (n - 1 denominator); 0 for a single seed. */
  std: number;
  /** Seeds that contributed (runs where the metric was missing or NaN are left out). */
  n: number;
}

/** The scalar metrics of one classification report that the tables show. */
export const CLASSIFICATION_METRICS = [
  'macroF1',
  'accuracy',
  'balancedAccuracy',
  'gMean',
  'minorityRecall',
  'majorityRecall',
  'manyShotAccuracy',
  'mediumShotAccuracy',
  'fewShotAccuracy',
] as const;

/** Verification metrics; only the last-epoch model is scored on pairs. */
export const VERIFICATION_METRICS = ['seenRocAuc', 'unseenRocAuc', 'seenEqualErrorRate', 'unseenEqualErrorRate'] as const;

/**
 * Figure 1 cluster shape, from a run's 2-D feature snapshot (last epoch): mean minority over
 * majority cluster radius, and the coefficient of variation of the distances between class
 * anchors (the mean prototype or centre of each class, or the class mean for softmax).
 */
export const CLUSTER_METRICS = ['minorityRadiusRatio', 'anchorSpacingCv'] as const;

/** Name of a scalar classification metric. */
export type ClassificationMetric = (typeof CLASSIFICATION_METRICS)[number];
/** Name of a verification metric. */
export type VerificationMetric = (typeof VERIFICATION_METRICS)[number];
/** Name of a cluster-shape metric. */
export type ClusterMetric = (typeof CLUSTER_METRICS)[number];
/** Any metric a table can show. */
export type MetricName = ClassificationMetric | VerificationMetric | ClusterMetric;

/** Which model of a run the metrics belong to. */
export type ModelSelection = 'last' | 'best';

/** Summaries of one model selection; a metric is absent when no seed of the cell has it. */
export type MetricSummaries = Partial<Record<MetricName, Summary>>;

/** One table cell: every seed of one method in one setting of one protocol. */
export interface CellAggregate {
  /** Protocol name. */
  protocol: string;
  /** Setting as shown in the tables (`k=10`). */
  setting: string;
  /** Sort key of the setting. */
  settingOrder: number;
  /** Method name. */
  method: string;
  /** Seeds of the runs in this cell, in the order read. */
  seeds: number[];
  /** Metrics of the last-epoch model (verification metrics included when present). */
  last: MetricSummaries;
  /** Metrics of the model chosen on validation. */
  best: MetricSummaries;
  /** Per-class recall of each model, one summary per class id. */
  perClassRecall: Record<ModelSelection, Summary[]>;
  /** Class names of the cell's first run, in class-id order. */
  classNames: string[];
  /** Minority classes of the cell's first run. */
  minorityClasses: number[];
  /** Wall-clock seconds per run. */
  seconds: Summary;
  /** Epoch chosen on validation. */
  bestEpoch: Summary;
}

/** Every cell of one protocol, with the row and column order of its tables. */
export interface ProtocolAggregate {
  /** Protocol name. */
  protocol: string;
  /** Settings (table columns), ordered by settingOrder, then first seen. */
  settings: string[];
  /** Methods (table rows), in the order first seen: the order the user listed them. */
  methods: string[];
  /** One entry per (setting, method) pair that has runs. */
  cells: CellAggregate[];
  /** Fewest and most seeds over the cells (equal when every cell has the same count). */
  seeds: { min: number; max: number };
  /** Runs aggregated. */
  runs: number;
}

/** Mean of the finite values; NaN when there are none. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values, since one seed has no spread to estimate. */
export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const centre = mean(values);
  const squares = values.reduce((sum, value) => sum + (value - centre) ** 2, 0);
  return Math.sqrt(squares / (values.length - 1));
}

/**
 * Mean, sample std and count of the values that are numbers and finite. Missing metrics
 * (undefined, or NaN stored as null in JSON) are dropped rather than counted as 0, so a seed
 * without a few-shot class does not drag the few-shot mean down.
 */
export function summarize(values: readonly (number | null | undefined)[]): Summary {
  const present = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return { mean: mean(present), std: sampleStd(present), n: present.length };
}

/** Mean per-class recall over the given classes; undefined when the set is empty. */
function meanRecall(perClassRecall: readonly (number | null)[], classes: readonly number[]): number | undefined {
  const values = classes
    .map((j) => perClassRecall[j])
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  return values.length === 0 ? undefined : mean(values);
}

/** The scalar classification metrics of one report, with the minority / majority split. */
export function classificationScalars(
  report: ClassificationReport,
  minorityClasses: readonly number[],
): Partial<Record<ClassificationMetric, number>> {
  const minority = new Set(minorityClasses);
  const classes = report.perClassRecall.map((_, j) => j);
  const scalars: Partial<Record<ClassificationMetric, number>> = {
    macroF1: report.macroF1,
    accuracy: report.accuracy,
    balancedAccuracy: report.balancedAccuracy,
    gMean: report.gMean,
  };
  // Without minority classes the split is undefined, not "every class is majority".
  if (minority.size > 0) {
    scalars.minorityRecall = meanRecall(report.perClassRecall, classes.filter((j) => minority.has(j)));
    scalars.majorityRecall = meanRecall(report.perClassRecall, classes.filter((j) => !minority.has(j)));
  }
  if (report.shotGroups !== undefined) {
    scalars.manyShotAccuracy = report.shotGroups.many.accuracy;
    scalars.mediumShotAccuracy = report.shotGroups.medium.accuracy;
    scalars.fewShotAccuracy = report.shotGroups.few.accuracy;
  }
  return scalars;
}

/** The verification metrics of one run, when it has them. */
export function verificationScalars(run: RunResult): Partial<Record<VerificationMetric, number>> {
  if (run.verification === undefined) return {};
  return {
    seenRocAuc: run.verification.seen.rocAuc,
    unseenRocAuc: run.verification.unseen.rocAuc,
    seenEqualErrorRate: run.verification.seen.equalErrorRate,
    unseenEqualErrorRate: run.verification.unseen.equalErrorRate,
  };
}

/** The cluster-shape metrics of one run, when it has a feature snapshot. */
export function clusterScalars(run: RunRecord): Partial<Record<ClusterMetric, number>> {
  const snapshot = run.features;
  if (snapshot === undefined) return {};
  const classes = snapshot.classMeans.length;
  const radii = clusterRadii(snapshot.points, snapshot.labels, classes);
  // Each class's anchor: the mean of its prototypes or its centre; the class mean without anchors.
  let centres: number[][] = snapshot.classMeans;
  if (snapshot.anchors !== undefined && snapshot.anchors.length > 0) {
    const sums = Array.from({ length: classes }, () => [0, 0, 0]);
    for (const { class: id, point } of snapshot.anchors) {
      sums[id][0] += point[0];
      sums[id][1] += point[1];
      sums[id][2] += 1;
    }
    centres = sums.filter(([, , n]) => n > 0).map(([x, y, n]) => [x / n, y / n]);
  }
  return { minorityRadiusRatio: radiusRatio(radii, snapshot.minorityClasses), anchorSpacingCv: spacingVariation(centres) };
}

/** Summaries of every metric over a list of per-run scalar records; metrics no run has are left out. */
function summarizeAll(records: Partial<Record<MetricName, number>>[]): MetricSummaries {
  const summaries: MetricSummaries = {};
  for (const metric of [...CLASSIFICATION_METRICS, ...VERIFICATION_METRICS, ...CLUSTER_METRICS]) {
    const summary = summarize(records.map((record) => record[metric]));
    if (summary.n > 0) summaries[metric] = summary;
  }
  return summaries;
}

/** Per-class summaries over runs whose class count may differ (the widest run sets C). */
function summarizePerClass(recalls: readonly (readonly (number | null)[])[]): Summary[] {
  const classes = Math.max(0, ...recalls.map((recall) => recall.length));
  return Array.from({ length: classes }, (_, j) => summarize(recalls.map((recall) => recall[j])));
}

function aggregateCell(runs: RunResult[]): CellAggregate {
  const first = runs[0];
  return {
    protocol: first.protocol,
    setting: first.setting,
    settingOrder: first.settingOrder,
    method: first.method,
    seeds: runs.map((run) => run.seed),
    last: summarizeAll(runs.map((run) => ({
      ...classificationScalars(run.last, run.minorityClasses),
      ...verificationScalars(run),
      ...clusterScalars(run),
    }))),
    best: summarizeAll(runs.map((run) => classificationScalars(run.best, run.minorityClasses))),
    perClassRecall: {
      last: summarizePerClass(runs.map((run) => run.last.perClassRecall)),
      best: summarizePerClass(runs.map((run) => run.best.perClassRecall)),
    },
    classNames: first.classNames,
    minorityClasses: first.minorityClasses,
    seconds: summarize(runs.map((run) => run.seconds)),
    bestEpoch: summarize(runs.map((run) => run.bestEpoch)),
  };
}

/** Options of `aggregateRuns`. */
export interface AggregateOptions {
  /**
   * Row order of the methods, as the user listed them. Runs read back from disk come in
   * file-name order, which loses that order; methods not listed follow in the order first seen.
   */
  methodOrder?: readonly string[];
}

/**
 * Groups runs by protocol, then by (setting, method), and summarises every metric over seeds.
 * Protocols come in the order first seen; within a protocol settings are sorted by
 * settingOrder (ties keep the order first seen) and methods follow `methodOrder`, then the
 * order first seen, which for runs straight from the bench is the command line's order.
 */
export function aggregateRuns(runs: readonly RunResult[], options: AggregateOptions = {}): ProtocolAggregate[] {
  const byProtocol = new Map<string, RunResult[]>();
  for (const run of runs) {
    const list = byProtocol.get(run.protocol) ?? [];
    list.push(run);
    byProtocol.set(run.protocol, list);
  }
  return [...byProtocol.entries()].map(([protocol, protocolRuns]) => {
    const settingOrder = new Map<string, { order: number; seen: number }>();
    const methods: string[] = [];
    const groups = new Map<string, RunResult[]>();
    for (const run of protocolRuns) {
      if (!settingOrder.has(run.setting)) settingOrder.set(run.setting, { order: run.settingOrder, seen: settingOrder.size });
      if (!methods.includes(run.method)) methods.push(run.method);
      // JSON of the pair, not a joined string, so no separator can collide with a name.
      const key = JSON.stringify([run.setting, run.method]);
      const group = groups.get(key) ?? [];
      group.push(run);
      groups.set(key, group);
    }
    const listed = (options.methodOrder ?? []).filter((method) => methods.includes(method));
    methods.splice(0, methods.length, ...new Set([...listed, ...methods]));
    const settings = [...settingOrder.entries()]
      .sort(([, a], [, b]) => a.order - b.order || a.seen - b.seen)
      .map(([setting]) => setting);
    const cells: CellAggregate[] = [];
    for (const setting of settings) {
      for (const method of methods) {
        const group = groups.get(JSON.stringify([setting, method]));
        if (group !== undefined) cells.push(aggregateCell(group));
      }
    }
    const counts = cells.map((cell) => cell.seeds.length);
    return {
      protocol,
      settings,
      methods,
      cells,
      seeds: { min: Math.min(...counts), max: Math.max(...counts) },
      runs: protocolRuns.length,
    };
  });
}

/** The cell of (setting, method) in a protocol aggregate, if any run filled it. */
export function findCell(aggregate: ProtocolAggregate, setting: string, method: string): CellAggregate | undefined {
  return aggregate.cells.find((cell) => cell.setting === setting && cell.method === method);
}
