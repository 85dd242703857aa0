/**
 * Adam's update as one WebAssembly SIMD loop that runs on the wasm backend's own memory.
 *
 * Why: the update is a handful of multiply-adds, a square root and a division per entry, but
 * composed from the backend's elementwise kernels it makes 12 passes over the variable and
 * costs ~13 ns an entry (a JavaScript loop ~8-20 ns): ~3 ms of a ~17 ms MLP training step
 * (235k parameters). tfjs-backend-wasm has no Adam kernel, so this file assembles a small
 * module of its own (one function, below) that imports the backend's `WebAssembly.Memory` and
 * reads and writes the tensors where they are, four entries per instruction, in one pass.
 *
 * The module is written out byte by byte (the WebAssembly binary format, with the opcodes named
 * below) rather than shipped as a compiled file, so that its source is what is reviewed. It is
 * validated before use; where the runtime lacks SIMD or the backend does not expose its memory,
 * `simdAdamFor` returns null and adamUpdate.ts leaves the update to tfjs.
 *
 * The arithmetic is adamUpdate.ts' rearranged update, operation by operation in float32:
 *   m' = m b1 + g (1 - b1),   v' = v b2 + g^2 (1 - b2),   w' = w + (m' rate) / (sqrt(v') + eps)
 * with rate = -lr sqrt(c2) / c1 and eps = epsilon sqrt(c2) (see adamUpdate.ts).
 */

/** The float32 constants of one update (already combined as in the file comment). */
export interface SimdAdamConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** -lr sqrt(c2) / c1. */
  rate: number;
  /** epsilon sqrt(c2). */
  epsilon: number;
}

/** Byte addresses, in the backend's memory, of the inputs and outputs of one update. */
export interface SimdAdamAddresses {
  value: number;
  gradient: number;
  m: number;
  v: number;
  newValue: number;
  newM: number;
  newV: number;
}

/** Runs the update on `count` float32 entries at the given addresses. */
export type SimdAdam = (addresses: SimdAdamAddresses, count: number, constants: SimdAdamConstants) => void;

// Opcodes of the WebAssembly binary format used here (core spec 5.4, SIMD proposal's 0xfd prefix).
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const OP = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Shl: 0x74,
} as const;
/** The block type of a block or loop that leaves nothing on the stack. */
const EMPTY = 0x40;
/** Section ids. */
const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
/** Import and export kinds. */
const KIND = { function: 0x00, memory: 0x02 } as const;
const SIMD = 0xfd;
const SIMD_OP = {
  load: [0x00],
  store: [0x0b],
  f32x4Splat: [0x13],
  f32x4Sqrt: [0xe3, 0x01],
  f32x4Add: [0xe4, 0x01],
  f32x4Mul: [0xe6, 0x01],
  f32x4Div: [0xe7, 0x01],
} as const;
/** Alignment hint of the vector loads and stores: 2^2 bytes (float32 data, any 4-byte address). */
const ALIGN = 2;

/** Unsigned LEB128, as the binary format encodes sizes and indices. */
function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** A section: its id, then its byte length, then its contents. */
function section(id: number, contents: number[]): number[] {
  return [id, ...unsigned(contents.length), ...contents];
}

/** A name as the binary format writes it (length, then UTF-8 bytes; ASCII here). */
function name(text: string): number[] {
  return [...unsigned(text.length), ...Array.from(text, (char) => char.charCodeAt(0))];
}

// The function's parameters and locals, by index.
const PARAMS = ['value', 'gradient', 'm', 'v', 'newValue', 'newM', 'newV', 'groups', 'beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'rate', 'epsilon'] as const;
const I32_PARAMS = 8;
const LOCALS = ['offset', 'end', 'vBeta1', 'vOneMinusBeta1', 'vBeta2', 'vOneMinusBeta2', 'vRate', 'vEpsilon', 'g', 'newMoment1', 'newMoment2'] as const;
type Slot = (typeof PARAMS)[number] | (typeof LOCALS)[number];
const SLOTS: readonly Slot[] = [...PARAMS, ...LOCALS];

function get(slot: Slot): number[] {
  return [OP.localGet, SLOTS.indexOf(slot)];
}
function set(slot: Slot): number[] {
  return [OP.localSet, SLOTS.indexOf(slot)];
}
function simd(op: readonly number[], ...memarg: number[]): number[] {
  return [SIMD, ...op, ...memarg];
}
/** The vector of four floats at address `base + offset`. */
function load(base: Slot): number[] {
  return [...get(base), ...get('offset'), OP.i32Add, ...simd(SIMD_OP.load, ALIGN, 0)];
}
/** Stores the vector that `value` pushes at address `base + offset`. */
function store(base: Slot, value: number[]): number[] {
  return [...get(base), ...get('offset'), OP.i32Add, ...value, ...simd(SIMD_OP.store, ALIGN, 0)];
}
const mul = (a: number[], b: number[]) => [...a, ...b, ...simd(SIMD_OP.f32x4Mul)];
const add = (a: number[], b: number[]) => [...a, ...b, ...simd(SIMD_OP.f32x4Add)];
const div = (a: number[], b: number[]) => [...a, ...b, ...simd(SIMD_OP.f32x4Div)];
const sqrt = (a: number[]) => [...a, ...simd(SIMD_OP.f32x4Sqrt)];

/** The body of `adam(value, gradient, m, v, newValue, newM, newV, groups, beta1, ..., epsilon)`; a group is four entries. */
function adamBody(): number[] {
  const splats = (['beta1', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'rate', 'epsilon'] as const).flatMap((constant) => {
    const vector = `v${constant[0].toUpperCase()}${constant.slice(1)}` as Slot;
    return [...get(constant), ...simd(SIMD_OP.f32x4Splat), ...set(vector)];
  });
  const step = [
    ...load('gradient'),
    ...set('g'),
    // m' = m b1 + g (1 - b1)
    ...add(mul(load('m'), get('vBeta1')), mul(get('g'), get('vOneMinusBeta1'))),
    ...set('newMoment1'),
    ...store('newM', get('newMoment1')),
    // v' = v b2 + g^2 (1 - b2)
    ...add(mul(load('v'), get('vBeta2')), mul(mul(get('g'), get('g')), get('vOneMinusBeta2'))),
    ...set('newMoment2'),
    ...store('newV', get('newMoment2')),
    // w' = w + (m' rate) / (sqrt(v') + eps)
    ...store('newValue', add(load('value'), div(mul(get('newMoment1'), get('vRate')), add(sqrt(get('newMoment2')), get('vEpsilon'))))),
  ];
  return [
    ...splats,
    // end = groups * 16 bytes; offset counts up from 0 in steps of 16.
    ...get('groups'),
    OP.i32Const,
    4,
    OP.i32Shl,
    ...set('end'),
    OP.block,
    EMPTY,
    OP.loop,
    EMPTY,
    ...get('offset'),
    ...get('end'),
    OP.i32GeU,
    OP.brIf,
    1,
    ...step,
    ...get('offset'),
    OP.i32Const,
    16,
    OP.i32Add,
    ...set('offset'),
    OP.br,
    0,
    OP.end,
    OP.end,
    OP.end,
  ];
}

/** The module's bytes: imports `env.memory`, exports `adam`. */
export function assembleAdamModule(): Uint8Array<ArrayBuffer> {
  const params = PARAMS.map((_, i) => (i < I32_PARAMS ? I32 : F32));
  const type = [0x60, ...unsigned(params.length), ...params, 0];
  const body = adamBody();
  // Locals: two i32 (offset, end), then the v128 ones.
  const locals = [2, ...unsigned(2), I32, ...unsigned(LOCALS.length - 2), V128];
  const code = [...locals, ...body];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // One of each: a function type, a memory import, a function (of type 0), its export, its code.
    ...section(SECTION.type, [1, ...type]),
    // Limits flag 0 and minimum 0 pages: matches the backend's memory whatever its size.
    ...section(SECTION.import, [1, ...name('env'), ...name('memory'), KIND.memory, 0x00, 0x00]),
    ...section(SECTION.function, [1, 0]),
    ...section(SECTION.export, [1, ...name('adam'), KIND.function, 0]),
    ...section(SECTION.code, [1, ...unsigned(code.length), ...code]),
  ]);
}

/** The part of the wasm backend this file reads: its Emscripten module's exported memory. */
interface WasmModuleHolder {
  wasm?: { asm?: { memory?: unknown } };
}

const instances = new WeakMap<WebAssembly.Memory, SimdAdam>();

/**
 * The SIMD update on the memory of `backend` (a tfjs wasm backend instance), or null where it
 * cannot run: no SIMD in this runtime, or a backend build that does not expose a plain
 * (non-shared) memory.
 */
export function simdAdamFor(backend: object): SimdAdam | null {
  const memory = (backend as WasmModuleHolder).wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer instanceof SharedArrayBuffer) return null;
  const cached = instances.get(memory);
  if (cached !== undefined) return cached;
  const bytes = assembleAdamModule();
  if (!WebAssembly.validate(bytes)) return null;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const adam = instance.exports.adam as (...args: number[]) => void;
  const update: SimdAdam = (at, count, c) => {
    const groups = count >>> 2;
    adam(at.value, at.gradient, at.m, at.v, at.newValue, at.newM, at.newV, groups, c.beta1, c.oneMinusBeta1, c.beta2, c.oneMinusBeta2, c.rate, c.epsilon);
    // The last count % 4 entries, in float32 as the vector loop computes them.
    const heap = new Float32Array(memory.buffer);
    const f = Math.fround;
    for (let i = groups * 4; i < count; i++) {
      const g = heap[at.gradient / 4 + i];
      const m = f(f(heap[at.m / 4 + i] * f(c.beta1)) + f(g * f(c.oneMinusBeta1)));
      const v = f(f(heap[at.v / 4 + i] * f(c.beta2)) + f(f(g * g) * f(c.oneMinusBeta2)));
      heap[at.newM / 4 + i] = m;
      heap[at.newV / 4 + i] = v;
      heap[at.newValue / 4 + i] = f(heap[at.value / 4 + i] + f(f(m * f(c.rate)) / f(f(Math.sqrt(v)) + f(c.epsilon))));
    }
  };
  instances.set(memory, update);
  return update;
}
