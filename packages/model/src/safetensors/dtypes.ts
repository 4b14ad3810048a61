/**
 * Safetensors element types and their conversion to and from float32.
 * float16/bfloat16 narrowing rounds to nearest even, as PyTorch does.
 */

/** Every dtype the safetensors format defines (header validation accepts all of them). */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;

export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

export function isSafetensorsDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(value);
}

/** The floating-point dtypes a float32 weight can be read from (an integer tensor read as floats is garbage). */
export const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'] as const satisfies readonly SafetensorsDType[];

export function isFloatDType(dtype: SafetensorsDType): boolean {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN exactly for NaN and the infinities; a cheaper test than Number.isFinite in this loop.
    if (v - v !== 0) return i;
  }
  return -1;
}

export function dtypeByteSize(dtype: SafetensorsDType): number {
  switch (dtype) {
    case 'BOOL':
    case 'U8':
    case 'I8':
    case 'F8_E5M2':
    case 'F8_E4M3':
      return 1;
    case 'I16':
    case 'U16':
    case 'F16':
    case 'BF16':
      return 2;
    case 'I32':
    case 'U32':
    case 'F32':
      return 4;
    case 'F64':
    case 'I64':
    case 'U64':
      return 8;
  }
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bfloat16 bits -> float32: the high half of a float32. */
export function bf16ToF32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return dst;
}

/** float32 -> bfloat16 bits, round-to-nearest-even; NaN stays a quiet NaN. */
export function f32ToBf16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    if ((x & 0x7fffffff) > 0x7f800000) {
      dst[i] = ((x >>> 16) | 0x40) & 0xffff;
      continue;
    }
    dst[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return dst;
}

/** IEEE half bits -> float32. */
export function f16ToF32(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  for (let i = 0; i < src.length; i++) {
    const h = src[i];
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    let bits: number;
    if (exp === 0) {
      if (mant === 0) {
        bits = sign;
      } else {
        // Subnormal half: value = mant * 2^-24, exact in float32.
        f32Scratch[0] = mant * 5.960464477539063e-8;
        bits = sign | u32Scratch[0];
      }
    } else if (exp === 0x1f) {
      bits = sign | 0x7f800000 | (mant << 13);
    } else {
      bits = sign | ((exp + 112) << 23) | (mant << 13);
    }
    u32Scratch[0] = bits >>> 0;
    dst[i] = f32Scratch[0];
  }
  return dst;
}

/** float32 -> IEEE half bits, round-to-nearest-even, overflow to infinity. */
export function f32ToF16(src: Float32Array, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) {
      dst[i] = sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 0x1f) {
      dst[i] = sign | 0x7c00;
      continue;
    }
    if (e <= 0) {
      if (e < -10) {
        dst[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rem = mant & ((1 << shift) - 1);
      let m = mant >>> shift;
      if (rem > half || (rem === half && m & 1)) m++;
      dst[i] = sign | m;
      continue;
    }
    let h = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
    dst[i] = sign | h;
  }
  return dst;
}

/** Copy `bytes` into a fresh, aligned ArrayBuffer (file reads may be unaligned). */
function aligned(bytes: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(buf).set(bytes);
  return buf;
}

function alignedView<T>(bytes: Uint8Array, size: number, make: (buf: ArrayBuffer, off: number, len: number) => T): T {
  if (bytes.byteOffset % size === 0)
    return make(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength / size);
  return make(aligned(bytes), 0, bytes.byteLength / size);
}

/**
 * Decode little-endian tensor bytes to float32. `name` is used in errors.
 * Integer types are converted exactly where float32 allows (int64 beyond 2^53 is an error).
 */
export function bytesToFloat32(bytes: Uint8Array, dtype: SafetensorsDType, name: string): Float32Array {
  switch (dtype) {
    case 'F32':
      return alignedView(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
    case 'BF16':
      return bf16ToF32(alignedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'F16':
      return f16ToF32(alignedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n)));
    case 'F64':
      return Float32Array.from(alignedView(bytes, 8, (b, o, n) => new Float64Array(b, o, n)));
    case 'I32':
      return Float32Array.from(alignedView(bytes, 4, (b, o, n) => new Int32Array(b, o, n)));
    case 'I64': {
      const src = alignedView(bytes, 8, (b, o, n) => new BigInt64Array(b, o, n));
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        if (v > 9007199254740991n || v < -9007199254740991n) {
          throw new Error(`safetensors tensor '${name}': I64 value ${v} at index ${i} does not fit a float`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    default:
      throw new Error(
        `safetensors tensor '${name}': dtype ${dtype} cannot be converted to float32 (supported: F32, F16, BF16, F64, I32, I64)`,
      );
  }
}

/** Decode I32/I64 tensor bytes to int32 (I64 values must fit int32). */
export function bytesToInt32(bytes: Uint8Array, dtype: SafetensorsDType, name: string): Int32Array {
  if (dtype === 'I32') return alignedView(bytes, 4, (b, o, n) => new Int32Array(b, o, n));
  if (dtype === 'I64') {
    const src = alignedView(bytes, 8, (b, o, n) => new BigInt64Array(b, o, n));
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      if (v > 2147483647n || v < -2147483648n) {
        throw new Error(`safetensors tensor '${name}': I64 value ${v} at index ${i} does not fit int32`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  throw new Error(`safetensors tensor '${name}': dtype ${dtype} is not an integer type (expected I32 or I64)`);
}

/** Raw 16-bit words of an F16/BF16 tensor, without widening. */
export function bytesToUint16(bytes: Uint8Array, dtype: SafetensorsDType, name: string): Uint16Array {
  if (dtype !== 'F16' && dtype !== 'BF16') {
    throw new Error(`safetensors tensor '${name}': dtype ${dtype} is not a 16-bit float type (expected F16 or BF16)`);
  }
  return alignedView(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
}
