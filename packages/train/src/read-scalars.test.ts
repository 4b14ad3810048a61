import { beforeAll, describe, expect, it } from 'vitest';
import { getBackend, setBackend, tensor } from '@molrl/tensor';
import { countReads } from './read-counter.js';
import { readScalars } from './read-scalars.js';

beforeAll(async () => {
  await setBackend('cpu');
});

describe('readScalars', () => {
  it('reads many scalars with one device read and leaves them alive', async () => {
    const plain = getBackend();
    const counter = countReads(plain);
    await setBackend(counter.backend);
    try {
      const values = [tensor([1.5], []), tensor([2], [1]), tensor([-3], [1, 1])];
      counter.reset();
      expect(await readScalars(values)).toEqual([1.5, 2, -3]);
      expect(counter.reads).toBe(1);
      expect(counter.elementsRead).toBe(3); // the three scalars, gathered into one storage
      expect(values.every((t) => !t.isDisposed)).toBe(true);
      expect(await readScalars([])).toEqual([]);
      await expect(readScalars([tensor([1, 2], [2])])).rejects.toThrow(
        'readScalars: tensor 0 has shape [2], not one element',
      );
    } finally {
      await setBackend(plain);
    }
  });
});
