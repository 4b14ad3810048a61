import { describe, expect, it } from 'vitest';
import { createBackend, listBackends } from '../backends.js';
import { createCpuBackend } from './index.js';

describe('cpu backend storage', () => {
  it('allocates zeroed storages and accounts memory', async () => {
    const cpu = await createCpuBackend();
    const a = cpu.alloc(10, 'float32');
    const b = cpu.alloc(4, 'bfloat16');
    expect(Array.from(cpu.readSync(a))).toEqual(new Array(10).fill(0));
    expect(cpu.memory()).toEqual({ bytesInUse: 48, storages: 2, peakBytes: 48, pooledBytes: 0, freshBytes: 48 });
    cpu.release(a);
    expect(cpu.memory()).toEqual({ bytesInUse: 8, storages: 1, peakBytes: 48, pooledBytes: 0, freshBytes: 48 });
    cpu.resetPeak();
    expect(cpu.memory().peakBytes).toBe(8);
    cpu.release(b);
    expect(cpu.memory().storages).toBe(0);
  });

  it('names the storage on double release and use after release', async () => {
    const cpu = await createCpuBackend();
    const s = cpu.upload(new Float32Array([1, 2, 3]), 'float32');
    cpu.release(s);
    expect(() => cpu.release(s)).toThrow(/storage #\d+ \(float32\[3\]\) was already released/);
    expect(() => cpu.readSync(s)).toThrow(/storage #\d+ \(float32\[3\]\) was used after release/);
    expect(() => cpu.run('exp', [{ storage: s, shape: [3], dtype: 'float32' }])).toThrow(
      /exp: input 0: storage #\d+ .* used after release/,
    );
  });

  it('converts on upload and read for float16, bfloat16 and int32', async () => {
    const cpu = await createCpuBackend();
    const h = cpu.upload(new Float32Array([1, 0.1, 65520, -2.5]), 'float16');
    expect(Array.from(await cpu.readRaw(h))).toEqual([0x3c00, 0x2e66, 0x7c00, 0xc100]);
    expect(Array.from(await cpu.read(h))).toEqual([1, 0.0999755859375, Infinity, -2.5]);
    const bf = cpu.upload(new Float32Array([1, 0.1]), 'bfloat16');
    expect(Array.from(await cpu.readRaw(bf))).toEqual([0x3f80, 0x3dcd]);
    const i = cpu.upload(new Float32Array([1.9, -1.9, NaN]), 'int32');
    expect(Array.from(await cpu.read(i))).toEqual([1, -1, 0]);
    expect(() => cpu.upload(new Uint16Array(2), 'float32')).toThrow(/raw float16\/bfloat16 bits/);
  });

  it('checks that a shape matches its storage', async () => {
    const cpu = await createCpuBackend();
    const s = cpu.alloc(6, 'float32');
    expect(() => cpu.run('exp', [{ storage: s, shape: [2, 2], dtype: 'float32' }])).toThrow(
      'exp: input 0 has shape [2, 2] (4 elements) but its storage holds 6',
    );
  });
});

describe('cpu backend lifecycle', () => {
  it('rejects bad allocations and any use after dispose', async () => {
    const cpu = await createCpuBackend();
    expect(() => cpu.alloc(-1, 'float32')).toThrow('cpu.alloc: size must be a non-negative integer, got -1');
    expect(() => cpu.alloc(1, 'float64' as never)).toThrow(/unknown dtype 'float64'/);
    const s = cpu.alloc(3, 'int32');
    cpu.dispose();
    expect(cpu.memory()).toEqual({ bytesInUse: 0, storages: 0, peakBytes: 12, pooledBytes: 0, freshBytes: 12 });
    expect(() => cpu.alloc(1, 'float32')).toThrow("backend 'cpu' was disposed");
    expect(() => cpu.readSync(s)).toThrow(/was used after release/);
  });
});

describe('cpu kernel profile', () => {
  it('counts calls and time per kernel when asked to', async () => {
    const cpu = await createCpuBackend({ profile: true });
    const s = cpu.upload(new Float32Array(1000), 'float32');
    for (let i = 0; i < 3; i++)
      cpu.release(cpu.run('exp', [{ storage: s, shape: [1000], dtype: 'float32' }])[0].storage);
    cpu.release(cpu.run('neg', [{ storage: s, shape: [1000], dtype: 'float32' }])[0].storage);
    const profile = cpu.kernelProfile();
    expect(profile.map((p) => [p.kernel, p.calls]).sort()).toEqual([
      ['exp', 3],
      ['neg', 1],
    ]);
    expect(profile.every((p) => p.ms >= 0)).toBe(true);
    cpu.resetKernelProfile();
    expect(cpu.kernelProfile()).toEqual([]);
    const quiet = await createCpuBackend();
    quiet.run('exp', [{ storage: quiet.upload(new Float32Array(1), 'float32'), shape: [1], dtype: 'float32' }]);
    expect(quiet.kernelProfile()).toEqual([]);
  });
});

describe('backend factory', () => {
  it('creates the cpu backend by name and lists the built-ins', async () => {
    const cpu = await createBackend('cpu');
    expect(cpu.name).toBe('cpu');
    expect(listBackends()).toEqual(expect.arrayContaining(['cpu', 'gpujs', 'webgpu']));
    await expect(createBackend('tpu')).rejects.toThrow(/unknown backend 'tpu' \(known backends: cpu, gpujs, webgpu/);
  });
});
