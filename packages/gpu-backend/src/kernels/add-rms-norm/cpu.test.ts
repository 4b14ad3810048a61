import { describe, expect, it } from 'vitest';
import { randomArray, runCpu } from '../../cpu/cpu.test-util.js';

describe('cpu addRmsNorm', () => {
  it('gives the bits of add then rmsNorm: scalar rows, SIMD rows with tails, many rows, a bfloat16 weight', async () => {
    for (const [rows, d, dtype] of [
      [7, 5, 'float32'],
      [4, 16, 'float32'],
      [230, 37, 'float32'],
      [3, 4099, 'float32'],
      [9, 64, 'bfloat16'],
    ] as const) {
      const x = randomArray(rows * d, rows + d, -3, 3);
      const u = randomArray(rows * d, rows * d, -2, 2);
      const w = randomArray(d, d, 0.5, 1.5);
      const [sum, normed] = await runCpu(
        'addRmsNorm',
        [
          { data: x, shape: [rows, d] },
          { data: u, shape: [rows, d] },
          { data: w, shape: [d], dtype },
        ],
        { eps: 1e-6 },
      );
      const [added] = await runCpu('add', [
        { data: x, shape: [rows, d] },
        { data: u, shape: [rows, d] },
      ]);
      const [want] = await runCpu(
        'rmsNorm',
        [
          { data: added!.data, shape: [rows, d] },
          { data: w, shape: [d], dtype },
        ],
        { eps: 1e-6 },
      );
      expect(Array.from(sum!.data), `sum ${rows}x${d}`).toEqual(Array.from(added!.data));
      expect(Array.from(normed!.data), `normed ${rows}x${d}`).toEqual(Array.from(want!.data));
    }
  });
});
