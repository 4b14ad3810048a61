import type { KernelAttrs, TensorInfo } from '../backend.js';
import { runByName } from '../run-by-name.js';
import type { DType } from '../dtype.js';
import { seededRandom } from '../conformance/host-data.js';
import { createCpuBackend, type CpuBackend } from './index.js';

export interface HostTensor {
  data: Float32Array | Int32Array;
  shape: number[];
}

/** Upload host tensors, run one cpu kernel (on the shared backend unless given one), read every output back. */
export async function runCpu(
  name: string,
  inputs: { data: ArrayLike<number>; shape: number[]; dtype?: DType }[],
  attrs: KernelAttrs = {},
  backend?: CpuBackend,
): Promise<HostTensor[]> {
  const cpu = backend ?? (await sharedCpu());
  const infos: TensorInfo[] = inputs.map(({ data, shape, dtype = 'float32' }) => ({
    storage: cpu.upload(dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data), dtype),
    shape,
    dtype,
  }));
  const outs = runByName(cpu, name, infos, attrs);
  const result = outs.map((o) => ({ data: cpu.readSync(o.storage), shape: [...o.shape] }));
  for (const o of outs) cpu.release(o.storage);
  for (const i of infos) cpu.release(i.storage);
  return result;
}

let shared: Promise<CpuBackend> | null = null;
export function sharedCpu(): Promise<CpuBackend> {
  shared ??= createCpuBackend();
  return shared;
}

export function randomArray(n: number, seed: number, low = -1, high = 1): Float32Array {
  const rand = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = low + (high - low) * rand();
  return out;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol = 1e-5, rtol = 1e-5): void {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      throw new Error(`element ${i}: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`);
    }
  }
}
