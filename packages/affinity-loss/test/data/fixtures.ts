/** Small synthetic datasets for the data tests: every row's features say which row it was. */
import type { Dataset, Split } from '../../src/data/dataset.js';

/**
 * A split with `counts[c]` rows of class c, classes interleaved (row i has class i mod C while
 * a class has rows left), so that "source order" and "class order" differ. Row i has
 * features [i, label]: after any subset the first feature names the source row.
 */
export function trackedSplit(counts: readonly number[]): Split {
  const left = [...counts];
  const labels: number[] = [];
  while (left.some((n) => n > 0)) {
    left.forEach((n, c) => {
      if (n > 0) {
        labels.push(c);
        left[c]--;
      }
    });
  }
  const features = new Float32Array(labels.length * 2);
  labels.forEach((label, i) => {
    features[2 * i] = i;
    features[2 * i + 1] = label;
  });
  return { features, labels: Int32Array.from(labels), count: labels.length };
}

/** A dataset of tracked splits (see `trackedSplit`), feature shape [2]. */
export function trackedDataset(trainCounts: readonly number[], testCounts: readonly number[]): Dataset {
  return {
    name: 'tracked',
    description: 'Synthetic rows that remember their index.',
    classNames: trainCounts.map((_, c) => `class ${c}`),
    featureShape: [2],
    train: trackedSplit(trainCounts),
    test: trackedSplit(testCounts),
  };
}

/** The source-row numbers of a split made from a tracked one (its first feature column). */
export function sourceRows(split: Split): number[] {
  return Array.from({ length: split.count }, (_, i) => split.features[2 * i]);
}
