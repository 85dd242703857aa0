/**
 * The gradient of tfjs' `BatchMatMul` kernel (every `tf.matMul`), with explicit transposes.
 *
 * Why: stock tfjs writes the gradient as `matMul(dy, b, false, true)` and friends. The wasm
 * backend runs a matMul with a transpose flag at ~2 GFLOP/s against ~20-27 GFLOP/s for a plain
 * one (XNNPACK), so `transpose()` followed by a plain matMul makes an MLP training step ~4x
 * faster. The cpu backend is no slower this way either.
 *
 * With C = op(A) op(B), where op is the identity or T (swap of the last two axes):
 *
 * | forward       | dA           | dB           |
 * |---------------|--------------|--------------|
 * | A B           | dC T(B)      | T(A) dC      |
 * | A T(B)        | dC B         | T(dC) A      |
 * | T(A) B        | B T(dC)      | A dC         |
 * | T(A) T(B)     | T(dC B)      | T(A dC)      |
 *
 * Batched (rank > 2) products are covered, including broadcast batch axes: their gradient is
 * summed back to the input's shape (stock tfjs throws on a broadcast batch axis instead).
 *
 * A plain product's dA is computed as T(B T(dC)) instead of dC T(B) when B is much taller than
 * dC (K >= 8 M): XNNPACK packs a product's right operand anew for each new tensor, at several
 * ns an entry, so packing the small T(dC) (N x M) and transposing the (K x M) result is cheaper
 * than transposing and packing T(B) (N x K). Measured on wasm for the dense layer after a CNN's
 * flatten (M = 128 rows, K = 3136, N = 128): 5.7 ms against 7.1 ms; no change at K = 6 M.
 */
import * as tf from '@tensorflow/tfjs';
import { onRewrittenBackend } from './fastPath.js';
import { swapLastTwo, tensorOps } from './tensorOps.js';

/** T(x) of the table above: `x` with its last two axes swapped. */
const T = (x: tf.Tensor): tf.Tensor => swapLastTwo(tensorOps, x);

/** How many times taller than dC's rows B must be for dA to take the T(B T(dC)) form (see above). */
const TALL_RIGHT_OPERAND = 8;

/** Sums a gradient over the batch axes its input was broadcast along, back to `shape`. */
function sumToShape(grad: tf.Tensor, shape: number[]): tf.Tensor {
  if (tf.util.arraysEqual(grad.shape, shape)) return grad;
  const axes = tf.backend_util.getReductionAxes(shape, grad.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape);
}

/**
 * Builds the replacement gradient config of `BatchMatMul`. `stock` is tfjs' own config, used
 * on backends other than wasm and cpu.
 */
export function matMulGradConfig(stock: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      if (!onRewrittenBackend()) return stock.gradFunc(dy, saved, attrs);
      const [a, b] = saved;
      const dc = dy as tf.Tensor;
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const mm = tf.matMul; // never with transpose flags here: that is the slow path this file removes
      let da: () => tf.Tensor;
      let db: () => tf.Tensor;
      if (!transposeA && !transposeB) {
        const [m, k] = a.shape.slice(-2);
        da = k >= TALL_RIGHT_OPERAND * m ? () => T(mm(b, T(dc))) : () => mm(dc, T(b));
        db = () => mm(T(a), dc);
      } else if (!transposeA && transposeB) {
        da = () => mm(dc, b);
        db = () => mm(T(dc), a);
      } else if (transposeA && !transposeB) {
        da = () => mm(b, T(dc));
        db = () => mm(a, dc);
      } else {
        da = () => T(mm(dc, b));
        db = () => T(mm(a, dc));
      }
      return { a: () => sumToShape(da(), a.shape), b: () => sumToShape(db(), b.shape) };
    },
  };
}
