/**
 * WebAssembly packing functions: they copy a k-block of an operand, already
 * in the shared memory, into W-wide k-major panels (the layout pack.ts
 * describes), so every thread can pack its share of A and B in parallel.
 *
 * Two source orders exist, whatever the operand:
 * - contiguous: the W values of one k step are adjacent (A stored transposed,
 *   B stored as is): each k step is a few v128 copies;
 * - strided: each of the W rows/columns runs along k (A as is, B transposed):
 *   groups of 4 rows are transposed 4 x 4 in registers with shuffles.
 */
import { BLOCK_VOID, FunctionBuilder, I32, Op, SimdOp, V128 } from './wasm-encoder.js';

/**
 * `pack_contig(src, ksBytes, dst, kc, panels)`: element (lane j of panel p,
 * step k) is at src + (p*W + j)*4 + k*ksBytes. Lanes past the operand's edge
 * copy whatever follows it (they only reach padding rows/columns of C).
 */
export function buildPackContiguous(w: number): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32]);
  const [src, ks, dst, kc, panels] = [0, 1, 2, 3, 4];
  const p = fn.local(I32);
  const ps = fn.local(I32);
  const s = fn.local(I32);
  const d = fn.local(I32);
  const k = fn.local(I32);
  const offsets: number[] = [];
  for (let o = 0; o + 4 <= w; o += 4) offsets.push(o * 4);
  if (w % 4 !== 0) offsets.push((w - 4) * 4); // overlapping last vector
  if (w < 4) throw new Error(`pack width must be at least 4, got ${w}`);

  fn.get(src).set(ps).get(dst).set(d).get(panels).set(p);
  fn.op(Op.loop, BLOCK_VOID);
  {
    fn.get(ps).set(s).get(kc).set(k);
    fn.op(Op.loop, BLOCK_VOID);
    for (const o of offsets) fn.get(d).get(s).v128Load(o).v128Store(o);
    fn.get(s).get(ks).op(Op.i32Add).set(s);
    fn.addTo(d, w * 4)
      .addTo(k, -1)
      .get(k)
      .op(Op.brIf, 0);
    fn.op(Op.end);
    fn.addTo(ps, w * 4)
      .addTo(p, -1)
      .get(p)
      .op(Op.brIf, 0);
  }
  fn.op(Op.end);
  return fn;
}

/** Lane selectors of i8x16.shuffle for f32 lanes (0-3 first operand, 4-7 second). */
function f32Lanes(...lanes: number[]): number[] {
  return lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
}

/**
 * `pack_strided(src, rsBytes, dst, kc, panels, lastValid)`: element (row j
 * of panel p, step k) is at src + (p*W + j)*rsBytes + k*4. Rows at or past
 * `lastValid` in the last panel are written as zeros (they lie outside the operand).
 */
export function buildPackStrided(w: number): FunctionBuilder {
  const fn = new FunctionBuilder([I32, I32, I32, I32, I32, I32]);
  const [src, rs, dst, kc, panels, lastValid] = [0, 1, 2, 3, 4, 5];
  const p = fn.local(I32);
  const ps = fn.local(I32);
  const dp = fn.local(I32);
  const valid = fn.local(I32);
  const d = fn.local(I32);
  const k = fn.local(I32);
  const sp = [fn.local(I32), fn.local(I32), fn.local(I32), fn.local(I32)];
  const v = [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)];
  const t = [fn.local(V128), fn.local(V128), fn.local(V128), fn.local(V128)];
  const stepBytes = w * 4;

  /** s = ps + row * rs */
  const rowPointer = (target: number, row: number) => {
    fn.get(ps);
    if (row > 0) fn.get(rs).i32(row).op(Op.i32Mul).op(Op.i32Add);
    fn.set(target);
  };

  /** One row, scalar: copy when row < valid, else zeros. */
  const scalarRow = (row: number) => {
    fn.get(dp)
      .i32(row * 4)
      .op(Op.i32Add)
      .set(d)
      .get(kc)
      .set(k);
    fn.i32(row).get(valid).op(Op.i32LtS).op(Op.if, BLOCK_VOID);
    rowPointer(sp[0]!, row);
    fn.op(Op.loop, BLOCK_VOID);
    fn.get(d).get(sp[0]!).f32Load(0).f32Store(0);
    fn.addTo(sp[0]!, 4).addTo(d, stepBytes).addTo(k, -1).get(k).op(Op.brIf, 0);
    fn.op(Op.end);
    fn.op(Op.else);
    fn.op(Op.loop, BLOCK_VOID);
    fn.get(d).i32(0).i32Store(0); // +0.0f has the bits of i32 0
    fn.addTo(d, stepBytes).addTo(k, -1).get(k).op(Op.brIf, 0);
    fn.op(Op.end);
    fn.op(Op.end);
  };

  /** Rows r0..r0+3 through 4 x 4 register transposes (all four rows valid). */
  const groupOfFour = (r0: number) => {
    for (let i = 0; i < 4; i++) rowPointer(sp[i]!, r0 + i);
    fn.get(dp)
      .i32(r0 * 4)
      .op(Op.i32Add)
      .set(d)
      .get(kc)
      .set(k);
    fn.op(Op.block, BLOCK_VOID);
    fn.get(k).i32(4).op(Op.i32LtS).op(Op.brIf, 0);
    fn.op(Op.loop, BLOCK_VOID);
    for (let i = 0; i < 4; i++) fn.get(sp[i]!).v128Load(0).set(v[i]!);
    const shuffle = (x: number, y: number, lanes: number[], out: number) =>
      fn
        .get(x)
        .get(y)
        .simd(SimdOp.i8x16Shuffle, ...f32Lanes(...lanes))
        .set(out);
    shuffle(v[0]!, v[1]!, [0, 4, 1, 5], t[0]!);
    shuffle(v[0]!, v[1]!, [2, 6, 3, 7], t[1]!);
    shuffle(v[2]!, v[3]!, [0, 4, 1, 5], t[2]!);
    shuffle(v[2]!, v[3]!, [2, 6, 3, 7], t[3]!);
    // Column kk of the 4 x 4 block: rows r0..r0+3 at step kk.
    fn.get(d)
      .get(t[0]!)
      .get(t[2]!)
      .simd(SimdOp.i8x16Shuffle, ...f32Lanes(0, 1, 4, 5))
      .v128Store(0);
    fn.get(d)
      .get(t[0]!)
      .get(t[2]!)
      .simd(SimdOp.i8x16Shuffle, ...f32Lanes(2, 3, 6, 7))
      .v128Store(stepBytes);
    fn.get(d)
      .get(t[1]!)
      .get(t[3]!)
      .simd(SimdOp.i8x16Shuffle, ...f32Lanes(0, 1, 4, 5))
      .v128Store(2 * stepBytes);
    fn.get(d)
      .get(t[1]!)
      .get(t[3]!)
      .simd(SimdOp.i8x16Shuffle, ...f32Lanes(2, 3, 6, 7))
      .v128Store(3 * stepBytes);
    for (let i = 0; i < 4; i++) fn.addTo(sp[i]!, 16);
    fn.addTo(d, 4 * stepBytes).addTo(k, -4);
    fn.get(k).i32(4).op(Op.i32GeS).op(Op.brIf, 0);
    fn.op(Op.end);
    fn.op(Op.end);
    // k tail, scalar.
    fn.op(Op.block, BLOCK_VOID);
    fn.get(k).op(Op.i32Eqz).op(Op.brIf, 0);
    fn.op(Op.loop, BLOCK_VOID);
    for (let i = 0; i < 4; i++)
      fn.get(d)
        .get(sp[i]!)
        .f32Load(0)
        .f32Store(i * 4);
    for (let i = 0; i < 4; i++) fn.addTo(sp[i]!, 4);
    fn.addTo(d, stepBytes).addTo(k, -1).get(k).op(Op.brIf, 0);
    fn.op(Op.end);
    fn.op(Op.end);
  };

  fn.get(src).set(ps).get(dst).set(dp).get(panels).set(p);
  fn.op(Op.loop, BLOCK_VOID);
  {
    // valid = p == 1 ? lastValid : W
    fn.get(lastValid).i32(w).get(p).i32(1).op(Op.i32Eq).op(Op.select).set(valid);
    for (let g = 0; g + 4 <= w; g += 4) {
      fn.i32(g + 3)
        .get(valid)
        .op(Op.i32LtS)
        .op(Op.if, BLOCK_VOID);
      groupOfFour(g);
      fn.op(Op.else);
      for (let r = g; r < g + 4; r++) scalarRow(r);
      fn.op(Op.end);
    }
    for (let r = Math.floor(w / 4) * 4; r < w; r++) scalarRow(r);
    fn.get(ps).get(rs).i32(w).op(Op.i32Mul).op(Op.i32Add).set(ps);
    fn.get(dp)
      .get(kc)
      .i32(w * 4)
      .op(Op.i32Mul)
      .op(Op.i32Add)
      .set(dp);
    fn.addTo(p, -1).get(p).op(Op.brIf, 0);
  }
  fn.op(Op.end);
  return fn;
}
