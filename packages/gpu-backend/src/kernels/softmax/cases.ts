import { floats, uniform } from '../../conformance/inputs.js';
import { ACCUMULATE } from '../../conformance/tolerances.js';
import { conformanceOf, type InputValues } from '../../conformance/types.js';
import { logSoftmax, logSoftmaxGrad, logSumExp, softmax, softmaxGrad } from './contract.js';

function rowCases(values: InputValues) {
  return [
    { name: 'last axis of [4, 10]', inputs: [floats([4, 10], values)], attrs: { axis: -1 } },
    { name: 'middle axis of [3, 5, 7]', inputs: [floats([3, 5, 7], values)], attrs: { axis: 1 } },
    { name: 'size-1 [1, 1]', inputs: [floats([1, 1], values)], attrs: { axis: 0 } },
    { name: 'empty rows [2, 0]', inputs: [floats([2, 0], values)], attrs: { axis: 1 } },
    { name: 'no rows [0, 5]', inputs: [floats([0, 5], values)], attrs: { axis: 1 } },
    {
      name: 'vocabulary-sized rows [4, 30000], logits in [-20, 20]',
      inputs: [floats([4, 30_000], uniform(-20, 20))],
      attrs: { axis: 1 },
    },
  ];
}

function gradCases(y: InputValues) {
  return [
    { name: 'last axis of [4, 10]', inputs: [floats([4, 10]), floats([4, 10], y)], attrs: { axis: -1 } },
    { name: 'first axis of [6, 3]', inputs: [floats([6, 3]), floats([6, 3], y)], attrs: { axis: 0 } },
    { name: 'size-0 [0, 4]', inputs: [floats([0, 4]), floats([0, 4], y)], attrs: { axis: 1 } },
    {
      name: 'long rows [2, 5000]',
      inputs: [floats([2, 5000]), floats([2, 5000], y)],
      attrs: { axis: 1 },
      tolerance: { atol: 1e-4, rtol: 1e-4 },
    },
  ];
}

const logits = uniform(-5, 5);

export const conformance = [
  conformanceOf(softmax, { tolerance: { atol: 1e-6, rtol: 1e-5 }, cases: rowCases(logits) }),
  conformanceOf(logSoftmax, { tolerance: ACCUMULATE, cases: rowCases(logits) }),
  conformanceOf(logSumExp, {
    tolerance: ACCUMULATE,
    cases: [
      ...rowCases(logits),
      ...rowCases(logits)
        .slice(0, 2)
        .map((c) => ({ ...c, name: `${c.name}, keepDims`, attrs: { ...c.attrs, keepDims: true } })),
    ],
  }),
  conformanceOf(softmaxGrad, { tolerance: { atol: 1e-6, rtol: 1e-5 }, cases: gradCases(uniform(0, 1)) }),
  conformanceOf(logSoftmaxGrad, { tolerance: ACCUMULATE, cases: gradCases(uniform(-10, 0)) }),
];
