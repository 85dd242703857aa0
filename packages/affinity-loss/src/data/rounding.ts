/**
 * The two roundings the builders use to turn "a fraction of n samples" into a count. Both
 * add a tolerance of 1e-9 before rounding: fractions such as 0.29 have no exact binary
 * form, 0.29 * 100 evaluates to 28.999999999999996, which a bare floor makes 28, and
 * 0.29 * 50 to 14.499999999999998, which a bare Math.round makes 14.
 */

const TOLERANCE = 1e-9;

/** floor(x), with 0.29 * 100 giving 29: what "keep a fraction" of a class means. */
export function floorCount(x: number): number {
  return Math.floor(x + TOLERANCE);
}

/** x rounded to the nearest integer, halves up (0.29 * 50 gives 15): used for rates and split sizes. */
export function roundCount(x: number): number {
  return Math.floor(x + 0.5 + TOLERANCE);
}
