import type { DType } from '../../dtype.js';
import { float32ArrayToBfloat16, float32ArrayToFloat16, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../dtype-convert.js';
import type { HostArray } from '../storage.js';

/** float -> int32: truncate toward zero, saturate, NaN -> 0 (as WGSL's i32(f32) and the reference do). */
export function truncToInt32(x: number): number {
  if (x !== x) return 0;
  if (x >= 2147483647) return 2147483647;
  if (x <= -2147483648) return -2147483648;
  return Math.trunc(x);
}

/** float32 values as the host array of `dtype`. */
export function fromFloat32(values: Float32Array, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32':
      return values;
    case 'float16':
      return float32ArrayToFloat16(values);
    case 'bfloat16':
      return float32ArrayToBfloat16(values);
    case 'int32':
      return Int32Array.from(values, truncToInt32);
  }
}

/** One number as stored in `dtype` (bits for half types). */
export function storedValue(value: number, dtype: DType): number {
  return dtype === 'float16'
    ? float32ToFloat16Bits(value)
    : dtype === 'bfloat16'
      ? float32ToBfloat16Bits(value)
      : dtype === 'int32'
        ? truncToInt32(value)
        : value;
}
