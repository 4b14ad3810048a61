import { floats } from '../../conformance/inputs.js';
import { ARITHMETIC, EXACT, TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf, type InputValues, type Tolerance } from '../../conformance/types.js';
import { contracts, type BinaryOp } from './contract.js';

const SHAPES: [string, number[], number[]][] = [
  ['same shape [7, 13]', [7, 13], [7, 13]],
  ['rank-0 with [4, 5]', [], [4, 5]],
  ['[4, 5] with rank-0', [4, 5], []],
  ['broadcast [2, 1, 3] with [4, 1]', [2, 1, 3], [4, 1]],
  ['outer [3, 1] with [1, 5]', [3, 1], [1, 5]],
  ['size-0 [0, 3] with [3]', [0, 3], [3]],
  ['size-1 [1] with [1]', [1], [1]],
  ['odd [1001]', [1001], [1001]],
  ['row broadcast [6, 33] with [33]', [6, 33], [33]],
];

function values(op: BinaryOp): [InputValues, InputValues] {
  switch (op) {
    case 'div':
      return [{ uniform: [-2, 2] }, { uniform: [0.5, 2] }];
    case 'pow':
      return [{ uniform: [0.1, 3] }, { uniform: [-2, 2] }];
    case 'add':
    case 'sub':
    case 'mul':
      return [{ uniform: [-2, 2] }, { uniform: [-2, 2] }];
    default:
      return [{ ints: [-2, 3] }, { ints: [-2, 3] }]; // comparisons, maximum, minimum: ties happen
  }
}

function tolerance(op: BinaryOp): Tolerance {
  if (op === 'pow') return TRANSCENDENTAL;
  return op === 'add' || op === 'sub' || op === 'mul' || op === 'div' ? ARITHMETIC : EXACT;
}

export const conformance = contracts.map((contract) => {
  const [a, b] = values(contract.name);
  return conformanceOf(contract, {
    tolerance: tolerance(contract.name),
    cases: SHAPES.map(([name, aShape, bShape]) => ({ name, inputs: [floats(aShape, a), floats(bShape, b)] })),
    errors:
      contract.name === 'add' ? [{ name: 'shapes that do not broadcast', inputs: [floats([2, 3]), floats([4])] }] : [],
  });
});
