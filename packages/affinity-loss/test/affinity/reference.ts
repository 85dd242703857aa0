/**
 * A float64 reference of docs/METHOD.md's equations, written with plain loops and no tfjs, used to
 * check values and (through finite differences) gradients of the tfjs implementation.
 */

/** Squared Euclidean distance of two vectors. */
export function squaredDistance(a: number[], b: number[]): number {
  return a.reduce((sum, value, i) => sum + (value - b[i]) ** 2, 0);
}

/** A_ij = max_t exp(-||f_i - w_jt||^2 / sigma) for features (N x d) and prototypes (C x m x d). */
export function affinities(features: number[][], prototypes: number[][][], sigma: number): number[][] {
  return features.map((f) => prototypes.map((cls) => Math.max(...cls.map((w) => Math.exp(-squaredDistance(f, w) / sigma)))));
}

/** mean_i sum_{j != y_i} max(0, margin_{y_i} + A_ij - A_iy); one margin, or one per class. */
export function hinge(a: number[][], labels: number[], margin: number | number[]): number {
  let total = 0;
  a.forEach((row, i) => {
    const own = typeof margin === 'number' ? margin : margin[labels[i]];
    row.forEach((value, j) => {
      if (j !== labels[i]) total += Math.max(0, own + value - row[labels[i]]);
    });
  });
  return total / a.length;
}

/** Variance (or sum of squared deviations) of pairwise distances over pairs j < k. */
export function diversity(
  prototypes: number[][][],
  options: { reduction?: 'mean' | 'sum'; squared?: boolean; scope?: 'all' | 'acrossClasses'; weight?: number } = {},
): number {
  const flat: Array<{ w: number[]; cls: number }> = [];
  prototypes.forEach((cls, c) => cls.forEach((w) => flat.push({ w, cls: c })));
  const distances: number[] = [];
  for (let j = 0; j < flat.length; j++) {
    for (let k = j + 1; k < flat.length; k++) {
      if (options.scope === 'acrossClasses' && flat[j].cls === flat[k].cls) continue;
      const d2 = squaredDistance(flat[j].w, flat[k].w);
      distances.push(options.squared === false ? Math.sqrt(d2) : d2);
    }
  }
  if (distances.length === 0) return 0;
  const mu = distances.reduce((a, b) => a + b, 0) / distances.length;
  const squares = distances.reduce((sum, d) => sum + (d - mu) ** 2, 0);
  return (options.reduction === 'sum' ? squares : squares / distances.length) * (options.weight ?? 1);
}

/** Reshapes a flat array into nested arrays of the given shape (T says which nesting the caller expects). */
export function nest<T>(values: ArrayLike<number>, shape: number[]): T {
  if (shape.length === 1) return Array.from(values).slice(0, shape[0]) as T;
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) =>
    nest(Array.from(values).slice(i * size, (i + 1) * size), shape.slice(1)),
  ) as T;
}
