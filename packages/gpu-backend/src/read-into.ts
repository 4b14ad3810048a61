/**
 * What `readInto` shares across backends: the target's checks, and widening a
 * storage's elements as stored into it.
 */
import type { DType } from './dtype.js';
import { bfloat16ArrayToFloat32, float16ArrayToFloat32 } from './dtype-convert.js';

/**
 * A `readInto` target of a storage of `dtype` holding `size` elements: a
 * Float32Array for float storages, an Int32Array for int32, of at most `size`
 * elements (the storage's first ones are read).
 */
export function checkReadTarget(dtype: DType, size: number, target: unknown, context: string): void {
  const want = dtype === 'int32' ? Int32Array : Float32Array;
  if (!(target instanceof want)) {
    const got = (target as object | null)?.constructor?.name ?? String(target);
    throw new TypeError(
      `${context}: ${dtype === 'int32' ? 'an' : 'a'} ${dtype} storage reads into ${want.name}, not ${got}`,
    );
  }
  if (target.length > size)
    throw new RangeError(`${context}: the target holds ${target.length} elements, the storage ${size}`);
}

/** The first `target.length` of `stored` (a storage's elements as stored: float32, int32 or half bits), widened into `target`. */
export function widenInto(
  stored: Float32Array | Int32Array | Uint16Array,
  dtype: DType,
  target: Float32Array | Int32Array,
): void {
  const n = target.length;
  if (dtype === 'float16') float16ArrayToFloat32((stored as Uint16Array).subarray(0, n), target as Float32Array);
  else if (dtype === 'bfloat16') bfloat16ArrayToFloat32((stored as Uint16Array).subarray(0, n), target as Float32Array);
  else target.set((stored as Float32Array | Int32Array).subarray(0, n));
}
