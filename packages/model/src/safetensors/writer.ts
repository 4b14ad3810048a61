/**
 * Safetensors writer. Tensors are written one at a time (a tensor's bytes may
 * be produced lazily), so saving never needs the whole checkpoint in memory.
 * The file is written to a temporary name and renamed into place.
 */
import { open } from 'node:fs/promises';
import { writeAtomically } from '@molrl/progress';
import {
  dtypeByteSize,
  f32ToBf16,
  f32ToF16,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './dtypes.js';

export type TensorBytes = Float32Array | Uint16Array | Int32Array | BigInt64Array | Uint8Array | Float64Array;

export interface TensorToWrite {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Little-endian data already in `dtype` (or a function producing it when its turn comes). */
  data: TensorBytes | (() => Promise<TensorBytes> | TensorBytes);
}

function asBytes(data: TensorBytes): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Encode float32 values as `dtype` bytes (F32, F16 or BF16). */
export function encodeFloat32(values: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): Float32Array | Uint16Array {
  if (!(values instanceof Float32Array))
    throw new TypeError(
      `encodeFloat32: values must be a Float32Array, got ${Array.isArray(values) ? 'an array' : typeof values}`,
    );
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16')
    throw new TypeError(`encodeFloat32: dtype must be 'F32', 'F16' or 'BF16', got ${JSON.stringify(dtype)}`);
  if (dtype === 'F32') return values;
  if (dtype === 'BF16') return f32ToBf16(values);
  return f32ToF16(values);
}

/** Byte size of a tensor's data. */
export function tensorByteSize(t: Pick<TensorToWrite, 'dtype' | 'shape'>): number {
  return t.shape.reduce((a, b) => a * b, 1) * dtypeByteSize(t.dtype);
}

/** The header JSON (padded with spaces to a multiple of 8 bytes, as the reference implementation does). */
export function buildSafetensorsHeader(
  tensors: readonly Pick<TensorToWrite, 'name' | 'dtype' | 'shape'>[],
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`safetensors writer: tensor '${t.name}' given twice`);
    seen.add(t.name);
    const size = tensorByteSize(t);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

/**
 * Write tensors to `path` (sorted by element size then name, like the
 * reference implementation, so every tensor starts aligned to its element size).
 */
export async function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`writeSafetensors: path must be a non-empty string`);
  if (!Array.isArray(tensors))
    throw new TypeError('writeSafetensors: tensors must be an array of { name, dtype, shape, data }');
  tensors.forEach((t, i) => {
    const at = `safetensors writer: tensors[${i}]${typeof t?.name === 'string' ? ` ('${t.name}')` : ''}`;
    if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || t.name === '' || t.name === '__metadata__')
      throw new TypeError(`${at}: name must be a non-empty string other than __metadata__`);
    if (!isSafetensorsDType(t.dtype))
      throw new TypeError(
        `${at}: unknown dtype ${JSON.stringify(t.dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
      );
    if (!Array.isArray(t.shape) || !t.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0))
      throw new TypeError(`${at}: shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  });
  const ordered = [...tensors].sort(
    (a, b) => dtypeByteSize(b.dtype) - dtypeByteSize(a.dtype) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const header = buildSafetensorsHeader(ordered, metadata);
  await writeAtomically(path, async (tmp) => {
    const handle = await open(tmp, 'w');
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      await handle.write(len);
      await handle.write(header);
      for (const t of ordered) {
        const data = typeof t.data === 'function' ? await t.data() : t.data;
        const bytes = asBytes(data);
        const expected = tensorByteSize(t);
        if (bytes.byteLength !== expected) {
          throw new Error(
            `safetensors writer: tensor '${t.name}' (${t.dtype} [${t.shape.join(', ')}]) needs ${expected} bytes, got ${bytes.byteLength}`,
          );
        }
        await handle.write(bytes);
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    await handle.close();
  });
}
