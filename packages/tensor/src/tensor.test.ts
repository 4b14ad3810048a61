import { beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  arange,
  full,
  gather,
  getBackend,
  matmul,
  memory,
  ones,
  rand,
  randn,
  reshape,
  setBackend,
  tensor,
  transpose,
  zeros,
  scalar,
  Tensor,
} from './index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('creation and data', () => {
  it('tensor from flat and nested values, shape and dtype', async () => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(await a.data())).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(b.shape).toEqual([2, 2]);
    expect(await b.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const s = scalar(3);
    expect(s.shape).toEqual([]);
    expect(await s.item()).toBe(3);
  });
  it('int32 tensors: data() widens to Float32Array, intData() gives Int32Array', async () => {
    const i = tensor(Int32Array.from([3, -1, 7]), [3]);
    expect(i.dtype).toBe('int32');
    expect(await i.data()).toBeInstanceOf(Float32Array);
    expect(Array.from(await i.intData())).toEqual([3, -1, 7]);
    expect(() => tensor([1.5], [1], { dtype: 'int32' })).toThrow(/not an int32/);
  });
  it('dataInto writes the data into a target (shared memory, a longer buffer) and names a bad one', async () => {
    const target = new Float32Array(new SharedArrayBuffer(6 * 4));
    const f = tensor([1.5, -2, 3], [3]);
    const view = await f.dataInto(target);
    expect(view.buffer).toBe(target.buffer);
    expect([...target]).toEqual([1.5, -2, 3, 0, 0, 0]);
    expect([...(await tensor([1, 1.00390625], [2], { dtype: 'bfloat16' }).dataInto(target))]).toEqual([1, 1]);
    expect([...(await tensor(Int32Array.from([7, -4]), [2]).dataInto(target))]).toEqual([7, -4]);
    // a view of a reshaped tensor: its own elements
    expect([...(await reshape(tensor([1, 2, 3, 4], [2, 2]), [4]).dataInto(target))]).toEqual([1, 2, 3, 4]);
    await expect(f.dataInto(new Float32Array(2))).rejects.toThrow(/target holds 2 elements, the tensor 3/);
    await expect(f.dataInto(new Int32Array(3) as unknown as Float32Array)).rejects.toThrow(
      /needs a Float32Array, got Int32Array/,
    );
  });
  it('bfloat16 storage rounds on upload and widens on read', async () => {
    const h = tensor([1, 1.00390625, 3.14159], [3], { dtype: 'bfloat16' });
    expect(h.dtype).toBe('bfloat16');
    expect(Array.from(await h.data())).toEqual([1, 1, 3.140625]);
  });
  it('gather on a bfloat16 table gives bfloat16 rows without widening the table', async () => {
    const table = tensor([1, 2, 3, 4, 5.5, 6], [3, 2], { dtype: 'bfloat16' });
    const rows = gather(table, tensor(Int32Array.from([2, 0]), [2]));
    expect(rows.dtype).toBe('bfloat16');
    expect(rows.shape).toEqual([2, 2]);
    expect(Array.from(await rows.data())).toEqual([5.5, 6, 1, 2]);
    const trained = tensor([1, 2], [1, 2], { dtype: 'bfloat16', requiresGrad: true });
    expect(() => gather(trained, tensor(Int32Array.from([0]), [1]))).toThrow(/bfloat16 table cannot take gradients/);
    expect(() => gather(tensor(Int32Array.from([1, 2]), [2, 1]), tensor(Int32Array.from([0]), [1]))).toThrow(
      /gather: table must be a float tensor/,
    );
  });
  it('zeros, ones, full, arange', async () => {
    expect(Array.from(await zeros([2, 2]).data())).toEqual([0, 0, 0, 0]);
    expect(Array.from(await ones([3]).data())).toEqual([1, 1, 1]);
    expect(Array.from(await full([2], 2.5).data())).toEqual([2.5, 2.5]);
    expect(Array.from(await arange(1, 7, 2).data())).toEqual([1, 3, 5]);
    expect(Array.from(await arange(3, undefined, 1, { dtype: 'int32' }).intData())).toEqual([0, 1, 2]);
  });
  it('seeded random is reproducible and has the asked moments', async () => {
    const a = await randn([4096], { seed: 7 }).data();
    const b = await randn([4096], { seed: 7 }).data();
    expect(a).toEqual(b);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    const v = a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length;
    expect(Math.abs(m)).toBeLessThan(0.06);
    expect(Math.abs(v - 1)).toBeLessThan(0.08);
    const u = await rand([1000], { seed: 3, low: 2, high: 3 }).data();
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(3);
  });
  it('seeded random at an offset gives the rows of the whole tensor there', async () => {
    const whole = await randn([6, 10], { seed: 5, std: 0.02 }).data();
    const rows = await randn([3, 10], { seed: 5, std: 0.02, offset: 20 }).data();
    expect(Array.from(rows)).toEqual(Array.from(whole.subarray(20, 50)));
    const wholeU = await rand([12], { seed: 5 }).data();
    expect(Array.from(await rand([4], { seed: 5, offset: 8 }).data())).toEqual(Array.from(wholeU.subarray(8)));
    expect(() => randn([2], { seed: 5, offset: 2 })).toThrow(/offset must be a non-negative multiple of 4, got 2/);
    expect(() => rand([8], { seed: 5, offset: 2 ** 34 - 4 })).toThrow(/runs past the stream's 2\^34 elements/);
  });
  it('wrong value count names the shape', () => {
    expect(() => tensor([1, 2, 3], [2, 2])).toThrow(/3 values do not fill shape \[2, 2\]/);
  });
});

describe('ops as functions and methods', () => {
  it('scalar operands and method chaining', async () => {
    const x = tensor([1, 2, 3], [3]);
    expect(Array.from(await x.mul(0.5).add(1).data())).toEqual([1.5, 2, 2.5]);
    expect(Array.from(await x.sub(1).neg().data(), (v) => v + 0)).toEqual([0, -1, -2]);
    expect(Array.from(await add(10, x).data())).toEqual([11, 12, 13]);
    const a = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(Array.from(await a.matmul(a).data())).toEqual(Array.from(await matmul(a, a).data()));
    expect(Array.from(await a.matmul(a, { transposeB: true }).data())).toEqual([5, 11, 11, 25]);
  });
  it('reshape is a view: shares storage, no new allocation', async () => {
    const x = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const before = memory().storages;
    const y = reshape(x, [3, -1]);
    expect(y.shape).toEqual([3, 2]);
    expect(memory().storages).toBe(before);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(memory().storages).toBe(before - 1);
  });
});

describe('transpose', () => {
  it('is a view when it keeps the order of the axes longer than 1, a copy otherwise', async () => {
    const x = tensor(
      Array.from({ length: 12 }, (_, i) => i),
      [2, 1, 3, 2],
    );
    const before = memory().storages;
    const moved = transpose(x, [0, 2, 1, 3]); // [2, 3, 1, 2]: the same element order
    expect(moved.shape).toEqual([2, 3, 1, 2]);
    expect(memory().storages).toBe(before);
    expect(Array.from(await moved.data())).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const identity = transpose(x, [0, 1, 2, 3]);
    expect(memory().storages).toBe(before);
    const swapped = transpose(x, [0, 1, 3, 2]); // [2, 1, 2, 3]: elements move
    expect(memory().storages).toBe(before + 1);
    expect(Array.from(await swapped.data())).toEqual([0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11]);
    for (const t of [x, moved, identity, swapped]) t.dispose();
    expect(memory().storages).toBe(before - 1);
  });
});

describe('errors name the op and the shapes', () => {
  it('broadcast mismatch', () => {
    expect(() => add(zeros([2, 3]), zeros([4]))).toThrow(/add: shapes \[2, 3\] and \[4\] cannot be broadcast/);
  });
  it('matmul inner dimension', () => {
    expect(() => matmul(zeros([2, 3]), zeros([4, 5]))).toThrow(
      /matmul: inner dimensions differ: a \[2, 3\] has K=3, b \[4, 5\] has K=4/,
    );
  });
  it('dtype mismatch', () => {
    const i = tensor(Int32Array.from([1, 2]), [2]);
    expect(() => add(i, zeros([2]))).toThrow(/add: expected float32, got tensor #\d+ \[2\] int32/);
  });
  it('use after dispose names the op and the tensor', async () => {
    const x = tensor([1, 2], [2]);
    x.name = 'weights';
    x.dispose();
    expect(() => x.exp()).toThrow(
      /exp: tensor #\d+ 'weights' \[2\] float32 \(from tensor\) was used after dispose\(\)/,
    );
    await expect(x.data()).rejects.toThrow(/data: .* was used after dispose/);
    x.dispose(); // twice is a no-op
  });
  it('reshape to a wrong size', () => {
    expect(() => reshape(zeros([2, 3]), [4, 2])).toThrow(/reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
  });
});

describe('backend', () => {
  it('getBackend returns the current backend and memory() forwards its accounting', () => {
    expect(getBackend().name).toBe('cpu');
    const m = memory();
    expect(m.bytesInUse).toBeGreaterThan(0);
    expect(typeof m.tensors).toBe('number');
  });
  it('Tensor is exported for instanceof checks', () => {
    expect(zeros([1])).toBeInstanceOf(Tensor);
  });
});
