/**
 * Storage types. Compute is float32 everywhere; float16 and bfloat16 are
 * storage formats (real checkpoints are bf16) converted by the `cast` kernel
 * and on upload/read. int32 holds indices (token ids, positions, segment ids).
 */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'int32';

export const DTYPES: readonly DType[] = ['float32', 'float16', 'bfloat16', 'int32'];

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
    case 'bfloat16':
      return 2;
    default:
      throw new Error(`unknown dtype '${String(dtype)}' (expected one of ${DTYPES.join(', ')})`);
  }
}

export function isFloat(dtype: DType): boolean {
  return dtype !== 'int32';
}
