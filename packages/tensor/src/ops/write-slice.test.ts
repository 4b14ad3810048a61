import { beforeAll, describe, expect, it } from 'vitest';
import { noGrad, reshape, setBackend, tensor, writeSlice, zeros } from '../index.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('writeSlice', () => {
  it('writes into the target in place: its views see the new values', async () => {
    const target = zeros([2, 3]);
    const view = reshape(target, [6]);
    writeSlice(target, tensor([7, 8], [2, 1]), [0, 2]);
    expect(Array.from(await target.data())).toEqual([0, 0, 7, 0, 0, 8]);
    expect(Array.from(await view.data())).toEqual([0, 0, 7, 0, 0, 8]);
  });

  it('names what does not fit, a dtype that differs and a write that would need a gradient', () => {
    const target = zeros([2, 3]);
    expect(() => writeSlice(target, zeros([2, 2]), [0, 2])).toThrow(
      /writeSlice: update \[2, 2\] at begin \[0,2\] does not fit in target \[2, 3\]/,
    );
    expect(() => writeSlice(target, zeros([1, 1], { dtype: 'int32' }), [0, 0])).toThrow(
      /writeSlice: update .*int32.* must have the dtype of target/,
    );
    const trained = tensor([1], [1, 1], { requiresGrad: true });
    expect(() => writeSlice(target, trained, [0, 0])).toThrow(/writeSlice: an in-place write has no gradient/);
    noGrad(() => writeSlice(target, trained, [1, 1]));
  });
});
