/**
 * Kernel profiles: the summary of timestamp pairs (pure), and the backend's
 * timed dispatches on a real adapter (lavapipe in CI). Skips the device part
 * where the machine has no WebGPU adapter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runByName } from '../run-by-name.js';
import type { TensorInfo } from '../backend.js';
import type { WebgpuBackend } from './backend.js';
import { formatKernelProfile, summariseKernelTimes } from './kernel-profile.js';
import { probeWebgpu } from './probe.js';

describe('summariseKernelTimes', () => {
  it('sums each shader’s [begin, end] pairs, longest total first', () => {
    const profile = summariseKernelTimes(
      ['add', 'matmul', 'add', 'matmul'],
      BigUint64Array.from([0n, 1_000_000n, 2_000_000n, 6_000_000n, 6_000_000n, 6_500_000n, 7_000_000n, 9_000_000n]),
    );
    expect(profile.dispatches).toBe(4);
    expect(profile.ms).toBeCloseTo(7.5, 12);
    expect(profile.kernels).toEqual([
      { shader: 'matmul', dispatches: 2, ms: 6 },
      { shader: 'add', dispatches: 2, ms: 1.5 },
    ]);
  });

  it('counts an end before its begin as zero', () => {
    const profile = summariseKernelTimes(['a'], BigUint64Array.from([5n, 3n]));
    expect(profile.kernels).toEqual([{ shader: 'a', dispatches: 1, ms: 0 }]);
  });

  it('refuses fewer timestamps than the dispatches need', () => {
    expect(() => summariseKernelTimes(['a', 'b'], BigUint64Array.from([0n, 1n, 2n]))).toThrow(
      'summariseKernelTimes: 2 dispatches need 4 timestamps, got 3',
    );
  });

  it('formats a table with shares and a total', () => {
    const text = formatKernelProfile(
      summariseKernelTimes(['mm', 'add'], BigUint64Array.from([0n, 3_000_000n, 0n, 1_000_000n])),
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^shader\s+dispatches\s+ms\s+share$/);
    expect(lines[1]).toMatch(/^mm\s+1\s+3\.000\s+75\.0%$/);
    expect(lines[2]).toMatch(/^add\s+1\s+1\.000\s+25\.0%$/);
    expect(lines[3]).toMatch(/^total\s+2\s+4\.000$/);
  });
});

const probe = await probeWebgpu();

describe.skipIf(!probe.available)('WebgpuBackend kernel profile', { timeout: 120_000 }, () => {
  let gpu: WebgpuBackend;
  beforeAll(async () => {
    gpu = await (await import('./index.js')).createWebgpuBackend({ maxDispatchesPerSubmit: 4 });
  });
  afterAll(async () => {
    await gpu?.dispose();
  });

  const upload = (values: number[], shape: number[]): TensorInfo => ({
    storage: gpu.upload(Float32Array.from(values), 'float32'),
    shape,
    dtype: 'float32',
  });

  it('times every dispatch between start and stop, across submissions, and the results stay right', async () => {
    const a = upload([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = upload([1, 0, 0, 1, 1, 1], [3, 2]);
    // Before the profile: not counted.
    runByName(gpu, 'add', [a, a]);
    gpu.startProfile();
    const outs: TensorInfo[] = [];
    // Ten dispatches with a submission forced every four: three submissions' timestamps.
    for (let i = 0; i < 5; i++) outs.push(runByName(gpu, 'matmul', [a, b])[0]!, runByName(gpu, 'add', [a, a])[0]!);
    const profile = await gpu.stopProfile();
    expect(profile.dispatches).toBe(10);
    const byShader = new Map(profile.kernels.map((k) => [k.shader, k]));
    expect([...byShader.values()].reduce((n, k) => n + k.dispatches, 0)).toBe(10);
    for (const k of profile.kernels) expect(k.ms).toBeGreaterThanOrEqual(0);
    expect(profile.ms).toBeCloseTo(
      profile.kernels.reduce((t, k) => t + k.ms, 0),
      9,
    );
    expect([...(await gpu.read(outs[0]!.storage))]).toEqual([4, 5, 10, 11]);
    expect([...(await gpu.read(outs[1]!.storage))]).toEqual([2, 4, 6, 8, 10, 12]);
    // After it: runs as before, untimed.
    runByName(gpu, 'add', [a, a]);
    await gpu.sync();
  });

  it("sums by shader and workgroup grid with by: 'grid'", async () => {
    const small = upload([1, 2, 3, 4], [2, 2]);
    const wide = upload(
      Array.from({ length: 4096 }, (_, i) => i % 5),
      [64, 64],
    );
    gpu.startProfile({ by: 'grid' });
    runByName(gpu, 'add', [small, small]);
    runByName(gpu, 'add', [wide, wide]);
    runByName(gpu, 'add', [wide, wide]);
    const profile = await gpu.stopProfile();
    const labels = profile.kernels.map((k) => k.shader);
    expect(labels).toHaveLength(2);
    for (const label of labels) expect(label).toMatch(/^elementwise\.binary \d+x\d+x\d+$/);
    expect(profile.kernels.map((k) => k.dispatches).sort()).toEqual([1, 2]);
  });

  it('refuses a grouping it does not know', () => {
    expect(() => gpu.startProfile({ by: 'kernel' as never })).toThrow(
      `options.by must be 'shader' or 'grid', got "kernel"`,
    );
  });

  it('says when a profile is open twice or stopped without one', async () => {
    await expect(gpu.stopProfile()).rejects.toThrow('no profile is open: startProfile() first');
    gpu.startProfile();
    expect(() => gpu.startProfile()).toThrow('a profile is already open: stopProfile() first');
    const empty = await gpu.stopProfile();
    expect(empty).toEqual({ kernels: [], dispatches: 0, ms: 0 });
  });

  it('names the missing feature on an adapter without timestamp queries', () => {
    const features = gpu.features;
    gpu.features = new Set([...features].filter((f) => f !== 'timestamp-query'));
    try {
      expect(() => gpu.startProfile()).toThrow("does not offer 'timestamp-query', which kernel timing needs");
    } finally {
      gpu.features = features;
    }
  });
});
