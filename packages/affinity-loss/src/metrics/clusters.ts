/**
 * The shape of class clusters in a feature space, for the paper's Figure 1 claim that the
 * affinity loss gives minority classes clusters like the majority's, evenly spaced: the ratio
 * of mean minority to majority cluster radius (1 = the same size) and the coefficient of
 * variation of the distances between class centres or prototypes (0 = equidistant).
 */
import { ShapeError } from '../errors.js';

/**
 * Mean distance of each class's points to the class mean (the cluster's radius); NaN for a
 * class without points.
 *
 * @param points one feature vector per sample, all of the same length.
 * @param labels class id of each point.
 * @param classes C.
 */
export function clusterRadii(points: ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>, classes: number): number[] {
  if (points.length !== labels.length) throw new ShapeError(`clusterRadii: ${points.length} points but ${labels.length} labels`);
  const width = points.length === 0 ? 0 : points[0].length;
  const sums = Array.from({ length: classes }, () => new Float64Array(width));
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < points.length; i++) {
    counts[labels[i]]++;
    for (let k = 0; k < width; k++) sums[labels[i]][k] += points[i][k];
  }
  const radii = new Array<number>(classes).fill(0);
  for (let i = 0; i < points.length; i++) {
    const label = labels[i];
    let squared = 0;
    for (let k = 0; k < width; k++) squared += (points[i][k] - sums[label][k] / counts[label]) ** 2;
    radii[label] += Math.sqrt(squared);
  }
  return radii.map((sum, c) => (counts[c] === 0 ? NaN : sum / counts[c]));
}

/** Mean radius of the minority classes over mean radius of the others (NaN when either group is empty). */
export function radiusRatio(radii: readonly number[], minorityClasses: readonly number[]): number {
  const minority = radii.filter((radius, c) => minorityClasses.includes(c) && Number.isFinite(radius));
  const majority = radii.filter((radius, c) => !minorityClasses.includes(c) && Number.isFinite(radius));
  if (minority.length === 0 || majority.length === 0) return NaN;
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  return mean(minority) / mean(majority);
}

/**
 * Coefficient of variation (population std / mean) of the Euclidean distances between every
 * pair of centres: 0 when all centres are equidistant. NaN for fewer than two centres.
 */
export function spacingVariation(centres: ArrayLike<ArrayLike<number>>): number {
  const distances: number[] = [];
  for (let a = 0; a < centres.length; a++) {
    for (let b = a + 1; b < centres.length; b++) {
      let squared = 0;
      for (let k = 0; k < centres[a].length; k++) squared += (centres[a][k] - centres[b][k]) ** 2;
      distances.push(Math.sqrt(squared));
    }
  }
  if (distances.length === 0) return NaN;
  const mean = distances.reduce((x, y) => x + y, 0) / distances.length;
  const variance = distances.reduce((sum, d) => sum + (d - mean) ** 2, 0) / distances.length;
  return mean === 0 ? NaN : Math.sqrt(variance) / mean;
}
