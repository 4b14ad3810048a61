import { mulberry32 } from '@molrl/seeded-random';
import type { Backend, TensorInfo } from '../backend.js';
import { sizeOf } from '../shape.js';
import type { HostInput, InputSpec } from './types.js';

/** mulberry32: small, seedable, identical everywhere. */
export { mulberry32 as seededRandom };

/** A stable 32-bit seed from a string (FNV-1a), so each case has its own data. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function makeInput(spec: InputSpec, seed: number): HostInput {
  const dtype = spec.dtype ?? 'float32';
  const n = sizeOf(spec.shape);
  const rand = mulberry32(seed);
  const data = dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
  const values = spec.values ?? { uniform: [-1, 1] as [number, number] };
  for (let i = 0; i < n; i++) {
    if ('uniform' in values) data[i] = values.uniform[0] + (values.uniform[1] - values.uniform[0]) * rand();
    else if ('ints' in values) data[i] = values.ints[0] + Math.floor((values.ints[1] - values.ints[0]) * rand());
    else data[i] = values.values[i % values.values.length];
  }
  return { data, shape: [...spec.shape], dtype };
}

export function uploadInput(backend: Backend, input: HostInput): TensorInfo {
  return { storage: backend.upload(input.data, input.dtype), shape: input.shape, dtype: input.dtype };
}
