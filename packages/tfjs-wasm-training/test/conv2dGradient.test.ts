import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { installGradientFixes, removeGradientFixes } from 'affinity-loss-node';
import { filterGradientByConvolution, filterGradientByPatches, planConv2DGradient } from '../src/conv2dAlgorithm.js';
import { tensorOps } from '../src/tensorOps.js';
import { TOLERANCE, relativeError, seeded, valuesOn } from './reference.js';

interface ConvCase {
  input: [number, number, number, number];
  kernel: number;
  outChannels: number;
  stride: 1 | 2;
  pad: 'same' | 'valid' | number;
}

// Batch sizes 1-3, channel counts 1-10, odd and even sizes, kernels 1-5, stride 1 and 2, both
// paddings and a numeric one. Valid padding with stride 2 on even sizes leaves rows no window reads.
// On wasm, stride-1 filter gradients with up to 3 input channels take the patch form, the
// others the convolution form (conv2dAlgorithm.ts).
const shapes: Array<Omit<ConvCase, 'stride' | 'pad'>> = [
  { input: [2, 7, 8, 3], kernel: 3, outChannels: 4 },
  { input: [3, 8, 8, 1], kernel: 3, outChannels: 5 },
  { input: [1, 9, 6, 4], kernel: 2, outChannels: 2 },
  { input: [2, 6, 7, 2], kernel: 1, outChannels: 3 },
  { input: [2, 10, 9, 3], kernel: 5, outChannels: 2 },
  { input: [2, 6, 5, 10], kernel: 3, outChannels: 3 },
];
const cases: ConvCase[] = [];
for (const stride of [1, 2] as const) {
  for (const pad of ['same', 'valid'] as const) for (const shape of shapes) cases.push({ ...shape, stride, pad });
  cases.push({ input: [2, 7, 7, 3], kernel: 3, outChannels: 2, stride, pad: 1 });
}
const label = (c: ConvCase): string => `input (${c.input}) k${c.kernel} -> ${c.outChannels}, stride ${c.stride}, pad ${c.pad}`;

/** dL/dx and dL/dW of L = sum(conv(x, W) * g) for a fixed seeded g, through tf.conv2d or tf.fused.conv2d. */
function convGradients(c: ConvCase, fused: boolean): tf.Tensor[] {
  const x = seeded(c.input, 1) as tf.Tensor4D;
  const w = seeded([c.kernel, c.kernel, c.input[3], c.outChannels], 2) as tf.Tensor4D;
  const outShape = tf.conv2d(x, w, c.stride, c.pad).shape;
  const g = seeded(outShape, 3);
  // No activation and a bias: the path tf.layers.conv2d takes while training a linear conv.
  const bias = tf.zeros([c.outChannels]);
  const forward = fused
    ? (xv: tf.Tensor, wv: tf.Tensor) => tf.fused.conv2d({ x: xv as tf.Tensor4D, filter: wv as tf.Tensor4D, strides: c.stride, pad: c.pad, bias })
    : (xv: tf.Tensor, wv: tf.Tensor) => tf.conv2d(xv as tf.Tensor4D, wv as tf.Tensor4D, c.stride, c.pad);
  return tf.grads((xv: tf.Tensor, wv: tf.Tensor) => tf.sum(tf.mul(forward(xv, wv), g)))([x, w]);
}

/** The transposed convolution (the Conv2DBackpropInput kernel called as a forward op). */
function convTranspose(c: ConvCase): tf.Tensor[] {
  const w = seeded([c.kernel, c.kernel, c.input[3], c.outChannels], 2) as tf.Tensor4D;
  const outShape = tf.conv2d(tf.zeros(c.input) as tf.Tensor4D, w, c.stride, c.pad).shape;
  return [tf.conv2dTranspose(seeded(outShape, 4) as tf.Tensor4D, w, c.input, c.stride, c.pad)];
}

const stock = new Map<string, Float32Array[]>();

before(async () => {
  tf.enableProdMode();
  removeGradientFixes(); // references below must come from tfjs' own gradients and kernels
  for (const c of cases) {
    stock.set(`plain ${label(c)}`, await valuesOn('cpu', () => convGradients(c, false)));
    stock.set(`fused ${label(c)}`, await valuesOn('cpu', () => convGradients(c, true)));
    stock.set(`transpose ${label(c)}`, await valuesOn('cpu', () => convTranspose(c)));
  }
  installGradientFixes();
});

function assertMatchesStock(key: string, actual: Float32Array[], backend: string): void {
  const expected = stock.get(key);
  assert.ok(expected !== undefined, `no stock reference for ${key}`);
  ['dx', 'dW'].slice(0, actual.length).forEach((name, i) => {
    const error = relativeError(actual[i], expected[i]);
    assert.ok(error <= TOLERANCE, `${backend} ${key}: ${name} differs from stock by ${error.toExponential(2)} (relative)`);
  });
}

test('the fixes replace the Conv2D gradient', () => {
  assert.notEqual(tf.getGradient(tf.Conv2D), undefined);
  removeGradientFixes();
  const stockConfig = tf.getGradient(tf.Conv2D);
  installGradientFixes();
  assert.notEqual(tf.getGradient(tf.Conv2D), stockConfig, 'installGradientFixes registered a new Conv2D gradient');
  installGradientFixes();
  assert.notEqual(tf.getGradient(tf.Conv2D), stockConfig, 'a second install keeps it');
});

for (const backend of ['cpu', 'wasm']) {
  test(`${backend} with fixes: tf.conv2d gradients equal the stock cpu gradients`, async () => {
    for (const c of cases) assertMatchesStock(`plain ${label(c)}`, await valuesOn(backend, () => convGradients(c, false)), backend);
  });

  test(`${backend} with fixes: tf.fused.conv2d gradients (linear conv layers) equal stock`, async () => {
    for (const c of cases) assertMatchesStock(`fused ${label(c)}`, await valuesOn(backend, () => convGradients(c, true)), backend);
  });

  test(`${backend} with fixes: tf.conv2dTranspose equals stock`, async () => {
    for (const c of cases) assertMatchesStock(`transpose ${label(c)}`, await valuesOn(backend, () => convTranspose(c)), backend);
  });
}

test('both forms of the filter gradient, patches and convolution, equal stock on every stride-1 case', async () => {
  for (const c of cases.filter((k) => k.stride === 1)) {
    const expected = stock.get(`plain ${label(c)}`)?.[1];
    assert.ok(expected !== undefined);
    for (const form of [filterGradientByPatches, filterGradientByConvolution]) {
      const [dW] = await valuesOn('wasm', () => {
        const x = seeded(c.input, 1) as tf.Tensor4D;
        const filterShape: [number, number, number, number] = [c.kernel, c.kernel, c.input[3], c.outChannels];
        const dy = seeded(tf.conv2d(x, tf.zeros(filterShape) as tf.Tensor4D, c.stride, c.pad).shape, 3);
        const plan = planConv2DGradient(x.shape, filterShape, { strides: c.stride, pad: c.pad });
        assert.ok(plan !== null);
        return [form(tensorOps, x, dy, plan)];
      });
      const error = relativeError(dW, expected);
      assert.ok(error <= TOLERANCE, `${form.name} ${label(c)}: dW differs from stock by ${error.toExponential(2)} (relative)`);
    }
  }
});

test('stock wasm cannot compute a conv filter gradient, which is why the fixes exist', async () => {
  removeGradientFixes();
  try {
    await assert.rejects(
      valuesOn('wasm', () => convGradients(cases[0], false)),
      /Conv2DBackpropFilter' not registered for backend 'wasm'/,
    );
  } finally {
    installGradientFixes();
  }
});

test('dilated and NCHW convolutions are left to the stock gradient', () => {
  assert.equal(planConv2DGradient([1, 8, 8, 2], [3, 3, 2, 2], { strides: 1, pad: 'same', dilations: 2 }), null);
  assert.equal(planConv2DGradient([1, 2, 8, 8], [3, 3, 2, 2], { strides: 1, pad: 'same', dataFormat: 'NCHW' }), null);
  assert.notEqual(planConv2DGradient([1, 8, 8, 2], [3, 3, 2, 2], { strides: 2, pad: 'same' }), null);
});

test('a dilated conv still fails with tfjs\' own message, not a wrong gradient', async () => {
  await tf.setBackend('cpu');
  const x = seeded([1, 8, 8, 2], 5) as tf.Tensor4D;
  const w = seeded([3, 3, 2, 2], 6) as tf.Tensor4D;
  assert.throws(() => tf.grad((v: tf.Tensor) => tf.sum(tf.conv2d(v as tf.Tensor4D, w, 1, 'same', 'NHWC', 2)))(x), /dilation rates greater than 1/);
});
