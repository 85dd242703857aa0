import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assembleAdamModule, simdAdamFor, type SimdAdamConstants } from '../src/simdAdam.js';

/** A stand-in for the wasm backend: what simdAdamFor reads of it. */
function fakeBackend(memory: WebAssembly.Memory): object {
  return { wasm: { asm: { memory } } };
}

const CONSTANTS: SimdAdamConstants = { beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, rate: -0.05, epsilon: 1e-8 };

test('the assembled module is valid WebAssembly', () => {
  assert.ok(WebAssembly.validate(assembleAdamModule()));
});

for (const count of [0, 1, 3, 4, 7, 1001]) {
  test(`simdAdam: ${count} entries match Adam's update computed in float64`, () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const update = simdAdamFor(fakeBackend(memory));
    assert.ok(update !== null, 'SIMD runs in Node');
    // Seven arrays of `count` floats, one after another, at an address that is not 16-byte aligned.
    const base = 4;
    const at = (k: number) => base + 4 * count * k;
    const heap = new Float32Array(memory.buffer);
    const fill = (k: number, value: (i: number) => number) => {
      for (let i = 0; i < count; i++) heap[at(k) / 4 + i] = value(i);
    };
    fill(0, (i) => Math.sin(i + 1)); // value
    fill(1, (i) => Math.cos(3 * i) * (i % 5)); // gradient (zeros at i % 5 == 0)
    fill(2, (i) => 0.01 * Math.sin(7 * i)); // m
    fill(3, (i) => 0.001 * (1 + Math.cos(i)) ** 2); // v (>= 0)
    const guard = 12345;
    heap[at(7) / 4] = guard;
    update({ value: at(0), gradient: at(1), m: at(2), v: at(3), newValue: at(4), newM: at(5), newV: at(6) }, count, CONSTANTS);
    const c = CONSTANTS;
    for (let i = 0; i < count; i++) {
      const [w, g, m, v] = [0, 1, 2, 3].map((k) => heap[at(k) / 4 + i]);
      const m2 = c.beta1 * m + c.oneMinusBeta1 * g;
      const v2 = c.beta2 * v + c.oneMinusBeta2 * g * g;
      const w2 = w + (m2 * c.rate) / (Math.sqrt(v2) + c.epsilon);
      const close = (actual: number, expected: number, what: string) =>
        assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected)), `${what}[${i}] = ${actual}, expected ${expected}`);
      close(heap[at(5) / 4 + i], m2, 'm');
      close(heap[at(6) / 4 + i], v2, 'v');
      close(heap[at(4) / 4 + i], w2, 'value');
    }
    assert.equal(heap[at(7) / 4], guard, 'nothing is written past the outputs');
  });
}

test('simdAdamFor: null without a plain memory to run on', () => {
  assert.equal(simdAdamFor({}), null);
  assert.equal(simdAdamFor({ wasm: { asm: {} } }), null);
  assert.equal(simdAdamFor(fakeBackend(new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }))), null);
});

test('simdAdamFor: one instance per memory', () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  assert.equal(simdAdamFor(fakeBackend(memory)), simdAdamFor(fakeBackend(memory)));
});
