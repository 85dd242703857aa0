/** Summaries of measured step times. */

/** Median, 10th and 90th percentile of a list of times (ms). */
export interface TimeSummary {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  steps: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Summarises step times; the median resists the odd slow step (a GC pause, another process). */
export function summarizeTimes(times: number[]): TimeSummary {
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: quantile(sorted, 0.5), p10Ms: quantile(sorted, 0.1), p90Ms: quantile(sorted, 0.9), steps: times.length };
}

/** Samples per second at a median step time. */
export function samplesPerSecond(batch: number, medianMs: number): number {
  return (batch * 1000) / medianMs;
}
