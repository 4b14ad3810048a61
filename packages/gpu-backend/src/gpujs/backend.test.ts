import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../backend.js';
import { KERNEL_NAMES } from '../kernel-spec.js';
import { conformanceOf } from '../conformance/types.js';
import { runConformance } from '../conformance/runner.js';
import { EXACT } from '../conformance/tolerances.js';
import { createCpuBackend } from '../cpu/index.js';
import { hasKernel, implement, listUnsupported, registerKernels, getKernelContract } from '../registry.js';
import { createGpujsBackend, probeGpujsMode, registerGpujsKernels, type GpujsBackend } from './index.js';

const webgpu = await probeGpujsMode('webgpu');

function info(be: GpujsBackend, data: number[], shape: number[], dtype: 'float32' | 'int32' = 'float32'): TensorInfo {
  const storage = be.upload(dtype === 'int32' ? Int32Array.from(data) : Float32Array.from(data), dtype);
  return { storage, shape, dtype };
}

describe('gpujs backend', () => {
  it('registers every contract kernel', () => {
    registerGpujsKernels();
    const declared = new Set(listUnsupported('gpujs').map((u) => u.name));
    const missing = KERNEL_NAMES.filter((name) => !hasKernel(name, 'gpujs') && !declared.has(name));
    expect(missing).toEqual([]);
  });

  it('rejects an unknown mode, naming the modes it has', async () => {
    await expect(createGpujsBackend({ mode: 'metal' as never })).rejects.toThrow(
      /unknown mode 'metal'.*cpu, webasm, webgpu/,
    );
  });

  it('reports why headless-gl is unavailable', async () => {
    const probe = await probeGpujsMode('headlessgl');
    if (probe.available) return;
    await expect(createGpujsBackend({ mode: 'headlessgl' })).rejects.toThrow(
      /mode 'headlessgl' is not available here: headless-gl/,
    );
  });

  it('stores float16 and bfloat16 with conversion and reads the raw bits', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const values = Float32Array.from([1, -2.5, 65504, 1 / 3]);
    const half = be.upload(values, 'float16');
    const brain = be.upload(values, 'bfloat16');
    expect(Array.from(await be.read(half))).toEqual([1, -2.5, 65504, 0.333251953125]);
    expect(Array.from(await be.read(brain))).toEqual([1, -2.5, 65536, 0.333984375]);
    expect(Array.from((await be.readRaw(half)) as Uint16Array)).toEqual([0x3c00, 0xc100, 0x7bff, 0x3555]);
    expect(be.memory().bytesInUse).toBe(16);
    be.release(half);
    be.release(brain);
  });

  it('accounts memory, tracks the peak and refuses a double release', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const a = be.alloc(10, 'float32');
    const b = be.alloc(4, 'int32');
    expect(be.memory()).toMatchObject({ bytesInUse: 56, storages: 2, peakBytes: 56 });
    be.release(a);
    expect(be.memory()).toMatchObject({ bytesInUse: 16, storages: 1, peakBytes: 56 });
    be.resetPeak();
    expect(be.memory().peakBytes).toBe(16);
    expect(() => be.release(a)).toThrow(/already released/);
    be.release(b);
  });

  it('refuses a released input and leaves nothing allocated when a kernel rejects its input', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const table = info(be, [1, 2, 3, 4], [2, 2]);
    const indices = info(be, [0, 5], [2], 'int32');
    const before = be.memory().bytesInUse;
    expect(() => be.run('gatherRows', [table, indices])).toThrow(/gatherRows: index 5 at position 1 is out of range/);
    expect(be.memory().bytesInUse).toBe(before);
    be.release(indices.storage);
    expect(() => be.run('gatherRows', [table, indices])).toThrow(/released/);
    be.release(table.storage);
  });

  it('runs eagerly in cpu mode (readSync works)', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const x = info(be, [1, 2, 3], [3]);
    const [y] = be.run('scalarOp', [x], { op: 'mul', scalar: 2 });
    expect(Array.from(be.readSync!(y.storage))).toEqual([2, 4, 6]);
  });

  it('addresses tensors beyond 2^24 elements exactly in cpu mode', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const rows = 131_072;
    const cols = 129; // 16.9M elements: past f32's exact integers
    const values = new Float32Array(rows * cols);
    for (let i = 0; i < values.length; i++) values[i] = i % 8191;
    const table: TensorInfo = { storage: be.upload(values, 'float32'), shape: [rows, cols], dtype: 'float32' };
    const ids = [rows - 1, rows - 3, 7];
    const [picked] = be.run('gatherRows', [table, info(be, ids, [3], 'int32')]);
    const got = await be.read(picked.storage);
    const expected = ids.flatMap((r) => Array.from(values.subarray(r * cols, r * cols + cols)));
    expect(Array.from(got)).toEqual(expected);
    const [taken] = be.run('takeAlongAxis', [
      table,
      info(
        be,
        Array.from({ length: rows }, (_, r) => (r * 31) % cols),
        [rows],
        'int32',
      ),
    ]);
    const pick = await be.read(taken.storage);
    expect(pick[rows - 1]).toBe(values[(rows - 1) * cols + (((rows - 1) * 31) % cols)]);
  });

  it('refuses tensors beyond 2^24 elements in f32-indexing modes, naming the kernel', async () => {
    const be = await createGpujsBackend({ mode: 'webasm' });
    const big: TensorInfo = { storage: be.alloc(2 ** 24 + 1, 'float32'), shape: [2 ** 24 + 1], dtype: 'float32' };
    expect(() => be.run('neg', [big])).toThrow(
      /^neg: input 0 has 16777217 elements; gpu.js's webasm kernels index in f32/,
    );
    be.release(big.storage);
  });

  it.skipIf(!webgpu.available)('queues kernels asynchronously in webgpu mode and keeps their order', async () => {
    const be = await createGpujsBackend({ mode: 'webgpu' });
    expect(be.readSync).toBeUndefined();
    const x = info(be, [1, 2, 3, 4], [2, 2]);
    const [y] = be.run('matmul', [x, x]);
    const [z] = be.run('add', [y, x]);
    be.release(y.storage); // already-enqueued work still reads it
    expect(Array.from(await be.read(z.storage))).toEqual([8, 12, 18, 26]);
    await be.sync();
  });

  it.skipIf(!webgpu.available)('surfaces an error raised inside queued webgpu work on the next read', async () => {
    const be = await createGpujsBackend({ mode: 'webgpu' });
    const x = info(be, [1, 2, 3, 4], [2, 2]);
    const [ids] = be.run('argmax', [x], { axis: 1 }); // in flight: [1, 1]
    const [bad] = be.run('scalarOp', [ids], { op: 'add', scalar: 7 });
    const [badIds] = be.run('cast', [bad], { dtype: 'int32' });
    const [rows] = be.run('gatherRows', [x, badIds]); // validated when the queue reaches it
    await expect(be.read(rows.storage)).rejects.toThrow(/an earlier kernel failed: gatherRows: index 8/);
    expect(() => be.run('copy', [x])).toThrow(/an earlier kernel failed/);
  });
  it('catches host code that stores past the end of an output (guard regions)', async () => {
    const be = await createGpujsBackend({ mode: 'cpu' });
    const cpu = await createCpuBackend();
    const square = getKernelContract('square')!;
    registerKernels([
      // Right values, one element too many: what a host kernel with an off-by-one loop stores.
      implement(square, 'gpujs-overrun', ({ inputs, backend }) => {
        const g = backend as GpujsBackend;
        const out = g.output(inputs[0].shape);
        g.host(() => {
          const x = g.floats(inputs[0]);
          g.storageOf(out).data = Float32Array.from({ length: x.length + 1 }, (_, i) => x[i] * x[i] || 0);
        });
        return out;
      }),
    ]);
    // The same backend under another name, so the planted kernel is the one its run finds.
    const overrun = Object.create(be, { name: { value: 'gpujs-overrun' } }) as GpujsBackend;
    const results = await runConformance(overrun, cpu, {
      kernels: ['square'],
      conformance: [conformanceOf(square, { tolerance: EXACT, cases: [{ name: '[5]', inputs: [{ shape: [5] }] }] })],
    });
    expect(results.map((r) => r.detail)).toEqual([
      expect.stringMatching(/a write out of bounds: output 0: a kernel stored 6 elements into a storage of 5/),
    ]);
  });
});
