/**
 * float32 <-> float16 / bfloat16 bit conversions, round-to-nearest-even, with
 * NaN, infinities and subnormals handled exactly as IEEE 754 (and PyTorch) do.
 * Half-precision values travel as their raw 16-bit patterns (Uint16Array).
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Raw IEEE bits of the float32 nearest to `x`. */
export function float32Bits(x: number): number {
  scratchF32[0] = x;
  return scratchU32[0];
}

/** The float32 whose raw bits are `bits`. */
export function float32FromBits(bits: number): number {
  scratchU32[0] = bits >>> 0;
  return scratchF32[0];
}

/** float32 value -> float16 bits (round to nearest, ties to even). */
export function float32ToFloat16Bits(x: number): number {
  return f16FromF32Bits(float32Bits(x));
}

function f16FromF32Bits(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) {
    // Inf stays Inf; NaN keeps its top payload bits and is forced quiet.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const halfExp = exp - 112; // rebias 127 -> 15
  if (halfExp >= 0x1f) return sign | 0x7c00;
  if (halfExp <= 0) {
    // Subnormal half: value = m * 2^-24 with m = full >> (14 - halfExp).
    if (halfExp < -10) return sign; // below half the smallest subnormal
    const full = mant | 0x800000;
    const shift = 14 - halfExp;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (m & 1) === 1)) m++;
    return sign | m; // m may carry into the smallest normal, which encodes correctly
  }
  let h = (halfExp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may reach Inf: correct
  return sign | h;
}

let f16Table: Float32Array | null = null;

/** All 65536 float16 values widened to float32 (built once, 256 KiB). */
function float16Table(): Float32Array {
  if (f16Table) return f16Table;
  const table = new Float32Array(65536);
  const bits = new Uint32Array(table.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0x1f) {
      bits[h] = sign | 0x7f800000 | (mant << 13);
    } else if (exp === 0) {
      table[h] = (sign ? -mant : mant) * 2 ** -24; // exact: subnormal halves are normal floats
      if (mant === 0) bits[h] = sign;
    } else {
      bits[h] = sign | ((exp + 112) << 23) | (mant << 13);
    }
  }
  f16Table = table;
  return table;
}

/** float16 bits -> float32 value (exact). */
export function float16BitsToFloat32(h: number): number {
  return float16Table()[h & 0xffff];
}

/** float32 value -> bfloat16 bits (round to nearest, ties to even). */
export function float32ToBfloat16Bits(x: number): number {
  return bf16FromF32Bits(float32Bits(x));
}

function bf16FromF32Bits(b: number): number {
  if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) {
    return (b >>> 16) | 0x0040; // NaN: keep sign and top payload, force quiet
  }
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** bfloat16 bits -> float32 value (exact). */
export function bfloat16BitsToFloat32(h: number): number {
  return float32FromBits((h & 0xffff) << 16);
}

/** Convert a whole float32 array to float16 bits. */
export function float32ArrayToFloat16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) dst[i] = f16FromF32Bits(bits[i]);
  return dst;
}

/** Convert float16 bits to a float32 array. */
export function float16ArrayToFloat32(
  src: Uint16Array,
  dst: Float32Array = new Float32Array(src.length),
): Float32Array {
  const table = float16Table();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]];
  return dst;
}

/** Convert a whole float32 array to bfloat16 bits. */
export function float32ArrayToBfloat16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) dst[i] = bf16FromF32Bits(bits[i]);
  return dst;
}

/** Convert bfloat16 bits to a float32 array. */
export function bfloat16ArrayToFloat32(
  src: Uint16Array,
  dst: Float32Array = new Float32Array(src.length),
): Float32Array {
  const bits = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return dst;
}

/** float -> int32 as the `cast` kernel does it: truncate toward zero, saturate at the int32 range, NaN -> 0 (as WGSL's i32(f32)). */
export function floatToInt32(x: number): number {
  if (x !== x) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}
