/**
 * The WebAssembly SIMD functions behind the cpu backend's softmax-style rows,
 * RMSNorm and SwiGLU (see simd.ts for the memory they work in). Every function takes
 * byte addresses and element counts; scalar parameters are read from the
 * parameter slots at PARAMS (p0..p3, f32), and a row reduction leaves its
 * four lanes at RESULT for the caller to combine. Rows may have any length
 * (a tail of 1-3 elements goes lane by lane); the elementwise functions work
 * on whole vectors, so their buffers are padded to a multiple of 4.
 */
import { I32 } from '../matmul/wasm-encoder.js';
import { V, VectorCode, type ExpConstants } from './vector-code.js';

/**
 * Vectors per step of the loops that take exp: one vector's exp is a chain of some
 * 25 dependent operations, and four chains side by side keep x64's vector units
 * busy (exp_sum 1.9 -> 1.45 ns per element here, swiglu 2.2 -> 1.6; the same bits).
 */
const EXP_VECTORS = 4;

/** Byte address of the four f32 parameter slots p0..p3. */
export const PARAMS = 0;
/** Byte address of a reduction's result: f32x4 (max) or f64x2 (sums). */
export const RESULT = 16;
/** Byte address where the kernels' data may start. */
export const DATA_START = 64;

/** EXP_VECTORS v128 locals (`first` the first) and a scratch triple for each (`c.scratch` the first's). */
function expLocals(fn: VectorCode, c: ExpConstants, first: number): [number[], (readonly [number, number, number])[]] {
  const xs = [first, ...Array.from({ length: EXP_VECTORS - 1 }, () => fn.vec())];
  return [xs, xs.map((_, i) => (i === 0 ? c.scratch : ([fn.vec(), fn.vec(), fn.vec()] as const)))];
}

/**
 * The steps of EXP_VECTORS vectors over the row of `n` at `ptr`: each x of `locals`
 * gets exp(v * scale - shift) of its vector v (at `ptr` + 16 i), the exp chains side by
 * side, then `each(x, i)` uses it; `pointers` (with `ptr`) move on by the step.
 */
function expSteps(
  fn: VectorCode,
  n: number,
  pointers: readonly number[],
  [ptr, scale, shift]: readonly [number, number, number],
  [xs, scratches]: ReturnType<typeof expLocals>,
  c: ExpConstants,
  each: (x: number, i: number) => void,
): void {
  fn.countedLoop(n, 4 * EXP_VECTORS, pointers, 16 * EXP_VECTORS, () => {
    xs.forEach((x, i) =>
      fn
        .get(ptr)
        .v128Load(16 * i)
        .get(scale)
        .v(V.f32x4Mul)
        .get(shift)
        .v(V.f32x4Sub)
        .set(x),
    );
    fn.expInPlaceAll(xs, c, scratches);
    xs.forEach(each);
  });
}

/** Parameter slot `i` as f32x4 on the stack. */
function param(fn: VectorCode, i: number): VectorCode {
  return fn.i32(PARAMS + 4 * i).simd(V.load32Splat, 2, 0);
}

/**
 * A row of `n` f32 at `ptr`: `vector(ptrLocal)` for each group of four,
 * then `lane(ptrLocal)` for each of the last n % 4 (pointer at the element).
 */
function overRow(fn: VectorCode, ptr: number, n: number, vector: () => void, lane: () => void): void {
  fn.countedLoop(n, 4, [ptr], 16, vector);
  fn.countedLoop(n, 1, [ptr], 4, lane);
}

/**
 * max over the row of x * p0, as four lanes at RESULT (NaN if any is NaN). Four
 * running maxima, 16 elements a step: f32x4.max (NaN and signed zeros as IEEE
 * says) is eight instructions on x64, a chain of ~13 cycles that one running
 * maximum would wait on per vector. The maximum does not depend on the order.
 */
function buildMaxScaled(): VectorCode {
  const fn = new VectorCode([I32, I32]);
  const [ptr, n] = [0, 1];
  const m = [fn.vec(), fn.vec(), fn.vec(), fn.vec()] as const;
  const scale = fn.vec();
  param(fn, 0).set(scale);
  for (const mi of m) fn.f32x4(-Infinity).set(mi);
  fn.countedLoop(n, 16, [ptr], 64, () => {
    m.forEach((mi, i) =>
      fn
        .get(mi)
        .get(ptr)
        .v128Load(16 * i)
        .get(scale)
        .v(V.f32x4Mul)
        .v(V.f32x4Max)
        .set(mi),
    );
  });
  overRow(
    fn,
    ptr,
    n,
    () => fn.get(m[0]).get(ptr).v128Load(0).get(scale).v(V.f32x4Mul).v(V.f32x4Max).set(m[0]),
    () => fn.get(m[0]).loadSplat(ptr).get(scale).v(V.f32x4Mul).v(V.f32x4Max).set(m[0]),
  );
  fn.get(m[0]).get(m[1]).v(V.f32x4Max).get(m[2]).get(m[3]).v(V.f32x4Max).v(V.f32x4Max);
  fn.set(m[0]).i32(RESULT).get(m[0]).v128Store(0);
  return fn;
}

/**
 * x = exp(x * p0 - p1) in place over the row; the sum of the new values in
 * float64, as two lanes at RESULT.
 */
function buildExpSum(): VectorCode {
  const fn = new VectorCode([I32, I32]);
  const [ptr, n] = [0, 1];
  const [scale, shift, x, sum, lane0] = [fn.vec(), fn.vec(), fn.vec(), fn.vec(), fn.vec()];
  const t = fn.expConstants();
  param(fn, 0).set(scale);
  param(fn, 1).set(shift);
  fn.v128Zero().set(sum);
  // all ones in lane 0: a tail element adds only itself to the sum
  fn.i32(-1)
    .simd(V.i32x4Splat)
    .v128Zero()
    .simd(V.i8x16Shuffle, 0, 1, 2, 3, ...new Array<number>(12).fill(16))
    .set(lane0);
  /** sum += promote(low lanes of v) + promote(high lanes of v) */
  const accumulate = (v: number, both: boolean) => {
    fn.get(sum).get(v).simd(V.f64x2PromoteLowF32x4).v(V.f64x2Add).set(sum);
    if (both) {
      fn.get(sum).get(v).get(v).simd(V.i8x16Shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);
      fn.simd(V.f64x2PromoteLowF32x4).v(V.f64x2Add).set(sum);
    }
  };
  expSteps(fn, n, [ptr], [ptr, scale, shift], expLocals(fn, t, x), t, (xi, i) => {
    fn.get(ptr)
      .get(xi)
      .v128Store(16 * i);
    accumulate(xi, true);
  });
  overRow(
    fn,
    ptr,
    n,
    () => {
      fn.get(ptr).v128Load(0).get(scale).v(V.f32x4Mul).get(shift).v(V.f32x4Sub).set(x);
      fn.expInPlace(x, t);
      fn.get(ptr).get(x).v128Store(0);
      accumulate(x, true);
    },
    () => {
      fn.loadSplat(ptr).get(scale).v(V.f32x4Mul).get(shift).v(V.f32x4Sub).set(x);
      fn.expInPlace(x, t);
      fn.get(ptr).get(x).storeLane0();
      fn.get(x).get(lane0).v(V.v128And).set(x);
      accumulate(x, false);
    },
  );
  fn.i32(RESULT).get(sum).v128Store(0);
  return fn;
}

/** x = p2 * exp(x * p0 - p1) in place over the row. */
function buildExpScaled(): VectorCode {
  const fn = new VectorCode([I32, I32]);
  const [ptr, n] = [0, 1];
  const [scale, shift, factor, x] = [fn.vec(), fn.vec(), fn.vec(), fn.vec()];
  const t = fn.expConstants();
  param(fn, 0).set(scale);
  param(fn, 1).set(shift);
  param(fn, 2).set(factor);
  const body = (load: () => void, store: () => void) => () => {
    load();
    fn.get(scale).v(V.f32x4Mul).get(shift).v(V.f32x4Sub).set(x);
    fn.expInPlace(x, t);
    fn.get(ptr).get(x).get(factor).v(V.f32x4Mul);
    store();
  };
  expSteps(fn, n, [ptr], [ptr, scale, shift], expLocals(fn, t, x), t, (xi, i) =>
    fn
      .get(ptr)
      .get(xi)
      .get(factor)
      .v(V.f32x4Mul)
      .v128Store(16 * i),
  );
  overRow(
    fn,
    ptr,
    n,
    body(
      () => fn.get(ptr).v128Load(0),
      () => fn.v128Store(0),
    ),
    body(
      () => fn.loadSplat(ptr),
      () => fn.storeLane0(),
    ),
  );
  return fn;
}

/**
 * The attention backward's row: with p0 = the scores' scale, p1 = lse,
 * p2 = delta and p3 = the gradient's scale, s = exp(s * p0 - p1) (the
 * probabilities, in place) and dp = s * (dp - p2) * p3 (the scores'
 * gradient, in place).
 */
function buildAttentionGradRow(): VectorCode {
  const fn = new VectorCode([I32, I32, I32]);
  const [sPtr, dpPtr, n] = [0, 1, 2];
  const [scale, lse, delta, gradScale, x] = [fn.vec(), fn.vec(), fn.vec(), fn.vec(), fn.vec()];
  const t = fn.expConstants();
  param(fn, 0).set(scale);
  param(fn, 1).set(lse);
  param(fn, 2).set(delta);
  param(fn, 3).set(gradScale);
  const body = (load: (ptr: number) => void, store: () => void) => () => {
    load(sPtr);
    fn.get(scale).v(V.f32x4Mul).get(lse).v(V.f32x4Sub).set(x);
    fn.expInPlace(x, t);
    fn.get(sPtr).get(x);
    store();
    fn.get(dpPtr).get(x);
    load(dpPtr);
    fn.get(delta).v(V.f32x4Sub).v(V.f32x4Mul).get(gradScale).v(V.f32x4Mul);
    store();
  };
  expSteps(fn, n, [sPtr, dpPtr], [sPtr, scale, lse], expLocals(fn, t, x), t, (xi, i) => {
    fn.get(sPtr)
      .get(xi)
      .v128Store(16 * i);
    fn.get(dpPtr)
      .get(xi)
      .get(dpPtr)
      .v128Load(16 * i)
      .get(delta)
      .v(V.f32x4Sub)
      .v(V.f32x4Mul);
    fn.get(gradScale)
      .v(V.f32x4Mul)
      .v128Store(16 * i);
  });
  fn.countedLoop(
    n,
    4,
    [sPtr, dpPtr],
    16,
    body(
      (p) => fn.get(p).v128Load(0),
      () => fn.v128Store(0),
    ),
  );
  fn.countedLoop(
    n,
    1,
    [sPtr, dpPtr],
    4,
    body(
      (p) => fn.loadSplat(p),
      () => fn.storeLane0(),
    ),
  );
  return fn;
}

/** x *= p0 over ceil(n / 4) vectors. */
function buildScale(): VectorCode {
  const fn = new VectorCode([I32, I32]);
  const [ptr, n] = [0, 1];
  const factor = fn.vec();
  param(fn, 0).set(factor);
  fn.addTo(n, 3);
  fn.countedLoop(n, 4, [ptr], 16, () => fn.get(ptr).get(ptr).v128Load(0).get(factor).v(V.f32x4Mul).v128Store(0));
  return fn;
}

/**
 * sigmoid of the f32x4 in each of `gs` into the same place of `ss`, e = exp(-|g|)
 * (never overflows; `es` its locals, `scratches` exp's): g >= 0 ? 1 / (1 + e) : e / (1 + e).
 */
function sigmoidAll(
  fn: VectorCode,
  gs: readonly number[],
  ss: readonly number[],
  es: readonly number[],
  c: ExpConstants,
  scratches: readonly (readonly [number, number, number])[],
): void {
  gs.forEach((g, i) => fn.get(c.zero).get(g).v(V.f32x4Abs).v(V.f32x4Sub).set(es[i]!));
  fn.expInPlaceAll(es, c, scratches);
  gs.forEach((g, i) => {
    const [s, e] = [ss[i]!, es[i]!];
    fn.get(c.one).get(e).get(c.one).v(V.f32x4Add).v(V.f32x4Div).set(s);
    fn.get(s).get(e).get(s).v(V.f32x4Mul).get(g).get(c.zero).v(V.f32x4Ge).v(V.v128Bitselect).set(s);
  });
}

/** `count` fresh v128 locals. */
function vecs(fn: VectorCode, count: number): number[] {
  return Array.from({ length: count }, () => fn.vec());
}

/**
 * Over the gate at `gPtr`, ceil(n / 4) vectors: s = sigmoid(g) for EXP_VECTORS vectors
 * a step (the exp chains side by side), then for one a step, and `each(g, s, at, c)`
 * for each vector (`at` its byte offset from the pointers, `c` exp's constants);
 * `pointers` (gPtr among them) move on by the step.
 */
function sigmoidSteps(
  fn: VectorCode,
  n: number,
  pointers: readonly number[],
  gPtr: number,
  each: (g: number, s: number, at: number, c: ExpConstants) => void,
): void {
  const [gs, ss] = [vecs(fn, EXP_VECTORS), vecs(fn, EXP_VECTORS)];
  const c = fn.expConstants();
  const [es, scratches] = expLocals(fn, c, fn.vec());
  const step = (vectors: number) => () => {
    for (let i = 0; i < vectors; i++)
      fn.get(gPtr)
        .v128Load(16 * i)
        .set(gs[i]!);
    sigmoidAll(fn, gs.slice(0, vectors), ss, es.slice(0, vectors), c, scratches);
    for (let i = 0; i < vectors; i++) each(gs[i]!, ss[i]!, 16 * i, c);
  };
  fn.addTo(n, 3);
  fn.countedLoop(n, 4 * EXP_VECTORS, pointers, 16 * EXP_VECTORS, step(EXP_VECTORS));
  fn.countedLoop(n, 4, pointers, 16, step(1));
}

/** y = gate * sigmoid(gate) * up over ceil(n / 4) vectors. */
function buildSwiglu(): VectorCode {
  const fn = new VectorCode([I32, I32, I32, I32]);
  const [gPtr, uPtr, yPtr, n] = [0, 1, 2, 3];
  sigmoidSteps(fn, n, [gPtr, uPtr, yPtr], gPtr, (g, s, at) =>
    fn.get(yPtr).get(g).get(s).v(V.f32x4Mul).get(uPtr).v128Load(at).v(V.f32x4Mul).v128Store(at),
  );
  return fn;
}

/** dgate = dy up s (1 + gate (1 - s)), dup = dy gate s, s = sigmoid(gate), over ceil(n / 4) vectors. */
function buildSwigluGrad(): VectorCode {
  const fn = new VectorCode([I32, I32, I32, I32, I32, I32]);
  const [dyPtr, gPtr, uPtr, dgPtr, duPtr, n] = [0, 1, 2, 3, 4, 5];
  const dy = fn.vec();
  sigmoidSteps(fn, n, [dyPtr, gPtr, uPtr, dgPtr, duPtr], gPtr, (g, s, at, c) => {
    fn.get(dyPtr).v128Load(at).set(dy);
    // dup = dy * g * s
    fn.get(duPtr).get(dy).get(g).v(V.f32x4Mul).get(s).v(V.f32x4Mul).v128Store(at);
    // dgate = dy * up * s * (1 + g * (1 - s))
    fn.get(dgPtr).get(dy).get(uPtr).v128Load(at).v(V.f32x4Mul).get(s).v(V.f32x4Mul);
    fn.get(c.one).get(g).get(c.one).get(s).v(V.f32x4Sub).v(V.f32x4Mul).v(V.f32x4Add);
    fn.v(V.f32x4Mul).v128Store(at);
  });
  return fn;
}

/** The sum of x^2 over the row in float64 (each square exact, as JavaScript forms it), as two lanes at RESULT. */
function buildSumSquares(): VectorCode {
  const fn = new VectorCode([I32, I32]);
  const [ptr, n] = [0, 1];
  const [x, wide, sum, lane0] = [fn.vec(), fn.vec(), fn.vec(), fn.vec()];
  fn.v128Zero().set(sum);
  fn.i32(-1)
    .simd(V.i32x4Splat)
    .v128Zero()
    .simd(V.i8x16Shuffle, 0, 1, 2, 3, ...new Array<number>(12).fill(16))
    .set(lane0);
  const addSquares = (v: number) => {
    fn.get(v).simd(V.f64x2PromoteLowF32x4).set(wide);
    fn.get(sum).get(wide).get(wide).v(V.f64x2Mul).v(V.f64x2Add).set(sum);
  };
  overRow(
    fn,
    ptr,
    n,
    () => {
      fn.get(ptr).v128Load(0).set(x);
      addSquares(x);
      fn.get(x).get(x).simd(V.i8x16Shuffle, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7).set(x);
      addSquares(x);
    },
    () => {
      // lane 0 only: the other lane of the promoted pair is 0
      fn.loadSplat(ptr).get(lane0).v(V.v128And).set(x);
      addSquares(x);
    },
  );
  fn.i32(RESULT).get(sum).v128Store(0);
  return fn;
}

/** y = x * p0 * w over ceil(n / 4) vectors (RMSNorm's output from its inverse root p0). */
function buildScaleByWeight(): VectorCode {
  const fn = new VectorCode([I32, I32, I32, I32]);
  const [xPtr, wPtr, yPtr, n] = [0, 1, 2, 3];
  const factor = fn.vec();
  param(fn, 0).set(factor);
  fn.addTo(n, 3);
  fn.countedLoop(n, 4, [xPtr, wPtr, yPtr], 16, () => {
    fn.get(yPtr).get(xPtr).v128Load(0).get(factor).v(V.f32x4Mul).get(wPtr).v128Load(0).v(V.f32x4Mul).v128Store(0);
  });
  return fn;
}

export const ROW_KERNELS = {
  max_scaled: buildMaxScaled,
  exp_sum: buildExpSum,
  exp_scaled: buildExpScaled,
  attention_grad_row: buildAttentionGradRow,
  scale: buildScale,
  swiglu: buildSwiglu,
  swiglu_grad: buildSwigluGrad,
  sum_squares: buildSumSquares,
  scale_by_weight: buildScaleByWeight,
} as const;

/** The exports of an instance of the row-kernel module (addresses in bytes). */
export interface RowKernelExports {
  max_scaled(ptr: number, n: number): void;
  exp_sum(ptr: number, n: number): void;
  exp_scaled(ptr: number, n: number): void;
  attention_grad_row(sPtr: number, dpPtr: number, n: number): void;
  scale(ptr: number, n: number): void;
  swiglu(gatePtr: number, upPtr: number, yPtr: number, n: number): void;
  swiglu_grad(dyPtr: number, gatePtr: number, upPtr: number, dgatePtr: number, dupPtr: number, n: number): void;
  sum_squares(ptr: number, n: number): void;
  scale_by_weight(xPtr: number, wPtr: number, yPtr: number, n: number): void;
}
