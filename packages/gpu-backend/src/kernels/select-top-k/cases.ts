import { floats } from '../../conformance/inputs.js';
import { EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { selectTopK } from './contract.js';

/** Zeros of both signs, infinities and repeats: the ties the threshold must keep. */
const EDGES = { values: [0, -0, 2, -Infinity, 2, Infinity, -1, 0.5, -0, 2, -Infinity, 0] };

/** Small values with two large ones every 1002 entries: ~300 entries in the k-th's top byte over a vocabulary. */
const SPARSE_TOP = { values: [...Array.from({ length: 1000 }, (_, i) => (i - 500) / 64), 40.5, 70.25] };

export const conformance = [
  conformanceOf(selectTopK, {
    tolerance: EXACT,
    cases: [
      { name: 'k 5 of [3, 50]', inputs: [floats([3, 50])], attrs: { k: 5, capacity: 8 } },
      { name: 'k = N', inputs: [floats([2, 33])], attrs: { k: 33, capacity: 40 } },
      { name: 'k 1', inputs: [floats([4, 17])], attrs: { k: 1, capacity: 3 } },
      {
        name: 'ties with the k-th (integers in [0, 4))',
        inputs: [floats([3, 64], { ints: [0, 4] })],
        attrs: { k: 3, capacity: 64 },
      },
      {
        name: 'ties past the capacity: the first entries and the full count',
        inputs: [floats([2, 300], { ints: [0, 3] })],
        attrs: { k: 2, capacity: 7 },
      },
      { name: '-0 ties +0; infinities', inputs: [floats([2, 12], EDGES)], attrs: { k: 5, capacity: 12 } },
      { name: 'a -Infinity threshold', inputs: [floats([1, 12], EDGES)], attrs: { k: 11, capacity: 12 } },
      {
        name: 'a row with a NaN reports -1',
        inputs: [floats([3, 5], { values: [1, 2, 3, 4, 5, 6, 7, NaN, 9, 10, 11, 12, 13, 14, 15] })],
        attrs: { k: 2, capacity: 4 },
      },
      { name: 'rank 1 and rank 3', inputs: [floats([2, 3, 40])], attrs: { k: 4, capacity: 6 } },
      { name: 'one row', inputs: [floats([257])], attrs: { k: 20, capacity: 24 } },
      {
        name: 'a Qwen3 vocabulary, uniform values: [2, 151936], k 20 (too many near the k-th to gather: a pass per byte)',
        inputs: [floats([2, 151_936])],
        attrs: { k: 20, capacity: 84 },
      },
      {
        name: 'a Qwen3 vocabulary with a sparse top, like logits: [2, 151936], k 20 (the top gathered and sorted)',
        inputs: [floats([2, 151_936], SPARSE_TOP)],
        attrs: { k: 20, capacity: 200 },
      },
      {
        name: 'a Qwen3 vocabulary, k 3000 (the penalised tokens of a long answer): [2, 151936]',
        inputs: [floats([2, 151_936])],
        attrs: { k: 3000, capacity: 3100 },
      },
      {
        name: 'k 700 of [2, 5000] in {0, .., 9}: the k-th a tie hundreds wide',
        inputs: [floats([2, 5000], { ints: [0, 10] })],
        attrs: { k: 700, capacity: 1100 },
      },
      {
        name: 'ties by the thousand: [1, 5000] in {0, 1}, k 2',
        inputs: [floats([1, 5000], { ints: [0, 2] })],
        attrs: { k: 2, capacity: 16 },
      },
      { name: 'no rows', inputs: [floats([0, 9])], attrs: { k: 3, capacity: 4 } },
    ],
    errors: [
      { name: 'k 0', inputs: [floats([2, 9])], attrs: { k: 0, capacity: 4 } },
      { name: 'k past the row', inputs: [floats([2, 9])], attrs: { k: 10, capacity: 12 } },
      { name: 'capacity 0', inputs: [floats([2, 9])], attrs: { k: 2, capacity: 0 } },
    ],
  }),
];
