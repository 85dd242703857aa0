/**
 * The report's figures as Vega-Lite specs, rendered headless to SVG by Vega and to PNG by
 * resvg. Specs are built from the aggregate (bars, error bars) or from the runs themselves
 * (Figure 1 feature panels), so a test can check a spec without paying for a render.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResult } from '../bench/results.js';
import { findCell, type ProtocolAggregate } from './aggregate.js';
import { slug } from './slug.js';

/** One figure: its file name (without extension), a caption and the spec. */
export interface PlotSpec {
  /** File name without extension, unique within a report (`macro-f1-k-10`, `figure1`). */
  name: string;
  /** Caption for the HTML report. */
  title: string;
  /** The Vega-Lite spec. */
  spec: TopLevelSpec;
}

/** A figure rendered to both formats. */
export interface RenderedPlot extends PlotSpec {
  /** Standalone SVG document text. */
  svg: string;
  /** PNG file bytes. */
  png: Uint8Array;
}

/** Options of `svgToPng`. */
export interface PngOptions {
  /** Load the machine's fonts (default true); without fonts the PNG has no text but is still written. */
  loadSystemFonts?: boolean;
  /** Pixel density relative to the SVG size (default 2: sharp on high-DPI screens and in slides). */
  scale?: number;
}

/**
 * Font of every text mark. DejaVu Sans ships with most Linux systems and covers ± and ×;
 * the generic fallback keeps the inline SVGs readable in browsers that lack it.
 */
export const PLOT_FONT = 'DejaVu Sans';

/** Most points per class in a Figure 1 panel: enough to show a cluster's shape; each point costs ~250 B of SVG, inlined in report.html. */
export const MAX_POINTS_PER_CLASS = 200;

const CONFIG = {
  font: `${PLOT_FONT}, Verdana, sans-serif`,
  background: 'white',
  title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: '#555' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
} as const;

/** One panel of a row of a vertical concatenation, derived from TopLevelSpec to keep vega-lite's deep types out of the API. */
type RowSpec = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];
type PanelSpec = Extract<RowSpec, { hconcat: unknown }>['hconcat'][number];

/** Short black caps on error bars (Vega-Lite's default caps span the band in the bar colour). */
const ERROR_TICKS = { size: 6, color: 'black' };

/** Marks a minority class in axis labels and legends. */
const MINORITY_MARK = ' *';

/** Class label for axes and legends, with the minority mark. */
function classLabel(classNames: readonly string[], minority: ReadonlySet<number>, j: number): string {
  const name = classNames[j] ?? String(j);
  return minority.has(j) ? `${name}${MINORITY_MARK}` : name;
}

/** Upper end of an error bar in percent, kept inside the [0, 100] axis. */
function barEnds(mean: number, std: number): { lo: number; hi: number } {
  return { lo: Math.max(0, (mean - std) * 100), hi: Math.min(100, (mean + std) * 100) };
}

/** Colour scale of the methods, shared by every figure so a method keeps its colour. */
function methodColor(methods: readonly string[], legend: boolean) {
  return {
    field: 'method',
    type: 'nominal' as const,
    title: 'Method',
    // tableau10 repeats its colours after ten methods, and the bench compares eleven.
    scale: { domain: [...methods], scheme: methods.length > 10 ? 'tableau20' : 'tableau10' },
    ...(legend ? {} : { legend: null }),
  };
}

/**
 * (a) Macro-F1 of the last epoch per method in one setting: bars at the mean, error bars at
 * ± one sample std, the mean printed above each bar. Undefined when no method has it.
 */
export function macroF1BarSpec(aggregate: ProtocolAggregate, setting: string): TopLevelSpec | undefined {
  const values = aggregate.methods.flatMap((method) => {
    const summary = findCell(aggregate, setting, method)?.last.macroF1;
    if (summary === undefined) return [];
    return [{ method, mean: summary.mean * 100, ...barEnds(summary.mean, summary.std), label: (summary.mean * 100).toFixed(2), n: summary.n }];
  });
  if (values.length === 0) return undefined;
  const title = 'Macro-F1 (%)';
  return {
    title: {
      text: `Macro-F1, last epoch: ${setting}`,
      subtitle: `${aggregate.protocol}; mean ± std over seeds`,
    },
    width: Math.max(160, 56 * values.length),
    height: 240,
    data: { values },
    encoding: {
      x: { field: 'method', type: 'nominal', sort: [...aggregate.methods], title: 'Method', axis: { labelAngle: -30 } },
    },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'mean', type: 'quantitative', title, scale: { domain: [0, 100] } },
          color: methodColor(aggregate.methods, false),
        },
      },
      { mark: { type: 'errorbar', ticks: ERROR_TICKS }, encoding: { y: { field: 'lo', type: 'quantitative', title }, y2: { field: 'hi' } } },
      {
        mark: { type: 'text', dy: -6, baseline: 'bottom', fontSize: 10 },
        encoding: { y: { field: 'hi', type: 'quantitative', title }, text: { field: 'label' } },
      },
    ],
    config: CONFIG,
  };
}

/**
 * (b) Last-epoch recall of every class, bars grouped by method. Minority classes carry a `*`
 * and a red axis label, so the drop on rare classes is visible at a glance. (A grey band
 * behind them would need a layer without xOffset, which breaks Vega-Lite's grouped bars.)
 */
export function perClassRecallSpec(aggregate: ProtocolAggregate, setting: string): TopLevelSpec | undefined {
  const cells = aggregate.methods.flatMap((method) => {
    const cell = findCell(aggregate, setting, method);
    return cell === undefined || cell.perClassRecall.last.length === 0 ? [] : [cell];
  });
  if (cells.length === 0) return undefined;
  const { classNames, minorityClasses } = cells[0];
  const minority = new Set(minorityClasses);
  const classes = Math.max(...cells.map((cell) => cell.perClassRecall.last.length));
  const labels = Array.from({ length: classes }, (_, j) => classLabel(classNames, minority, j));
  const values = cells.flatMap((cell) =>
    cell.perClassRecall.last.flatMap((summary, j) =>
      summary.n === 0
        ? []
        : [{ method: cell.method, classLabel: labels[j], recall: summary.mean * 100, ...barEnds(summary.mean, summary.std) }],
    ),
  );
  const x = { field: 'classLabel', type: 'nominal' as const, sort: labels, title: `Class (${MINORITY_MARK.trim()} minority)` };
  const title = 'Recall (%)';
  return {
    title: { text: `Per-class recall, last epoch: ${setting}`, subtitle: `${aggregate.protocol}; mean ± std over seeds; * minority class` },
    // One step per bar (per method within a class), so many methods widen the chart linearly, not quadratically.
    width: { step: 12, for: 'offset' },
    height: 240,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          x: {
            ...x,
            axis: {
              labelAngle: -45,
              labelColor: { expr: `indexof(datum.value, '${MINORITY_MARK.trim()}') >= 0 ? '#b22222' : '#333333'` },
            },
          },
          xOffset: { field: 'method', sort: [...aggregate.methods] },
          // Grouped, not stacked: each method's recall is its own bar.
          y: { field: 'recall', type: 'quantitative', title, scale: { domain: [0, 100] }, stack: null },
          color: methodColor(aggregate.methods, true),
        },
      },
      {
        mark: { type: 'errorbar', ticks: ERROR_TICKS },
        encoding: {
          x,
          xOffset: { field: 'method', sort: [...aggregate.methods] },
          y: { field: 'lo', type: 'quantitative', title },
          y2: { field: 'hi' },
        },
      },
    ],
    config: CONFIG,
  };
}

/** Every `stride`-th point of each class, at most MAX_POINTS_PER_CLASS per class; rare classes keep all theirs. */
function thinPoints(snapshot: NonNullable<RunResult['features']>): { x: number; y: number; label: number }[] {
  const perClass = new Map<number, number[]>();
  snapshot.labels.forEach((label, i) => {
    const list = perClass.get(label) ?? [];
    list.push(i);
    perClass.set(label, list);
  });
  const kept: { x: number; y: number; label: number }[] = [];
  for (const [label, indices] of [...perClass.entries()].sort(([a], [b]) => a - b)) {
    const stride = Math.max(1, Math.ceil(indices.length / MAX_POINTS_PER_CLASS));
    for (let k = 0; k < indices.length; k += stride) {
      const [x, y] = snapshot.points[indices[k]];
      if (Number.isFinite(x) && Number.isFinite(y)) kept.push({ x, y, label });
    }
  }
  return kept;
}

/**
 * (c) Figure 1 of the paper: for each method with features, its 2-D test features coloured by
 * class (category10), with its anchors as black crosses: affinity prototypes or center-loss
 * centres; heads without anchors (softmax) show their class means as black diamonds instead.
 * One row per (protocol, setting), one panel per method, the seed with the lowest number.
 * Undefined when no run has features.
 */
export function figure1Spec(runs: readonly RunResult[]): TopLevelSpec | undefined {
  const chosen = new Map<string, RunResult>();
  const rowKeys: string[] = [];
  for (const run of runs) {
    if (run.features === undefined || run.features.points.length === 0) continue;
    const row = JSON.stringify([run.protocol, run.setting]);
    if (!rowKeys.includes(row)) rowKeys.push(row);
    const key = JSON.stringify([run.protocol, run.setting, run.method]);
    const current = chosen.get(key);
    if (current === undefined || run.seed < current.seed) chosen.set(key, run);
  }
  if (chosen.size === 0) return undefined;
  const panelRuns = [...chosen.values()];
  const first = panelRuns[0];
  const minority = new Set(first.features?.minorityClasses ?? first.minorityClasses);
  const classes = Math.max(
    first.classNames.length,
    ...panelRuns.flatMap((run) => run.features?.labels ?? []).map((label) => label + 1),
  );
  const labels = Array.from({ length: classes }, (_, j) => classLabel(first.classNames, minority, j));
  const manyRows = rowKeys.length > 1;
  const axis = { type: 'quantitative' as const, title: null, scale: { zero: false, nice: false }, axis: { grid: false, labelFontSize: 9 } };
  const panel = (run: RunResult): PanelSpec => {
    const snapshot = run.features!;
    const hasAnchors = snapshot.anchors !== undefined && snapshot.anchors.length > 0;
    const anchorPoints = hasAnchors
      ? snapshot.anchors!.map((anchor) => ({ x: anchor.point[0], y: anchor.point[1] }))
      : snapshot.classMeans.map(([x, y]) => ({ x, y }));
    return {
      title: {
        text: manyRows ? `${run.method} (${run.setting})` : run.method,
        subtitle: hasAnchors ? 'black ×: prototypes / centres' : 'black ◆: class means',
      },
      width: 220,
      height: 220,
      layer: [
        {
          data: { values: thinPoints(snapshot).map((point) => ({ ...point, class: labels[point.label] })) },
          mark: { type: 'circle', size: 10, opacity: 0.55 },
          encoding: {
            x: { field: 'x', ...axis },
            y: { field: 'y', ...axis },
            color: {
              field: 'class',
              type: 'nominal',
              scale: { domain: labels, scheme: classes <= 10 ? 'category10' : 'category20' },
              legend: { title: `Class (${MINORITY_MARK.trim()} minority)` },
            },
          },
        },
        {
          data: { values: anchorPoints.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y)) },
          mark: hasAnchors
            ? { type: 'point', shape: 'cross', filled: true, color: 'black', size: 90, angle: 45 }
            : { type: 'point', shape: 'diamond', filled: true, color: 'black', size: 110 },
          encoding: { x: { field: 'x', ...axis }, y: { field: 'y', ...axis } },
        },
      ],
    };
  };
  const rows = rowKeys.map((row) => ({
    hconcat: panelRuns.filter((run) => JSON.stringify([run.protocol, run.setting]) === row).map(panel),
  }));
  return {
    title: { text: 'Figure 1: 2-D test features, last epoch', subtitle: 'colour: true class; * minority class' },
    vconcat: rows,
    config: CONFIG,
  };
}

/**
 * (d) Verification: ROC AUC on pairs of seen classes next to pairs of unseen classes, per
 * method, one column per setting. Undefined when no run has verification scores.
 */
export function verificationSpec(aggregate: ProtocolAggregate): TopLevelSpec | undefined {
  const values = aggregate.cells.flatMap((cell) =>
    (['seen', 'unseen'] as const).flatMap((split) => {
      const summary = cell.last[split === 'seen' ? 'seenRocAuc' : 'unseenRocAuc'];
      return summary === undefined
        ? []
        : [{ setting: cell.setting, method: cell.method, split, mean: summary.mean * 100, ...barEnds(summary.mean, summary.std) }];
    }),
  );
  if (values.length === 0) return undefined;
  const x = { field: 'method', type: 'nominal' as const, sort: [...aggregate.methods], title: 'Method', axis: { labelAngle: -30 } };
  const xOffset = { field: 'split', sort: ['seen', 'unseen'] };
  const title = 'ROC AUC (%)';
  return {
    title: { text: 'Verification ROC AUC: seen vs unseen classes', subtitle: `${aggregate.protocol}; last epoch; mean ± std over seeds` },
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', sort: [...aggregate.settings], title: null } },
    spec: {
      width: { step: 40 },
      height: 220,
      layer: [
        {
          mark: 'bar',
          encoding: {
            x,
            xOffset,
            y: { field: 'mean', type: 'quantitative', title, scale: { domain: [0, 100] }, stack: null },
            color: { field: 'split', type: 'nominal', title: 'Pairs from', scale: { domain: ['seen', 'unseen'], range: ['#4c78a8', '#f58518'] } },
          },
        },
        { mark: { type: 'errorbar', ticks: ERROR_TICKS }, encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative', title }, y2: { field: 'hi' } } },
      ],
    },
    config: CONFIG,
  };
}

/** `base`, or `base-2`, `base-3`, ... when taken: two settings may slug alike (`k=10`, `k 10`). */
function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
  used.add(name);
  return name;
}

/**
 * Every figure of a report: Figure 1 (when runs have features), then per protocol and
 * setting the macro-F1 bars and the per-class recall, then the verification bars. Names get
 * a protocol prefix only when the report holds several protocols.
 */
export function buildPlots(aggregates: readonly ProtocolAggregate[], runs: readonly RunResult[]): PlotSpec[] {
  const plots: PlotSpec[] = [];
  const used = new Set<string>();
  const figure1 = figure1Spec(runs);
  if (figure1 !== undefined) plots.push({ name: uniqueName('figure1', used), title: 'Figure 1: 2-D test features and anchors', spec: figure1 });
  const prefix = (aggregate: ProtocolAggregate): string => (aggregates.length > 1 ? `${slug(aggregate.protocol)}-` : '');
  for (const aggregate of aggregates) {
    for (const setting of aggregate.settings) {
      const bars = macroF1BarSpec(aggregate, setting);
      if (bars !== undefined) {
        plots.push({ name: uniqueName(`${prefix(aggregate)}macro-f1-${slug(setting)}`, used), title: `Macro-F1, ${aggregate.protocol}, ${setting}`, spec: bars });
      }
      const recall = perClassRecallSpec(aggregate, setting);
      if (recall !== undefined) {
        plots.push({ name: uniqueName(`${prefix(aggregate)}per-class-recall-${slug(setting)}`, used), title: `Per-class recall, ${aggregate.protocol}, ${setting}`, spec: recall });
      }
    }
    const verification = verificationSpec(aggregate);
    if (verification !== undefined) {
      plots.push({ name: uniqueName(`${prefix(aggregate)}verification-roc-auc`, used), title: `Verification ROC AUC, ${aggregate.protocol}`, spec: verification });
    }
  }
  return plots;
}

/** Compiles a Vega-Lite spec and renders it headless (no canvas, no DOM) to SVG text. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Vega-Lite warnings (dropped fields, overridden scales) are not the user's to act on.
  const { spec: vegaSpec } = compile(spec, { logger: vega.logger(vega.Error) });
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', logLevel: vega.Error });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG to PNG bytes on a white background. When loading the system fonts fails
 * the image is rendered again without them: a chart without labels beats no chart.
 */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const render = (loadSystemFonts: boolean): Uint8Array =>
    new Resvg(svg, {
      font: { loadSystemFonts, defaultFontFamily: PLOT_FONT, sansSerifFamily: PLOT_FONT },
      background: 'white',
      fitTo: { mode: 'zoom', value: options.scale ?? 2 },
      logLevel: 'off',
    })
      .render()
      .asPng();
  const loadSystemFonts = options.loadSystemFonts ?? true;
  try {
    return render(loadSystemFonts);
  } catch (error) {
    if (!loadSystemFonts) throw error;
    return render(false);
  }
}

/** Renders every plot to SVG and PNG, one after the other (rendering is CPU-bound). */
export async function renderPlots(plots: readonly PlotSpec[], options: PngOptions = {}): Promise<RenderedPlot[]> {
  const rendered: RenderedPlot[] = [];
  for (const plot of plots) {
    const svg = await renderSvg(plot.spec);
    rendered.push({ ...plot, svg, png: svgToPng(svg, options) });
  }
  return rendered;
}
