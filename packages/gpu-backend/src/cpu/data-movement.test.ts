import { describe, expect, it } from 'vitest';
import { KERNEL_NAMES } from '../kernel-spec.js';
import { listKernels } from '../registry.js';
import { runCpu, sharedCpu } from './cpu.test-util.js';

describe('cpu kernel set', () => {
  it('registers every kernel of KERNEL_SPECS', async () => {
    await sharedCpu();
    expect(listKernels('cpu')).toEqual([...KERNEL_NAMES].sort());
  });
});

describe('cpu gather, scatter and indexing kernels', () => {
  it('gathers rows and scatter-adds them back', async () => {
    const table = [0, 1, 10, 11, 20, 21];
    const [g] = await runCpu('gatherRows', [
      { data: table, shape: [3, 2] },
      { data: [2, 0, 2, 1], shape: [2, 2], dtype: 'int32' },
    ]);
    expect(g.shape).toEqual([2, 2, 2]);
    expect(Array.from(g.data)).toEqual([20, 21, 0, 1, 20, 21, 10, 11]);
    const [s] = await runCpu(
      'scatterAddRows',
      [
        { data: [1, 1, 2, 2, 3, 3], shape: [3, 2] },
        { data: [2, 0, 2], shape: [3], dtype: 'int32' },
      ],
      { numRows: 4 },
    );
    expect(Array.from(s.data)).toEqual([2, 2, 0, 0, 4, 4, 0, 0]);
    await expect(
      runCpu('gatherRows', [
        { data: table, shape: [3, 2] },
        { data: [3], shape: [1], dtype: 'int32' },
      ]),
    ).rejects.toThrow('gatherRows: index 3 at position 0 is out of range for a table of 3 rows');
    await expect(
      runCpu('gatherRows', [
        { data: table, shape: [3, 2] },
        { data: [1], shape: [1] },
      ]),
    ).rejects.toThrow('gatherRows: input 1 (indices) must be int32, got float32');
  });

  it('keeps the table dtype when gathering bfloat16 rows', async () => {
    const cpu = await sharedCpu();
    const table = cpu.upload(new Float32Array([1.5, -2, 3, 4]), 'bfloat16');
    const idx = cpu.upload(new Int32Array([1]), 'int32');
    const [out] = cpu.run('gatherRows', [
      { storage: table, shape: [2, 2], dtype: 'bfloat16' },
      { storage: idx, shape: [1], dtype: 'int32' },
    ]);
    expect(out.dtype).toBe('bfloat16');
    expect(Array.from(cpu.readSync(out.storage))).toEqual([3, 4]);
  });

  it('takes and puts along the last axis', async () => {
    const [t] = await runCpu('takeAlongAxis', [
      { data: [0, 1, 2, 3, 4, 5], shape: [2, 3] },
      { data: [2, 0], shape: [2], dtype: 'int32' },
    ]);
    expect(Array.from(t.data)).toEqual([2, 3]);
    const [p] = await runCpu(
      'putAlongAxis',
      [
        { data: [7, 8], shape: [2] },
        { data: [2, 0], shape: [2], dtype: 'int32' },
      ],
      { size: 3 },
    );
    expect(p.shape).toEqual([2, 3]);
    expect(Array.from(p.data)).toEqual([0, 0, 7, 8, 0, 0]);
  });

  it('selects with where under broadcasting', async () => {
    const [w] = await runCpu('where', [
      { data: [1, 0], shape: [2, 1] },
      { data: [1, 2, 3], shape: [3] },
      { data: [-1], shape: [] },
    ]);
    expect(Array.from(w.data)).toEqual([1, 2, 3, -1, -1, -1]);
  });
});

describe('cpu layout kernels', () => {
  const x = Array.from({ length: 24 }, (_, i) => i);

  it('transposes any permutation', async () => {
    const [t] = await runCpu('transpose', [{ data: x, shape: [2, 3, 4] }], { perm: [2, 0, 1] });
    expect(t.shape).toEqual([4, 2, 3]);
    const at = (i: number, j: number, k: number) => i * 12 + j * 4 + k;
    const expected: number[] = [];
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expected.push(at(i, j, k));
    expect(Array.from(t.data)).toEqual(expected);
    await expect(runCpu('transpose', [{ data: x, shape: [2, 3, 4] }], { perm: [0, 0, 1] })).rejects.toThrow(
      /transpose: perm \[0,0,1\] is not a permutation/,
    );
  });

  it('slices and pads back with sliceGrad', async () => {
    const [s] = await runCpu('slice', [{ data: x, shape: [2, 3, 4] }], { begin: [1, 1, 1], size: [1, -1, 2] });
    expect(s.shape).toEqual([1, 2, 2]);
    expect(Array.from(s.data)).toEqual([17, 18, 21, 22]);
    const [g] = await runCpu('sliceGrad', [{ data: s.data, shape: s.shape }], {
      begin: [1, 1, 1],
      inputShape: [2, 3, 4],
    });
    expect(Array.from(g.data)).toEqual(x.map((v) => ([17, 18, 21, 22].includes(v) ? v : 0)));
    await expect(
      runCpu('slice', [{ data: x, shape: [2, 3, 4] }], { begin: [0, 0, 3], size: [1, 1, 2] }),
    ).rejects.toThrow('slice: begin [0, 0, 3] size [1, 1, 2] is out of bounds for [2, 3, 4] at axis 2');
  });

  it('concatenates along any axis, size-0 parts included', async () => {
    const [c] = await runCpu(
      'concat',
      [
        { data: [1, 2, 3, 4], shape: [2, 2] },
        { data: [], shape: [2, 0] },
        { data: [5, 6], shape: [2, 1] },
      ],
      { axis: 1 },
    );
    expect(c.shape).toEqual([2, 3]);
    expect(Array.from(c.data)).toEqual([1, 2, 5, 3, 4, 6]);
    await expect(
      runCpu(
        'concat',
        [
          { data: [1, 2], shape: [2] },
          { data: [1, 2], shape: [1, 2] },
        ],
        { axis: 0 },
      ),
    ).rejects.toThrow(/concat: shapes \[2\], \[1, 2\] differ/);
  });
});

describe('cpu dtype, fill and random kernels', () => {
  it('casts between every pair of dtypes', async () => {
    const cpu = await sharedCpu();
    const src = cpu.upload(new Float32Array([1.7, -1.7, 65520, 0.1]), 'float32');
    const info = { storage: src, shape: [4], dtype: 'float32' as const };
    const [h] = cpu.run('cast', [info], { dtype: 'float16' });
    expect(Array.from(await cpu.readRaw(h.storage))).toEqual([0x3ecd, 0xbecd, 0x7c00, 0x2e66]);
    const [i] = cpu.run('cast', [h], { dtype: 'int32' });
    expect(Array.from(cpu.readSync(i.storage))).toEqual([1, -1, 2147483647, 0]);
    const [bf] = cpu.run('cast', [i], { dtype: 'bfloat16' });
    expect(Array.from(cpu.readSync(bf.storage))).toEqual([1, -1, 2147483648, 0]);
    const [back] = cpu.run('cast', [bf], { dtype: 'float32' });
    expect(back.dtype).toBe('float32');
    expect(Array.from(cpu.readSync(back.storage))).toEqual([1, -1, 2147483648, 0]);
  });

  it('fills and copies', async () => {
    const [f] = await runCpu('fill', [], { shape: [2, 2], value: 2.5 });
    expect(Array.from(f.data)).toEqual([2.5, 2.5, 2.5, 2.5]);
    const [fi] = await runCpu('fill', [], { shape: [3], value: -2.9, dtype: 'int32' });
    expect(Array.from(fi.data)).toEqual([-2, -2, -2]);
    const [c] = await runCpu('copy', [{ data: [1, 2], shape: [2] }]);
    expect(Array.from(c.data)).toEqual([1, 2]);
  });

  it('draws reproducible random tensors from (seed, index)', async () => {
    const [u1] = await runCpu('randomUniform', [], { shape: [3, 5], seed: 11, low: -2, high: 2 });
    const [u2] = await runCpu('randomUniform', [], { shape: [15], seed: 11, low: -2, high: 2 });
    expect(Array.from(u1.data)).toEqual(Array.from(u2.data));
    expect(Array.from(u1.data).every((v) => v >= -2 && v < 2)).toBe(true);
    const [n] = await runCpu('randomNormal', [], { shape: [5], seed: 11, mean: 3, std: 0 });
    expect(Array.from(n.data)).toEqual([3, 3, 3, 3, 3]);
    await expect(runCpu('randomNormal', [], { shape: [5], seed: -1 })).rejects.toThrow(
      'randomNormal: attrs.seed must be an integer in [0, 2^53), got -1',
    );
  });
});
