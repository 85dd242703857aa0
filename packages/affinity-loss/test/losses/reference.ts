/**
 * Float64 references of the baseline losses (docs/METHOD.md, "The methods users compare against"),
 * written with plain loops and no tfjs. Tests compare the tfjs losses with them and, through
 * central finite differences, the tfjs gradients with theirs.
 */

/** log softmax of one row, shifted by its max. */
export function logSoftmax(z: number[]): number[] {
  const max = Math.max(...z);
  const lse = max + Math.log(z.reduce((sum, v) => sum + Math.exp(v - max), 0));
  return z.map((v) => v - lse);
}

/** Reshapes a flat array into rows of `width`. */
export function rows(flat: ArrayLike<number>, width: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += width) out.push(Array.from(flat).slice(i, i + width));
  return out;
}

/** sum_i s_i L_i / N ('mean') or / sum_i s_i ('weightedMean'). */
export function reduce(losses: number[], sampleWeights?: number[], reduction: 'mean' | 'weightedMean' = 'mean'): number {
  const s = sampleWeights ?? losses.map(() => 1);
  const total = losses.reduce((sum, l, i) => sum + s[i] * l, 0);
  return reduction === 'mean' ? total / losses.length : total / s.reduce((a, b) => a + b, 0);
}

/** Cross-entropy -log p_y per sample, with an optional additive offset on every logit row. */
export function crossEntropyPerSample(z: number[][], labels: number[], offset?: number[]): number[] {
  return z.map((row, i) => -logSoftmax(row.map((v, j) => v + (offset ? offset[j] : 0)))[labels[i]]);
}

/** Focal -(1 - p_y)^gamma log p_y per sample. */
export function focalPerSample(z: number[][], labels: number[], gamma: number): number[] {
  return z.map((row, i) => {
    const logP = logSoftmax(row)[labels[i]];
    return -((1 - Math.exp(logP)) ** gamma) * logP;
  });
}

/** w_j = (1 - beta) / (1 - beta^n_j), normalised to sum C (written with Math.pow on purpose). */
export function classBalancedWeights(counts: number[], beta: number): number[] {
  const raw = counts.map((n) => (1 - beta) / (1 - Math.pow(beta, n)));
  const total = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => (w * counts.length) / total);
}

/** LDAM per sample: CE(s * (z - Delta_y e_y)) with Delta_j = maxMargin * n_j^(-1/4) / max_k n_k^(-1/4). */
export function ldamPerSample(z: number[][], labels: number[], counts: number[], maxMargin: number, scale: number): number[] {
  const raw = counts.map((n) => Math.pow(n, -0.25));
  const margins = raw.map((r) => (r * maxMargin) / Math.max(...raw));
  return z.map((row, i) => -logSoftmax(row.map((v, j) => scale * (j === labels[i] ? v - margins[j] : v)))[labels[i]]);
}

/** Cosine similarity of every feature row with every kernel column (kernel given as d rows of C). */
export function cosineLogits(features: number[][], kernel: number[][]): number[][] {
  const classes = kernel[0].length;
  const column = (j: number) => kernel.map((r) => r[j]);
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return features.map((f) =>
    Array.from({ length: classes }, (_, j) => {
      const w = column(j);
      return f.reduce((s, x, k) => s + x * w[k], 0) / (norm(f) * norm(w));
    }),
  );
}

/** Center loss total: mean CE of f W + b plus (beta / 2) mean ||f_i - c_{y_i}||^2. */
export function centerLossTotal(
  features: number[][],
  kernel: number[][],
  bias: number[],
  centers: number[][],
  labels: number[],
  beta: number,
): number {
  const logits = features.map((f) => bias.map((b, j) => b + f.reduce((s, x, k) => s + x * kernel[k][j], 0)));
  const ce = reduce(crossEntropyPerSample(logits, labels));
  const distances = features.map((f, i) => f.reduce((s, x, k) => s + (x - centers[labels[i]][k]) ** 2, 0));
  return ce + (beta / 2) * reduce(distances);
}
