/**
 * Class colours: the Tableau 10 palette, distinct for the 10 MNIST digits and readable on
 * white. The same colour marks a class in the scatter, the legend and the recall bars.
 */
export const CLASS_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

/** The colour of class `classId` (wraps around past 10 classes). */
export function classColor(classId: number): string {
  return CLASS_COLORS[classId % CLASS_COLORS.length];
}

/** The colour as [r, g, b] in 0..255, for writing pixels. */
export function classRgb(classId: number): [number, number, number] {
  const hex = classColor(classId);
  return [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16)) as [number, number, number];
}
