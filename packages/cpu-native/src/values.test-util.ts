/** Seeded values and half-precision bit conversions for the tests. */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function toBf16(x: number): number {
  f32[0] = x;
  return u32[0]! >>> 16; // truncation: the reference widens the same bits
}
export function fromBf16(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}
export function fromF16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0x1f) return man ? Number.NaN : sign * Infinity;
  if (exp === 0) return sign * man * 2 ** -24;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}
export function toF16(x: number): number {
  // Values here are small multiples of 2^-10 (exact in float16).
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const ax = Math.abs(x);
  const exp = Math.floor(Math.log2(ax));
  if (exp < -14) return sign | Math.round(ax / 2 ** -24);
  return sign | ((exp + 15) << 10) | (Math.round((ax / 2 ** exp - 1) * 1024) & 0x3ff);
}

/** The operands of a 2 x 3 x 4 product (A m x k, B k x n or n x k, C m x n), for the argument tests. */
export function smallProduct() {
  return { m: 2, n: 3, k: 4, a: new Float32Array(8), b: new Float32Array(12), c: new Float32Array(6) };
}
