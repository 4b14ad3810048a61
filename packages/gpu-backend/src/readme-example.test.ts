import { describe, expect, it } from 'vitest';
import { createBackend } from './index.js';

describe('README example', () => {
  it('runs as written', async () => {
    const cpu = await createBackend('cpu');
    const a = cpu.upload(new Float32Array([1, 2, 3, 4, 5, 6]), 'float32'); // [2, 3]
    const b = cpu.upload(new Float32Array([1, 0, 0, 1, 1, 1]), 'float32'); // [3, 2]
    const [c] = cpu.run('matmul', [
      { storage: a, shape: [2, 3], dtype: 'float32' },
      { storage: b, shape: [3, 2], dtype: 'float32' },
    ]);
    expect(c.shape).toEqual([2, 2]);
    expect(Array.from(await cpu.read(c.storage))).toEqual([4, 5, 10, 11]);
    for (const s of [a, b, c.storage]) cpu.release(s);
    expect(cpu.memory().storages).toBe(0);
  });
});
