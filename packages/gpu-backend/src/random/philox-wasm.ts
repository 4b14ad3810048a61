/**
 * Philox4x32-10 in WebAssembly SIMD: four blocks at once, one per lane, the
 * 32x32 -> 64 products by i64x2.extmul (what JavaScript can only assemble
 * from 16-bit halves). `philoxStream` (philox.ts) hands it the whole blocks of
 * a request; the words are the same as philox4x32's, tested against it.
 */
import { wasm } from '../cpu/matmul/wasm-api.js';
import { encodeModule, FunctionBuilder, I32, Op, SimdOp, V128 } from '../cpu/matmul/wasm-encoder.js';

const M0 = 0xd2511f53 | 0;
const M1 = 0xcd9e8d57 | 0;
const W0 = 0x9e3779b9 | 0;
const W1 = 0xbb67ae85 | 0;

/** SIMD opcodes beyond the encoder's table. */
const I32X4_ADD = 0xae;
const I32X4_MUL = 0xb5;
const V128_XOR = 0x51;
const I64X2_EXTMUL_LOW_I32X4_U = 0xde;
const I64X2_EXTMUL_HIGH_I32X4_U = 0xdf;
const I32X4_SHR_U = 0xad;
const I32X4_GE_S = 0x3f;

/** i8x16.shuffle byte indices selecting i32 lanes (0-3 of the first operand, 4-7 of the second). */
const lanes = (...picks: number[]): number[] => picks.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/** Words per group: four blocks of four. */
export const GROUP_WORDS = 16;
/**
 * Groups that go through the rounds together. One group's ten rounds are a chain of
 * dependent multiplies; four chains side by side keep the multiplier busy (786K
 * elements of dropout 2.1 -> 1.4 ms here; two: 1.5; eight gain nothing, with 16 vector registers).
 */
const SETS = 4;

/**
 * A function over `groups` groups of four Philox blocks from block `counter`
 * (counter words 1-3 zero), `sets` groups at a time (`groups` a multiple of it):
 * parameters (groups, counter, k0, k1, ...extra); for each pass, `row(i, words)`
 * gets the words of its block i (four consecutive elements' words in a v128
 * local; i < 4 sets) and `advance` moves the function's pointers on by `sets`
 * groups.
 */
function buildGroups(
  extra: number,
  row: (fn: FunctionBuilder, i: number, words: number) => void,
  advance: (fn: FunctionBuilder) => void,
  sets: number,
): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, ...new Array<typeof I32>(extra).fill(I32)]);
  const [groups, counter, key0, key1] = [0, 1, 2, 3];
  const cs = Array.from({ length: sets }, () => [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)]);
  const [k0, k1, step] = Array.from({ length: 3 }, () => fn.local(V128));
  const his = Array.from({ length: sets }, () => [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)]);
  const t = [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)];
  const words = fn.local(V128);
  const splat = (value: number) => fn.i32(value).simd(SimdOp.i32x4Splat);
  /** hi and lo words of m * v, lane by lane. */
  const mul = (m: number, v: number, hi: number, lo: number) => {
    splat(m).get(v).simd(I64X2_EXTMUL_LOW_I32X4_U);
    splat(m).get(v).simd(I64X2_EXTMUL_HIGH_I32X4_U);
    fn.simd(SimdOp.i8x16Shuffle, ...lanes(1, 3, 5, 7)).set(hi);
    splat(m).get(v).simd(I32X4_MUL).set(lo);
  };
  fn.simd(SimdOp.v128Const, ...new Uint8Array(Uint32Array.from([0, 1, 2, 3]).buffer)).set(step);
  fn.op(Op.block, 0x40).op(Op.loop, 0x40);
  fn.get(groups).op(Op.i32Eqz).op(Op.brIf, 1);
  // Counters of the blocks; the other counter words are zero.
  cs.forEach((c, set) => {
    fn.get(counter)
      .i32(4 * set)
      .op(Op.i32Add)
      .simd(SimdOp.i32x4Splat)
      .get(step)
      .simd(I32X4_ADD)
      .set(c[0]!);
    for (const i of [1, 2, 3]) fn.v128Zero().set(c[i]!);
  });
  fn.get(key0).simd(SimdOp.i32x4Splat).set(k0);
  fn.get(key1).simd(SimdOp.i32x4Splat).set(k1);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      fn.get(k0).i32(W0).simd(SimdOp.i32x4Splat).simd(I32X4_ADD).set(k0);
      fn.get(k1).i32(W1).simd(SimdOp.i32x4Splat).simd(I32X4_ADD).set(k1);
    }
    for (let set = 0; set < sets; set++) {
      const [hi0, lo0, hi1, lo1] = his[set]!;
      mul(M0, cs[set]![0]!, hi0!, lo0!);
      mul(M1, cs[set]![2]!, hi1!, lo1!);
    }
    for (let set = 0; set < sets; set++) {
      const c = cs[set]!;
      const [hi0, lo0, hi1, lo1] = his[set]!;
      fn.get(hi1!).get(c[1]!).simd(V128_XOR).get(k0).simd(V128_XOR).set(c[0]!);
      fn.get(lo1!).set(c[1]!);
      fn.get(hi0!).get(c[3]!).simd(V128_XOR).get(k1).simd(V128_XOR).set(c[2]!);
      fn.get(lo0!).set(c[3]!);
    }
  }
  cs.forEach((c, set) => {
    // Transpose: lane j of c0..c3 is block j's four words.
    const interleaved: [number, number, number[], number][] = [
      [c[0]!, c[1]!, lanes(0, 4, 1, 5), t[0]!],
      [c[2]!, c[3]!, lanes(0, 4, 1, 5), t[1]!],
      [c[0]!, c[1]!, lanes(2, 6, 3, 7), t[2]!],
      [c[2]!, c[3]!, lanes(2, 6, 3, 7), t[3]!],
    ];
    for (const [a, b, pick, into] of interleaved) {
      fn.get(a)
        .get(b)
        .simd(SimdOp.i8x16Shuffle, ...pick)
        .set(into);
    }
    const rows: [number, number, number[]][] = [
      [t[0]!, t[1]!, lanes(0, 1, 4, 5)],
      [t[0]!, t[1]!, lanes(2, 3, 6, 7)],
      [t[2]!, t[3]!, lanes(0, 1, 4, 5)],
      [t[2]!, t[3]!, lanes(2, 3, 6, 7)],
    ];
    rows.forEach(([a, b, pick], i) => {
      fn.get(a)
        .get(b)
        .simd(SimdOp.i8x16Shuffle, ...pick)
        .set(words);
      row(fn, 4 * set + i, words);
    });
  });
  advance(fn);
  fn.addTo(counter, 4 * sets).addTo(groups, -sets);
  fn.op(Op.br, 0).op(Op.end).op(Op.end);
  return fn;
}

/** philox(groups, counter, k0, k1, out): the 16 words of each group in block order from out + 64 g. */
function buildPhilox(sets: number): FunctionBuilder {
  const out = 4;
  return buildGroups(
    1,
    (fn, i, words) =>
      fn
        .get(out)
        .get(words)
        .v128Store(16 * i),
    (fn) => fn.addTo(out, 64 * sets),
    sets,
  );
}

/**
 * dropout(groups, counter, k0, k1, x, out, keepFrom, scaleBits): out = x * scale
 * where an element's word >>> 8 reaches keepFrom, else x * 0 (a signed zero;
 * NaN for an infinite x), 16 float32 per group.
 */
function buildDropout(sets: number): FunctionBuilder {
  const [x, out, keepFrom, scaleBits] = [4, 5, 6, 7];
  return buildGroups(
    4,
    (fn, i, words) => {
      const load = () => fn.get(x).v128Load(16 * i);
      fn.get(out);
      load().get(scaleBits).simd(SimdOp.i32x4Splat).simd(SimdOp.f32x4Mul);
      load().v128Zero().simd(SimdOp.f32x4Mul);
      // words >>> 8 < 2^24: a signed compare is exact.
      fn.get(words).i32(8).simd(I32X4_SHR_U).get(keepFrom).simd(SimdOp.i32x4Splat).simd(I32X4_GE_S);
      fn.simd(SimdOp.v128Bitselect).v128Store(16 * i);
    },
    (fn) => fn.addTo(x, 64 * sets).addTo(out, 64 * sets),
    sets,
  );
}

const PAGE = 65536;
/** Groups per call: 64 KiB of words. */
const CHUNK_GROUPS = PAGE / (4 * GROUP_WORDS);
/** Dropout's groups per call: x in the first half of the page, the output in the second. */
const DROPOUT_CHUNK_GROUPS = CHUNK_GROUPS / 2;

interface PhiloxExports {
  philox: (groups: number, counter: number, k0: number, k1: number, out: number) => void;
  dropout: (
    groups: number,
    counter: number,
    k0: number,
    k1: number,
    x: number,
    out: number,
    keepFrom: number,
    scaleBits: number,
  ) => void;
}

interface PhiloxWasm extends PhiloxExports {
  words: Uint32Array;
  floats: Float32Array;
}

/**
 * `groups` groups: those that fill passes of SETS through `wide` (the interleaved
 * function), the rest one by one through `one`; `args(n, first)` are a call's
 * arguments for n groups from group `first`.
 */
function inPasses(
  groups: number,
  wide: (...args: number[]) => void,
  one: (...args: number[]) => void,
  args: (n: number, first: number) => number[],
): void {
  const passes = groups - (groups % SETS);
  if (passes > 0) wide(...args(passes, 0));
  if (passes < groups) one(...args(groups - passes, passes));
}

let instance: PhiloxWasm | null | undefined;

/** The module, instantiated on first use; null where WebAssembly SIMD is missing. */
function philoxWasm(): PhiloxWasm | null {
  if (instance !== undefined) return instance;
  try {
    const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    const bytes = encodeModule(
      [
        { name: 'philox', fn: buildPhilox(SETS) },
        { name: 'philox1', fn: buildPhilox(1) },
        { name: 'dropout', fn: buildDropout(SETS) },
        { name: 'dropout1', fn: buildDropout(1) },
      ],
      { initialPages: 1, maxPages: 1 },
    );
    const raw = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as unknown as Record<
      'philox' | 'philox1' | 'dropout' | 'dropout1',
      (...args: number[]) => void
    >;
    instance = {
      philox: (groups, counter, k0, k1, out) =>
        inPasses(groups, raw.philox, raw.philox1, (n, first) => [
          n,
          (counter + 4 * first) | 0,
          k0,
          k1,
          out + 64 * first,
        ]),
      dropout: (groups, counter, k0, k1, x, out, keepFrom, scaleBits) =>
        inPasses(groups, raw.dropout, raw.dropout1, (n, first) => [
          n,
          (counter + 4 * first) | 0,
          k0,
          k1,
          x + 64 * first,
          out + 64 * first,
          keepFrom,
          scaleBits,
        ]),
      words: new Uint32Array(memory.buffer),
      floats: new Float32Array(memory.buffer),
    };
  } catch {
    instance = null;
  }
  return instance;
}

/** Whether the WebAssembly SIMD version runs here (else philoxStream computes every block in JavaScript). */
export function philoxSimdAvailable(): boolean {
  return philoxWasm() !== null;
}

/**
 * Write the words of `groups` x 4 whole blocks from block `counter` (< 2^32
 * at the end) into out from `offset`; false (nothing written) where
 * WebAssembly SIMD is unavailable.
 */
export function philoxGroups(
  out: Uint32Array,
  offset: number,
  groups: number,
  counter: number,
  k0: number,
  k1: number,
): boolean {
  const module = philoxWasm();
  if (!module) return false;
  for (let done = 0; done < groups; done += CHUNK_GROUPS) {
    const n = Math.min(CHUNK_GROUPS, groups - done);
    module.philox(n, (counter + 4 * done) | 0, k0 | 0, k1 | 0, 0);
    out.set(module.words.subarray(0, n * GROUP_WORDS), offset + done * GROUP_WORDS);
  }
  return true;
}

/**
 * Dropout of the first `groups` x 16 elements of x into out (element e drawn
 * from the stream of the Philox key at e): kept where its word >>> 8 reaches
 * keepFrom, scaled by `scale` (a float32); false (nothing written) where
 * WebAssembly SIMD is unavailable or the counters pass 2^32.
 */
export function dropoutGroups(
  x: Float32Array,
  out: Float32Array,
  groups: number,
  [k0, k1]: [number, number],
  keepFrom: number,
  scale: number,
): boolean {
  const module = philoxWasm();
  if (!module || 4 * groups > 2 ** 32) return false;
  const scaleBits = new Int32Array(Float32Array.of(scale).buffer)[0]!;
  const half = PAGE / 2;
  for (let done = 0; done < groups; done += DROPOUT_CHUNK_GROUPS) {
    const n = Math.min(DROPOUT_CHUNK_GROUPS, groups - done);
    const from = done * GROUP_WORDS;
    const count = n * GROUP_WORDS;
    module.floats.set(x.subarray(from, from + count), 0);
    module.dropout(n, (4 * done) | 0, k0 | 0, k1 | 0, 0, half, keepFrom | 0, scaleBits);
    out.set(module.floats.subarray(half / 4, half / 4 + count), from);
  }
  return true;
}
