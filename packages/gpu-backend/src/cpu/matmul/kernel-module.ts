/**
 * Generates the WebAssembly module of the GEMM micro-kernel: an MR x NR tile of
 * C kept in v128 locals (MR rows times NR/4 f32x4 vectors), updated by rank-1
 * steps over packed panels of A (k-major, MR wide) and B (k-major, NR wide).
 * Without relaxed SIMD there is no fused multiply-add, so each step is a mul
 * and an add. The default 4 x 8 tile keeps 8 accumulators, 2 B vectors and
 * 4 broadcast A values in registers: V8 allocates 15 vector registers on
 * x86-64, and bigger tiles spill accumulators to the stack (seen with
 * --print-wasm-code), which puts a store-to-load round trip on each
 * accumulator's dependency chain. Measured on AMD Zen 4 (one core, best of
 * many trials): 4x8 ~46 GFLOP/s, 6x16 ~37, 5x12 ~32, 6x8 ~28; on an Intel
 * Xeon the larger tiles did slightly better, so the tile stays configurable.
 * With relaxed SIMD (`fma`), f32x4.relaxed_madd replaces the pair: on an
 * Intel Xeon with AVX-512 and AMX (one core) 4x8 went from ~46 to ~55 GFLOP/s,
 * about two 128-bit FMAs per cycle, the ceiling of 128-bit SIMD; 5x12 ~46,
 * 6x8 ~42, 4x16 ~42, 8x8 ~38.
 */
import { buildDotRows } from './gemv-kernels.js';
import { buildPackContiguous, buildPackStrided } from './pack-kernels.js';
import { BLOCK_VOID, FunctionBuilder, I32, Op, SimdOp, V128, encodeModule } from './wasm-encoder.js';

export interface KernelShape {
  /** Rows of the register tile. */
  mr: number;
  /** Columns of the register tile, a multiple of 4. */
  nr: number;
  /** k steps per iteration of the inner loop. */
  unroll: number;
  /** Use relaxed SIMD's f32x4.relaxed_madd (one fused multiply-add where the CPU has FMA) instead of a mul and an add. */
  fma?: boolean;
}

export const DEFAULT_KERNEL_SHAPE: KernelShape = { mr: 4, nr: 8, unroll: 1, fma: false };

/** Memory limits of the shared memory every instance imports (64 KiB pages). */
export const MEMORY_MAX_PAGES = 65536;

/**
 * `block(aPtr, bPtr, cPtr, ldcBytes, mPanels, nPanels, kc, accumulate)`:
 * for each of `nPanels` packed B panels (kc x NR each, consecutive from bPtr)
 * and each of `mPanels` packed A panels (kc x MR each, consecutive from aPtr),
 * C tile (row stride ldcBytes) = (accumulate ? C tile : 0) + A panel * B panel.
 * All counts must be at least 1; addresses are byte offsets, 16-byte aligned
 * for B and C.
 */
function buildBlock(shape: KernelShape): FunctionBuilder {
  const { mr, nr, unroll } = shape;
  if (nr % 4 !== 0) throw new Error(`kernel shape: nr must be a multiple of 4, got ${nr}`);
  const nv = nr / 4;
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32, I32, I32]);
  const [aPtr, bPtr, cPtr, ldc, mPanels, nPanels, kc, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7];
  const j = fn.local(I32);
  const i = fn.local(I32);
  const ap = fn.local(I32);
  const bp = fn.local(I32);
  const cCol = fn.local(I32);
  const cp = fn.local(I32);
  const cRow = fn.local(I32);
  const a = fn.local(I32);
  const b = fn.local(I32);
  const k = fn.local(I32);
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) acc.push(Array.from({ length: nv }, () => fn.local(V128)));
  const bv = Array.from({ length: nv }, () => fn.local(V128));
  const av = fn.local(V128);

  /** One rank-1 update at k step `u` of the current unrolled group. */
  const step = (u: number) => {
    for (let v = 0; v < nv; v++)
      fn.get(b)
        .v128Load((u * nr + v * 4) * 4)
        .set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      fn.get(a)
        .v128Load32Splat((u * mr + r) * 4)
        .set(av);
      for (let v = 0; v < nv; v++) {
        if (shape.fma === true) fn.get(av).get(bv[v]!).get(acc[r]![v]!).simd(SimdOp.f32x4RelaxedMadd).set(acc[r]![v]!);
        else fn.get(acc[r]![v]!).get(av).get(bv[v]!).simd(SimdOp.f32x4Mul).simd(SimdOp.f32x4Add).set(acc[r]![v]!);
      }
    }
  };

  const storeTile = (add: boolean) => {
    fn.get(cp).set(cRow);
    for (let r = 0; r < mr; r++) {
      for (let v = 0; v < nv; v++) {
        fn.get(cRow);
        if (add)
          fn.get(cRow)
            .v128Load(v * 16)
            .get(acc[r]![v]!)
            .simd(SimdOp.f32x4Add);
        else fn.get(acc[r]![v]!);
        fn.v128Store(v * 16);
      }
      if (r < mr - 1) fn.get(cRow).get(ldc).op(Op.i32Add).set(cRow);
    }
  };

  fn.get(bPtr).set(bp).get(cPtr).set(cCol).get(nPanels).set(j);
  fn.op(Op.loop, BLOCK_VOID); // over B panels
  {
    fn.get(aPtr).set(ap).get(cCol).set(cp).get(mPanels).set(i);
    fn.op(Op.loop, BLOCK_VOID); // over A panels
    {
      for (const row of acc) for (const x of row) fn.v128Zero().set(x);
      fn.get(ap).set(a).get(bp).set(b).get(kc).set(k);
      if (unroll > 1) {
        fn.op(Op.block, BLOCK_VOID);
        fn.get(k).i32(unroll).op(Op.i32LtS).op(Op.brIf, 0);
        fn.op(Op.loop, BLOCK_VOID);
        for (let u = 0; u < unroll; u++) step(u);
        fn.addTo(a, unroll * mr * 4)
          .addTo(b, unroll * nr * 4)
          .addTo(k, -unroll);
        fn.get(k).i32(unroll).op(Op.i32GeS).op(Op.brIf, 0);
        fn.op(Op.end);
        fn.op(Op.end);
      }
      fn.op(Op.block, BLOCK_VOID);
      fn.get(k).op(Op.i32Eqz).op(Op.brIf, 0);
      fn.op(Op.loop, BLOCK_VOID);
      step(0);
      fn.addTo(a, mr * 4)
        .addTo(b, nr * 4)
        .addTo(k, -1);
      fn.get(k).op(Op.brIf, 0);
      fn.op(Op.end);
      fn.op(Op.end);

      fn.get(accumulate).op(Op.if, BLOCK_VOID);
      storeTile(true);
      fn.op(Op.else);
      storeTile(false);
      fn.op(Op.end);

      // The A pointer has walked exactly one panel: it is the next panel.
      fn.get(a).set(ap);
      fn.get(cp).get(ldc).i32(mr).op(Op.i32Mul).op(Op.i32Add).set(cp);
      fn.addTo(i, -1).get(i).op(Op.brIf, 0);
    }
    fn.op(Op.end);
    fn.get(b).set(bp);
    fn.addTo(cCol, nr * 4);
    fn.addTo(j, -1).get(j).op(Op.brIf, 0);
  }
  fn.op(Op.end);
  return fn;
}

/** The module's bytes for a kernel shape. */
export function buildKernelModule(shape: KernelShape = DEFAULT_KERNEL_SHAPE): Uint8Array {
  return encodeModule(
    [
      { name: 'block', fn: buildBlock(shape) },
      { name: 'pack_a_contig', fn: buildPackContiguous(shape.mr) },
      { name: 'pack_a_strided', fn: buildPackStrided(shape.mr) },
      { name: 'pack_b_contig', fn: buildPackContiguous(shape.nr) },
      { name: 'pack_b_strided', fn: buildPackStrided(shape.nr) },
      { name: 'dot_f32', fn: buildDotRows('f32', shape.fma === true) },
      { name: 'dot_bf16', fn: buildDotRows('bf16', shape.fma === true) },
      { name: 'dot_f16', fn: buildDotRows('f16', shape.fma === true) },
    ],
    { initialPages: 1, maxPages: MEMORY_MAX_PAGES },
  );
}

/** The exports of an instance of the kernel module. */
export interface KernelExports {
  block(
    aPtr: number,
    bPtr: number,
    cPtr: number,
    ldcBytes: number,
    mPanels: number,
    nPanels: number,
    kc: number,
    accumulate: number,
  ): void;
  pack_a_contig(src: number, ksBytes: number, dst: number, kc: number, panels: number): void;
  pack_a_strided(src: number, rsBytes: number, dst: number, kc: number, panels: number, lastValid: number): void;
  pack_b_contig(src: number, ksBytes: number, dst: number, kc: number, panels: number): void;
  pack_b_strided(src: number, rsBytes: number, dst: number, kc: number, panels: number, lastValid: number): void;
  /** C (m x rows) = A (m x kp f32) B^T (B rows x kp, in the named element type); see gemv-kernels.ts. */
  dot_f32(aPtr: number, bPtr: number, cPtr: number, m: number, kp: number, rows: number): void;
  dot_bf16(aPtr: number, bPtr: number, cPtr: number, m: number, kp: number, rows: number): void;
  dot_f16(aPtr: number, bPtr: number, cPtr: number, m: number, kp: number, rows: number): void;
}
