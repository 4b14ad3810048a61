import type { Backend, TensorInfo } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { sizeOf } from '../../shape.js';
import type { WebgpuBackend } from '../backend.js';
import { asWebgpuStorage } from '../storage.js';

// The webgpu kernels take the shape arithmetic from here with the rest of their helpers.
export { sizeOf, stridesOf } from '../../shape.js';

export const WG = 256;

export function gpu(backend: Backend): WebgpuBackend {
  if (backend.name !== 'webgpu') throw new Error(`webgpu kernel called with backend '${backend.name}'`);
  return backend as WebgpuBackend;
}

/** The GPUBuffer of an input, checking it belongs to this backend and is alive. */
export function buf(info: TensorInfo, kernel: string, which = 'input'): GPUBuffer {
  return asWebgpuStorage(info.storage, `kernel '${kernel}' (${which})`).buffer;
}

/** A new output TensorInfo whose storage the kernel overwrites completely. */
export function output(
  backend: WebgpuBackend,
  shape: readonly number[],
  dtype: DType = 'float32',
  zeroed = false,
): TensorInfo {
  const size = sizeOf(shape);
  const storage = zeroed ? backend.alloc(size, dtype) : backend.createStorage(size, dtype);
  return { storage, shape: [...shape], dtype };
}

export function normAxis(axis: number, rank: number, kernel: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new Error(`kernel '${kernel}': axis ${axis} is out of range for rank ${rank}`);
  }
  return a;
}

export function requireInputs(inputs: readonly TensorInfo[], count: number, kernel: string): void {
  if (inputs.length < count) throw new Error(`kernel '${kernel}': expected ${count} inputs, got ${inputs.length}`);
}

export function requireFloat32(info: TensorInfo, kernel: string, which: string): void {
  if (info.dtype !== 'float32') throw new Error(`kernel '${kernel}': ${which} must be float32, got ${info.dtype}`);
}

export function requireInt32(info: TensorInfo, kernel: string, which: string): void {
  if (info.dtype !== 'int32') throw new Error(`kernel '${kernel}': ${which} must be int32, got ${info.dtype}`);
}

/** NumPy broadcast of shapes; names the kernel and both shapes on mismatch. */
export function broadcastShapes(shapes: readonly (readonly number[])[], kernel: string): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const v = k >= 0 ? s[k]! : 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) {
        throw new Error(
          `kernel '${kernel}': shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`,
        );
      }
      d = v;
    }
    out.push(d);
  }
  return out;
}

/** WGSL element type of a 4-byte storage dtype. */
export function wgslType(dtype: DType): 'f32' | 'i32' {
  if (dtype === 'float32') return 'f32';
  if (dtype === 'int32') return 'i32';
  throw new Error(`dtype ${dtype} has no direct WGSL element type (cast it to float32 first)`);
}
