import type { DType } from '../dtype.js';
import {
  float32ArrayToBfloat16,
  float32ArrayToFloat16,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  floatToInt32,
} from '../dtype-convert.js';
import type { HostArray } from './storage.js';

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
      return Int32Array.from(values, floatToInt32);
  }
}

/** One number as stored in `dtype` (bits for half types). */
export function storedValue(value: number, dtype: DType): number {
  return dtype === 'float16'
    ? float32ToFloat16Bits(value)
    : dtype === 'bfloat16'
      ? float32ToBfloat16Bits(value)
      : dtype === 'int32'
        ? floatToInt32(value)
        : value;
}
