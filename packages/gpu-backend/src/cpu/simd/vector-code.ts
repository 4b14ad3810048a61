/**
 * What the row and elementwise kernels of simd/ emit on top of the GEMM's
 * WebAssembly encoder (cpu/matmul/wasm-encoder.ts): the SIMD opcodes it does
 * not name, float constants, counted loops, and exp(x) on four lanes.
 */
import { BLOCK_VOID, FunctionBuilder, I32, Op, V128 } from '../matmul/wasm-encoder.js';

/** SIMD sub-opcodes (after the 0xfd prefix) beyond the encoder's table. */
export const V = {
  load32Splat: 0x09,
  store32Lane: 0x5a,
  i32x4Splat: 0x11,
  i8x16Shuffle: 0x0d,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  f32x4Ge: 0x46,
  v128And: 0x4e,
  v128Bitselect: 0x52,
  i32x4Shl: 0xab,
  i32x4Add: 0xae,
  f32x4Abs: 0xe0,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
  /** b < a ? a : b lane-wise: one maxps on x64 (a NaN a is kept, a NaN b is not). */
  f32x4Pmax: 0xeb,
  /** b < a ? b : a lane-wise: one minps on x64 (a NaN a is kept). */
  f32x4Pmin: 0xea,
  f64x2Add: 0xf0,
  f64x2Mul: 0xf2,
  f64x2PromoteLowF32x4: 0x5f,
} as const;

const F32_BITS = new DataView(new ArrayBuffer(4));

/** The constants of exp: Cephes' expf coefficients and range-reduction parts. */
const EXP_CONSTANTS = {
  low: -87.33654,
  high: 88.37626,
  inf: Infinity,
  log2e: 1.4426950408889634,
  magic: 12582912, // 1.5 * 2^23
  ln2Hi: 0.693359375,
  ln2Lo: -2.1219444e-4,
  p0: 1.98756915e-4,
  p1: 1.3981999507e-3,
  p2: 8.3334519073e-3,
  p3: 4.1665795894e-2,
  p4: 1.6666665459e-1,
  p5: 5.0000001201e-1,
  one: 1,
  zero: 0,
} as const;

/** Locals holding exp's constants (and the i32 exponent bias), and three scratch v128 locals. */
export type ExpConstants = Record<keyof typeof EXP_CONSTANTS | 'bias', number> & {
  scratch: readonly [number, number, number];
};

/** The bits of a float32, as an i32 constant's value. */
export function f32Bits(value: number): number {
  F32_BITS.setFloat32(0, value, true);
  return F32_BITS.getInt32(0, true);
}

/** A function body builder with the vector helpers the kernels share. */
export class VectorCode extends FunctionBuilder {
  /** Push `value` on all four lanes. */
  f32x4(value: number): this {
    return this.i32(f32Bits(value)).simd(V.i32x4Splat);
  }

  /** Pop two f32x4, push op(a, b). */
  v(op: number): this {
    return this.simd(op);
  }

  /** v128.load32_splat at `ptr local + offset`. */
  loadSplat(ptr: number, offset = 0): this {
    return this.get(ptr).simd(V.load32Splat, 2, offset);
  }

  /** Store lane 0 of the v128 on the stack at `ptr local` (the value is pushed after the address). */
  storeLane0(offset = 0): this {
    return this.simd(V.store32Lane, 2, offset, 0);
  }

  /**
   * `for (counter = count; counter >= step; counter -= step) body()`, the
   * body's pointers advanced by `advance` bytes each (counter: an i32 local).
   */
  countedLoop(counter: number, step: number, pointers: readonly number[], advance: number, body: () => void): this {
    this.op(Op.block, BLOCK_VOID);
    this.get(counter).i32(step).op(Op.i32LtS).op(Op.brIf, 0);
    this.op(Op.loop, BLOCK_VOID);
    body();
    for (const p of pointers) this.addTo(p, advance);
    this.addTo(counter, -step);
    this.get(counter).i32(step).op(Op.i32GeS).op(Op.brIf, 0);
    this.op(Op.end);
    this.op(Op.end);
    return this;
  }

  /** A fresh v128 local. */
  vec(): number {
    return this.local(V128);
  }

  int(): number {
    return this.local(I32);
  }

  /**
   * Locals holding the constants of `expInPlace`, set once at the point of
   * the call (before a loop): a constant materialised inside the loop costs
   * three instructions per use on x64.
   */
  expConstants(): ExpConstants {
    const c = {} as Record<keyof typeof EXP_CONSTANTS, number>;
    for (const [name, value] of Object.entries(EXP_CONSTANTS) as [keyof typeof EXP_CONSTANTS, number][]) {
      c[name] = this.vec();
      this.f32x4(value).set(c[name]);
    }
    const bias = this.vec();
    this.i32(127).simd(V.i32x4Splat).set(bias);
    return { ...c, bias, scratch: [this.vec(), this.vec(), this.vec()] };
  }

  /**
   * Replace the f32x4 in local `x` by e^x on each lane. Cephes' expf: x =
   * k ln2 + r with k the nearest integer to x log2 e, ln2 in two parts, a
   * degree-5 polynomial for e^r, 2^k from the exponent bits; within 2 float32
   * ulp. k is rounded by adding 1.5 * 2^23 (its low bits are then k itself:
   * no float-to-int conversion, which V8 expands to several instructions on
   * x64), and the clamps are pseudo-min/max (one minps/maxps each). Below
   * -87.33 the result is 0 (the float32 value is a subnormal at most), above
   * 88.37 Infinity (also for the last float32 values below overflow, up to
   * 88.72); NaN stays NaN.
   */
  expInPlace(x: number, c: ExpConstants): this {
    return this.expInPlaceAll([x], c, [c.scratch]);
  }

  /**
   * `expInPlace` on each of `xs`, step by step across them (each x its own scratch
   * triple): the steps of one x are a chain of dependent operations, and the chains
   * side by side give the out-of-order core independent work within its window.
   */
  expInPlaceAll(xs: readonly number[], c: ExpConstants, scratch: readonly (readonly [number, number, number])[]): this {
    const each = (step: (x: number, t: number, r: number, p: number) => void) =>
      xs.forEach((x, i) => step(x, scratch[i]![0], scratch[i]![1], scratch[i]![2]));
    // t = clamp(x) log2 e + 1.5 * 2^23: k in its low mantissa bits; r = clamp(x) for now
    each((x, t, r) => {
      this.get(x).get(c.low).v(V.f32x4Pmax).get(c.high).v(V.f32x4Pmin).set(r);
      this.get(r).get(c.log2e).v(V.f32x4Mul).get(c.magic).v(V.f32x4Add).set(t);
    });
    // r = x - k C1 - k C2, k = t - 1.5 * 2^23 (exact)
    each((_x, t, r, p) => {
      this.get(t).get(c.magic).v(V.f32x4Sub).set(p);
      this.get(r).get(p).get(c.ln2Hi).v(V.f32x4Mul).v(V.f32x4Sub);
      this.get(p).get(c.ln2Lo).v(V.f32x4Mul).v(V.f32x4Sub).set(r);
    });
    // e^r = p(r) r^2 + r + 1, p by Horner
    each((_x, _t, _r, p) => this.get(c.p0).set(p));
    for (const k of [c.p1, c.p2, c.p3, c.p4, c.p5])
      each((_x, _t, r, p) => this.get(p).get(r).v(V.f32x4Mul).get(k).v(V.f32x4Add).set(p));
    each((_x, _t, r, p) => {
      this.get(p).get(r).v(V.f32x4Mul).get(r).v(V.f32x4Mul).get(r).v(V.f32x4Add).get(c.one).v(V.f32x4Add).set(p);
    });
    // * 2^k: exponent bits (bits(t) + 127) << 23, the magic's own bits shifted out
    each((_x, t, _r, p) => this.get(p).get(t).get(c.bias).v(V.i32x4Add).i32(23).v(V.i32x4Shl).v(V.f32x4Mul).set(p));
    // below LOW: 0, above HIGH: Infinity (NaN compares false and stays NaN)
    each((x, _t, _r, p) => {
      this.get(c.zero).get(p).get(x).get(c.low).v(V.f32x4Lt).v(V.v128Bitselect).set(p);
      this.get(c.inf).get(p).get(x).get(c.high).v(V.f32x4Gt).v(V.v128Bitselect).set(x);
    });
    return this;
  }
}
