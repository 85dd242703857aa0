/**
 * The report's tables as plain data (title, columns, rows of formatted cells), built once from
 * the aggregate so the markdown and the HTML report show the same cells with the same bold.
 */
import {
  CLASSIFICATION_METRICS,
  VERIFICATION_METRICS,
  CLUSTER_METRICS,
  findCell,
  type MetricName,
  type ModelSelection,
  type ProtocolAggregate,
  type Summary,
} from './aggregate.js';

/** Published numbers to print beside ours, e.g. a paper's table. */
export interface ReferenceTable {
  /** What the numbers are (`Hayat et al. 2019, Table 2: macro-F1`). */
  title: string;
  /** Where they come from (citation or URL), printed under the title. */
  source: string;
  /** One row per method; values in percent, keyed by setting as in our tables (`k=10`). */
  rows: { method: string; values: Record<string, number> }[];
}

/** How a metric is named in the tables and which way is better. */
export interface MetricInfo {
  /** Column-free label (`Macro-F1`). */
  label: string;
  /** False for error rates, whose best value is the lowest. */
  higherIsBetter: boolean;
  /** When set, the best value is the one closest to it (a ratio whose ideal is 1), not the highest. */
  target?: number;
}

/** Label and direction of every metric. */
export const METRIC_INFO: Record<MetricName, MetricInfo> = {
  macroF1: { label: 'Macro-F1', higherIsBetter: true },
  accuracy: { label: 'Accuracy', higherIsBetter: true },
  balancedAccuracy: { label: 'Balanced accuracy', higherIsBetter: true },
  gMean: { label: 'G-mean', higherIsBetter: true },
  minorityRecall: { label: 'Minority-class recall', higherIsBetter: true },
  majorityRecall: { label: 'Majority-class recall', higherIsBetter: true },
  manyShotAccuracy: { label: 'Many-shot accuracy', higherIsBetter: true },
  mediumShotAccuracy: { label: 'Medium-shot accuracy', higherIsBetter: true },
  fewShotAccuracy: { label: 'Few-shot accuracy', higherIsBetter: true },
  seenRocAuc: { label: 'Verification ROC AUC, seen classes', higherIsBetter: true },
  unseenRocAuc: { label: 'Verification ROC AUC, unseen classes', higherIsBetter: true },
  seenEqualErrorRate: { label: 'Verification EER, seen classes', higherIsBetter: false },
  unseenEqualErrorRate: { label: 'Verification EER, unseen classes', higherIsBetter: false },
  minorityRadiusRatio: { label: 'Minority / majority cluster radius (100 = same size)', higherIsBetter: true, target: 1 },
  anchorSpacingCv: { label: 'Variation of the distances between class anchors (0 = equidistant)', higherIsBetter: false },
};

/** Words for each model selection in table titles. */
export const SELECTION_LABEL: Record<ModelSelection, string> = {
  last: 'last epoch',
  best: 'model chosen on validation',
};

/** One formatted cell. */
export interface TableCell {
  /** What the cell shows (`98.27 ± 0.12`, `—` when empty). */
  text: string;
  /** Best value of its column. */
  bold: boolean;
}

/** One table: rows are methods, columns are settings. */
export interface ReportTable {
  /** Stable identifier (`macroF1-last`, `reference`), for anchors and tests. */
  id: string;
  /** Table heading. */
  title: string;
  /** A line under the heading (the reference's source). */
  note?: string;
  /** Header of the first column. */
  corner: string;
  /** Setting names, in column order. */
  columns: string[];
  /** One row per method. */
  rows: { label: string; cells: TableCell[] }[];
}

/** Every table of one protocol. */
export interface ReportSection {
  /** Protocol name. */
  protocol: string;
  /** The sentence stating what the cells are and over how many seeds. */
  summary: string;
  /** Primary table first (macro-F1, last epoch), then the reference, then the rest. */
  tables: ReportTable[];
}

/** Options of `buildSections`. */
export interface SectionOptions {
  /** Published numbers to print after the primary table. */
  reference?: ReferenceTable;
  /** Protocol the reference belongs to; when absent it goes under every protocol. */
  referenceProtocol?: string;
}

/** Placeholder of an empty cell. */
export const EMPTY_CELL = '—';

/** A fraction as percent with two decimals: 0.98271 -> `98.27`. */
export function percent(fraction: number): string {
  return (fraction * 100).toFixed(2);
}

/**
 * `mean ± std` in percent with two decimals (`98.27 ± 0.12`), the mean alone for one seed. A cell with fewer seeds than
 * the table's usual count says its n, so a reader does not trust a lone seed's 0.00 spread.
 */
export function formatSummary(summary: Summary, expectedSeeds?: number): string {
  // One seed has no spread: printing "± 0.00" would claim a precision nobody measured.
  const text = summary.n < 2 ? percent(summary.mean) : `${percent(summary.mean)} ± ${percent(summary.std)}`;
  return expectedSeeds !== undefined && summary.n !== expectedSeeds ? `${text} (n=${summary.n})` : text;
}

/**
 * Marks the best value of each column bold. Ties are all bold; a column with a single value
 * gets no bold, since "best of one" says nothing.
 */
function boldBest(values: (number | undefined)[][], higherIsBetter: boolean, target?: number): boolean[][] {
  const bold = values.map((row) => row.map(() => false));
  const columns = values[0]?.length ?? 0;
  for (let column = 0; column < columns; column++) {
    const present = values.map((row) => row[column]).filter((value): value is number => value !== undefined && Number.isFinite(value));
    if (present.length < 2) continue;
    const score = (value: number) => (target !== undefined ? -Math.abs(value - target) : higherIsBetter ? value : -value);
    const best = Math.max(...present.map(score));
    values.forEach((row, r) => {
      const value = row[column];
      if (value !== undefined && Number.isFinite(value) && score(value) === best) bold[r][column] = true;
    });
  }
  return bold;
}

/** The table of one metric and model selection; undefined when no cell has the metric. */
export function metricTable(aggregate: ProtocolAggregate, metric: MetricName, selection: ModelSelection): ReportTable | undefined {
  const summaries = aggregate.methods.map((method) =>
    aggregate.settings.map((setting) => findCell(aggregate, setting, method)?.[selection][metric]),
  );
  if (summaries.every((row) => row.every((summary) => summary === undefined))) return undefined;
  const info = METRIC_INFO[metric];
  const bold = boldBest(summaries.map((row) => row.map((summary) => summary?.mean)), info.higherIsBetter, info.target);
  return {
    id: `${metric}-${selection}`,
    title: `${info.label}, ${SELECTION_LABEL[selection]}`,
    corner: 'Method',
    columns: aggregate.settings,
    rows: aggregate.methods.map((method, r) => ({
      label: method,
      cells: summaries[r].map((summary, c) => ({
        text: summary === undefined ? EMPTY_CELL : formatSummary(summary, aggregate.seeds.max),
        bold: bold[r][c],
      })),
    })),
  };
}

/**
 * The reference as a table with our column order; settings only the reference has go last,
 * so nothing published is dropped.
 */
export function referenceTable(reference: ReferenceTable, settings: readonly string[]): ReportTable {
  const extra = reference.rows.flatMap((row) => Object.keys(row.values)).filter((setting) => !settings.includes(setting));
  const columns = [...settings, ...new Set(extra)];
  const values = reference.rows.map((row) => columns.map((setting) => row.values[setting]));
  // The published table's own metric and direction are unknown here; most are accuracies or F1.
  const bold = boldBest(values, true);
  return {
    id: 'reference',
    title: `Published: ${reference.title}`,
    note: `Source: ${reference.source}`,
    corner: 'Method',
    columns,
    rows: reference.rows.map((row, r) => ({
      label: row.method,
      cells: values[r].map((value, c) => ({
        text: value === undefined || !Number.isFinite(value) ? EMPTY_CELL : value.toFixed(2),
        bold: bold[r][c],
      })),
    })),
  };
}

/** The sentence under a protocol heading: what the cells are and the number of seeds. */
export function sectionSummary(aggregate: ProtocolAggregate): string {
  const { min, max } = aggregate.seeds;
  const seeds = min === max ? `n = ${max} seed${max === 1 ? '' : 's'}` : `n = ${min}–${max} seeds (cells with fewer than ${max} say their n)`;
  const cells = max === 1 ? 'One seed per cell (so no spread)' : `Mean ± sample standard deviation over ${seeds}`;
  return (
    `${cells}, in percent; ${aggregate.runs} runs. ` +
    'Bold: best mean of each column (lowest for equal error rates).'
  );
}

/**
 * Every table of every protocol: macro-F1 of the last epoch first (the primary metric), the
 * published reference right after it so the two read side by side, then the other metrics of
 * the last epoch, then all metrics of the model chosen on validation. Tables of metrics no run
 * has (shot groups, verification) are left out.
 */
export function buildSections(aggregates: readonly ProtocolAggregate[], options: SectionOptions = {}): ReportSection[] {
  const metrics: MetricName[] = [...CLASSIFICATION_METRICS, ...VERIFICATION_METRICS, ...CLUSTER_METRICS];
  return aggregates.map((aggregate) => {
    const tables: ReportTable[] = [];
    const push = (table: ReportTable | undefined): void => {
      if (table !== undefined) tables.push(table);
    };
    push(metricTable(aggregate, 'macroF1', 'last'));
    const { reference, referenceProtocol } = options;
    if (reference !== undefined && (referenceProtocol === undefined || referenceProtocol === aggregate.protocol)) {
      tables.push(referenceTable(reference, aggregate.settings));
    }
    for (const metric of metrics) if (metric !== 'macroF1') push(metricTable(aggregate, metric, 'last'));
    for (const metric of metrics) push(metricTable(aggregate, metric, 'best'));
    return { protocol: aggregate.protocol, summary: sectionSummary(aggregate), tables };
  });
}
