/**
 * Report writers of `affinity bench`: aggregation over seeds, markdown and HTML tables, CSV,
 * Vega-Lite plots (SVG and PNG), and the reader of a bench's run records.
 */
export {
  aggregateRuns,
  classificationScalars,
  clusterScalars,
  findCell,
  mean,
  sampleStd,
  summarize,
  verificationScalars,
  CLASSIFICATION_METRICS,
  CLUSTER_METRICS,
  VERIFICATION_METRICS,
  type AggregateOptions,
  type CellAggregate,
  type ClassificationMetric,
  type ClusterMetric,
  type MetricName,
  type MetricSummaries,
  type ModelSelection,
  type ProtocolAggregate,
  type Summary,
  type VerificationMetric,
} from './aggregate.js';
export { csvColumns, csvField, csvLine, renderCsv, type CsvValue } from './csv.js';
export { escapeHtml, htmlTable, inlineSvg, renderHtml, type HtmlFigure, type HtmlOptions } from './html.js';
export { markdownTable, renderMarkdown, type MarkdownOptions, type ReportFailure } from './markdown.js';
export {
  buildPlots,
  figure1Spec,
  macroF1BarSpec,
  perClassRecallSpec,
  renderPlots,
  renderSvg,
  svgToPng,
  verificationSpec,
  PLOT_FONT,
  type PlotSpec,
  type PngOptions,
  type RenderedPlot,
} from './plots.js';
export { slug } from './slug.js';
export { parseRunResult, readRunResults, RUNS_FOLDER } from './read.js';
export {
  buildSections,
  formatSummary,
  metricTable,
  referenceTable,
  METRIC_INFO,
  type MetricInfo,
  type ReferenceTable,
  type ReportSection,
  type ReportTable,
  type TableCell,
} from './tables.js';
export { writeReport, PLOTS_FOLDER, type WriteReportOptions } from './write.js';
