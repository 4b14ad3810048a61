import { describe, expect, it } from 'vitest';
import { packLmRows } from './pack-text.js';

describe('packLmRows', () => {
  it('packs sequences, restarts positions and masks boundaries and padding', () => {
    const rows = packLmRows(
      [
        [1, 2, 3],
        [4, 5],
        [6, 7, 8, 9],
      ],
      6,
      0,
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({
      ids: [1, 2, 3, 4, 5, 0],
      positionIds: [0, 1, 2, 0, 1, 0],
      targets: [2, 3, 0, 5, 0, 0],
      mask: [1, 1, 0, 1, 0, 0],
    });
    expect(rows[1]!.targets).toEqual([7, 8, 9, 0, 0, 0]);
    expect(rows[1]!.mask).toEqual([1, 1, 1, 0, 0, 0]);
  });
  it('cuts a sequence longer than a row', () => {
    expect(packLmRows([[1, 2, 3, 4, 5]], 3, 0)[0]!.ids).toEqual([1, 2, 3]);
  });
});
