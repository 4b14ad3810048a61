import { describe, expect, it } from 'vitest';
import { runCpu } from '../../cpu/cpu.test-util.js';
import { MAX_TABLE_POSITIONS, RopeAngleTable, ropeAngleTable, ropeInverseFrequencies } from './math.js';

/** cos and sign * sin of one position, as the kernels computed them before the table. */
function direct(theta: number, d: number, pos: number, sign: number) {
  const inv = ropeInverseFrequencies(theta, d);
  const cos = new Float32Array(d / 2);
  const sin = new Float32Array(d / 2);
  for (let i = 0; i < d / 2; i++) {
    const angle = Math.fround(pos * inv[i]!);
    cos[i] = Math.cos(angle);
    sin[i] = sign * Math.fround(Math.sin(angle));
  }
  return { cos: Array.from(cos), sin: Array.from(sin) };
}

describe('the rope angle table', () => {
  it('gives the directly computed float32 cos and sin inside it, past it and for negative positions, as it grows', () => {
    const [theta, d] = [10000, 16];
    const table = new RopeAngleTable(ropeInverseFrequencies(theta, d));
    const cos = new Float32Array(d / 2);
    const sin = new Float32Array(d / 2);
    const check = (pos: number, sign: number) => {
      table.angles(pos, sign, cos, sin);
      expect({ cos: Array.from(cos), sin: Array.from(sin) }, `position ${pos}`).toEqual(direct(theta, d, pos, sign));
    };
    for (const upTo of [0, 10, 100, 3000]) {
      table.cover(upTo);
      for (const pos of [0, 1, 9, 63, 64, 99, 2999, 3000, 5000, -7]) check(pos, pos % 2 ? -1 : 1);
    }
    table.cover(MAX_TABLE_POSITIONS * 4); // capped
    check(MAX_TABLE_POSITIONS - 1, 1);
    check(MAX_TABLE_POSITIONS + 12345, -1);
  });

  it('is one per (theta, D), covering the largest position asked for; the kernels keep their bits beyond it', async () => {
    const positions = Int32Array.from([3, 700, 12]);
    const table = ropeAngleTable(5e5, 8, positions);
    expect(ropeAngleTable(5e5, 8, Int32Array.from([1]))).toBe(table);
    expect(ropeAngleTable(5e5, 4, Int32Array.from([1]))).not.toBe(table);
    // rope over positions inside and outside any table, against the direct angles.
    const pos = [0, 70_000, -3, 5];
    const x = Float32Array.from({ length: 4 * 8 }, (_, i) => Math.sin(i) * 2);
    const [y] = await runCpu(
      'rope',
      [
        { data: x, shape: [1, 1, 4, 8] },
        { data: pos, shape: [1, 4], dtype: 'int32' },
      ],
      { theta: 5e5 },
    );
    const want = new Float32Array(32);
    pos.forEach((p, t) => {
      const { cos, sin } = direct(5e5, 8, p, 1);
      for (let i = 0; i < 4; i++) {
        const [x1, x2] = [x[t * 8 + i]!, x[t * 8 + i + 4]!];
        want[t * 8 + i] = x1 * cos[i]! - x2 * sin[i]!;
        want[t * 8 + i + 4] = x2 * cos[i]! + x1 * sin[i]!;
      }
    });
    expect(Array.from(y!.data)).toEqual(Array.from(want));
  });
});
