import { describe, expect, it } from 'vitest';
import type { Backend } from './backend.js';
import { createCpuBackend } from './cpu/index.js';
import type { DType } from './dtype.js';
import { createGpujsBackend } from './gpujs/index.js';
import { probeWebgpu } from './webgpu/probe.js';

const probe = await probeWebgpu();

const BACKENDS: [string, () => Promise<Backend>][] = [
  ['cpu', () => createCpuBackend()],
  ['gpujs (cpu mode)', () => createGpujsBackend({ mode: 'cpu' })],
  ...(probe.available
    ? ([['webgpu', async () => (await import('./webgpu/index.js')).createWebgpuBackend()]] as [
        string,
        () => Promise<Backend>,
      ][])
    : []),
];

// Values each dtype holds exactly (halves: small integers and halves of them), an odd count for the half storages' padding.
const VALUES = Array.from({ length: 37 }, (_, i) => (i % 2 ? -1 : 1) * (i / 2));

describe.each(BACKENDS)('readInto on %s', (_, make) => {
  it("writes what read returns, for every dtype, into the target's first elements or all of them", async () => {
    const backend = await make();
    try {
      for (const dtype of ['float32', 'float16', 'bfloat16', 'int32'] as DType[]) {
        const data = dtype === 'int32' ? Int32Array.from(VALUES, Math.trunc) : Float32Array.from(VALUES);
        const storage = backend.upload(data, dtype);
        const read = await backend.read(storage);
        for (const n of [VALUES.length, 5, 0]) {
          // A view at an offset into shared memory, as a sampler pool's workers read it.
          const memory = new SharedArrayBuffer((n + 3) * 4);
          const shared = dtype === 'int32' ? new Int32Array(memory, 4, n) : new Float32Array(memory, 4, n);
          await backend.readInto!(storage, shared);
          expect([...shared], `${dtype}, ${n} elements`).toEqual([...read.subarray(0, n)]);
        }
        backend.release(storage);
      }
    } finally {
      await backend.dispose();
    }
  });

  it('names a target of the wrong type or longer than the storage', async () => {
    const backend = await make();
    try {
      const floats = backend.upload(new Float32Array(4), 'float32');
      const ints = backend.upload(new Int32Array(4), 'int32');
      await expect(backend.readInto!(floats, new Int32Array(4))).rejects.toThrow(
        /a float32 storage reads into Float32Array, not Int32Array/,
      );
      await expect(backend.readInto!(ints, new Float32Array(4))).rejects.toThrow(
        /an int32 storage reads into Int32Array, not Float32Array/,
      );
      await expect(backend.readInto!(floats, new Float32Array(5))).rejects.toThrow(
        /the target holds 5 elements, the storage 4/,
      );
      backend.release(floats);
      backend.release(ints);
    } finally {
      await backend.dispose();
    }
  });
});
