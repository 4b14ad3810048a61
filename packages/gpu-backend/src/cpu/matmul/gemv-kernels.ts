/**
 * WebAssembly functions of the GEMV path (gemv.ts): C = A B^T for a few rows
 * of A, each output a dot product of an A row with a B row, B read in its
 * storage dtype (float32, bfloat16 or float16) and widened in registers, so
 * half-precision weights are never copied out to float32.
 *
 * `dot_<dtype>(aPtr, bPtr, cPtr, m, kp, rows)`: A is m x kp f32, B is
 * rows x kp elements, C (m x rows f32, row stride rows) = A B^T. kp is a
 * multiple of 8 (callers pad with zeros); all addresses 16-byte aligned.
 * Rows of A go four at a time (then one at a time), so a B row is widened
 * once for four outputs.
 */
import { BLOCK_VOID, FunctionBuilder, I32, Op, SimdOp, V128 } from './wasm-encoder.js';

export type GemvElement = 'f32' | 'bf16' | 'f16';

/** Byte selectors of i8x16.shuffle: u16 lanes `first..first+3` of the first operand into 32-bit lanes, `high`: as the upper half (bf16) or the lower (f16); other bytes from the second (zero). */
function widenLanes(first: number, high: boolean): number[] {
  const out: number[] = [];
  for (let j = first; j < first + 4; j++) out.push(...(high ? [16, 16, 2 * j, 2 * j + 1] : [2 * j, 2 * j + 1, 16, 16]));
  return out;
}

export function buildDotRows(element: GemvElement, fma: boolean): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32]);
  const [aPtr, bPtr, cPtr, m, kp, rows] = [0, 1, 2, 3, 4, 5];
  const r = fn.local(I32);
  const bRow = fn.local(I32);
  const i = fn.local(I32);
  const aRow = fn.local(I32);
  const cp = fn.local(I32);
  const b = fn.local(I32);
  const steps = fn.local(I32);
  const ap = [fn.local(I32), fn.local(I32), fn.local(I32), fn.local(I32)];
  const acc = Array.from({ length: 4 }, () => [fn.local(V128), fn.local(V128)]);
  const bv = [fn.local(V128), fn.local(V128)];
  const raw = fn.local(V128);
  const zero = fn.local(V128);
  // float16 constants
  const cMag = fn.local(V128);
  const cSign = fn.local(V128);
  const cScale = fn.local(V128);
  const cInfMax = fn.local(V128);
  const cInfExp = fn.local(V128);
  const h = fn.local(V128);
  const o = fn.local(V128);
  const elementBytes = element === 'f32' ? 4 : 2;

  const splat = (value: number, target: number) => fn.i32(value).simd(SimdOp.i32x4Splat).set(target);
  fn.v128Zero().set(zero);
  if (element === 'f16') {
    splat(0x7fff, cMag);
    splat(0x8000, cSign);
    splat(0x77800000, cScale); // 2^112 as f32 bits: rebiases the exponent 15 -> 127, subnormals included
    splat(0x7bff, cInfMax);
    splat(0x7f800000, cInfExp);
  }

  /** f16 bits in the low half of each 32-bit lane of `h` -> f32 into `target`. */
  const f16ToF32 = (target: number) => {
    fn.get(h).get(cMag).simd(SimdOp.v128And).i32(13).simd(SimdOp.i32x4Shl).set(o); // magnitude << 13
    // Finite: value * 2^112 (exact: a power of two). Inf/NaN: all-ones exponent, the mantissa kept.
    fn.get(o).get(cInfExp).simd(SimdOp.v128Or);
    fn.get(o).get(cScale).simd(SimdOp.f32x4Mul);
    fn.get(h).get(cMag).simd(SimdOp.v128And).get(cInfMax).simd(SimdOp.i32x4GtS);
    fn.simd(SimdOp.v128Bitselect);
    fn.get(h).get(cSign).simd(SimdOp.v128And).i32(16).simd(SimdOp.i32x4Shl).simd(SimdOp.v128Or).set(target);
  };

  /** Load 8 elements of B at `b` into bv[0], bv[1] as f32. */
  const loadB = () => {
    if (element === 'f32') {
      fn.get(b).v128Load(0).set(bv[0]!);
      fn.get(b).v128Load(16).set(bv[1]!);
      return;
    }
    fn.get(b).v128Load(0).set(raw);
    for (const half of [0, 1]) {
      fn.get(raw)
        .get(zero)
        .simd(SimdOp.i8x16Shuffle, ...widenLanes(4 * half, element === 'bf16'));
      if (element === 'bf16') fn.set(bv[half]!);
      else {
        fn.set(h);
        f16ToF32(bv[half]!);
      }
    }
  };

  const madd = (accLocal: number, aLocal: () => void, bLocal: number) => {
    if (fma) {
      aLocal();
      fn.get(bLocal).get(accLocal).simd(SimdOp.f32x4RelaxedMadd).set(accLocal);
    } else {
      fn.get(accLocal);
      aLocal();
      fn.get(bLocal).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add).set(accLocal);
    }
  };

  /** `mb` rows of A against the current B row. */
  const rowBlock = (mb: number) => {
    for (let q = 0; q < mb; q++) {
      fn.get(aRow);
      if (q > 0)
        fn.get(kp)
          .i32(q * 4)
          .op(Op.i32Mul)
          .op(Op.i32Add);
      fn.set(ap[q]!);
      fn.v128Zero().set(acc[q]![0]!);
      fn.v128Zero().set(acc[q]![1]!);
    }
    fn.get(bRow).set(b).get(kp).i32(3).op(Op.i32ShrU).set(steps); // kp / 8
    fn.op(Op.loop, BLOCK_VOID);
    loadB();
    for (let q = 0; q < mb; q++) {
      madd(acc[q]![0]!, () => fn.get(ap[q]!).v128Load(0), bv[0]!);
      madd(acc[q]![1]!, () => fn.get(ap[q]!).v128Load(16), bv[1]!);
      fn.addTo(ap[q]!, 32);
    }
    fn.addTo(b, 8 * elementBytes)
      .addTo(steps, -1)
      .get(steps)
      .op(Op.brIf, 0);
    fn.op(Op.end);
    for (let q = 0; q < mb; q++) {
      fn.get(cp);
      if (q > 0)
        fn.get(rows)
          .i32(q * 4)
          .op(Op.i32Mul)
          .op(Op.i32Add);
      fn.get(acc[q]![0]!).get(acc[q]![1]!).simd(SimdOp.f32x4Add).set(acc[q]![0]!);
      fn.get(acc[q]![0]!).simd(SimdOp.f32x4ExtractLane, 0);
      for (let lane = 1; lane < 4; lane++) fn.get(acc[q]![0]!).simd(SimdOp.f32x4ExtractLane, lane).op(Op.f32Add);
      fn.f32Store(0);
    }
    fn.get(i).i32(mb).op(Op.i32Add).set(i);
    fn.get(aRow)
      .get(kp)
      .i32(mb * 4)
      .op(Op.i32Mul)
      .op(Op.i32Add)
      .set(aRow);
    fn.get(cp)
      .get(rows)
      .i32(mb * 4)
      .op(Op.i32Mul)
      .op(Op.i32Add)
      .set(cp);
  };

  fn.i32(0).set(r).get(bPtr).set(bRow);
  fn.op(Op.loop, BLOCK_VOID); // over B rows
  {
    fn.i32(0).set(i).get(aPtr).set(aRow);
    fn.get(cPtr).get(r).i32(4).op(Op.i32Mul).op(Op.i32Add).set(cp);
    fn.op(Op.loop, BLOCK_VOID); // over row blocks of A
    fn.get(m).get(i).op(Op.i32Sub).i32(4).op(Op.i32GeS).op(Op.if, BLOCK_VOID);
    rowBlock(4);
    fn.op(Op.else);
    rowBlock(1);
    fn.op(Op.end);
    fn.get(i).get(m).op(Op.i32LtS).op(Op.brIf, 0);
    fn.op(Op.end);
    fn.get(bRow).get(kp).i32(elementBytes).op(Op.i32Mul).op(Op.i32Add).set(bRow);
    fn.addTo(r, 1).get(r).get(rows).op(Op.i32LtS).op(Op.brIf, 0);
  }
  fn.op(Op.end);
  return fn;
}
