import { floats } from '../../conformance/inputs.js';
import { ACCUMULATE, EXACT } from '../../conformance/tolerances.js';
import { conformanceOf } from '../../conformance/types.js';
import { contracts } from './contract.js';

export const conformance = contracts.map((contract) => {
  const op = contract.name;
  // 100k uniform(-1, 1) terms: float32 partial sums reach ~1e2, so order-dependent error ~1e-3.
  const long = op === 'sum' ? { atol: 2e-3, rtol: 1e-5 } : op === 'mean' ? { atol: 1e-6, rtol: 1e-5 } : undefined;
  return conformanceOf(contract, {
    tolerance: op === 'max' ? EXACT : ACCUMULATE,
    cases: [
      { name: 'middle axis of [3, 4, 5]', inputs: [floats([3, 4, 5])], attrs: { axes: [1] } },
      { name: 'scattered axes [0, 2] of [3, 4, 5]', inputs: [floats([3, 4, 5])], attrs: { axes: [0, 2] } },
      { name: 'negative axis, keepDims', inputs: [floats([3, 4, 5])], attrs: { axes: [-1], keepDims: true } },
      { name: 'all axes to a scalar', inputs: [floats([3, 4, 5])], attrs: { axes: [0, 1, 2] } },
      { name: 'no axes (a copy)', inputs: [floats([3, 4])], attrs: { axes: [] } },
      {
        name: '100k elements to one (long reduction)',
        inputs: [floats([100_000])],
        attrs: { axes: [0] },
        tolerance: long,
      },
      {
        name: 'columns of [1000, 37] (strided)',
        inputs: [floats([1000, 37])],
        attrs: { axes: [0] },
        tolerance: { atol: 1e-4, rtol: 1e-5 },
      },
      { name: 'size-1 dims [1, 1]', inputs: [floats([1, 1])], attrs: { axes: [1] } },
      ...(op === 'max'
        ? []
        : [
            {
              name: 'reduce an empty axis of [4, 0] (sum 0, mean NaN)',
              inputs: [floats([4, 0])],
              attrs: { axes: [1] },
            },
          ]),
      { name: 'size-0 kept dim [0, 4]', inputs: [floats([0, 4])], attrs: { axes: [1] } },
    ],
    errors: [
      ...(op === 'sum' ? [{ name: 'an axis out of range', inputs: [floats([2, 3])], attrs: { axes: [2] } }] : []),
      ...(op === 'max'
        ? [
            { name: 'an empty reduced axis of [4, 0]', inputs: [floats([4, 0])], attrs: { axes: [1] } },
            { name: 'an empty reduced axis of an empty result [0, 0]', inputs: [floats([0, 0])], attrs: { axes: [0] } },
          ]
        : []),
    ],
  });
});
