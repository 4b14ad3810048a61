import { floats } from '../../conformance/inputs.js';
import { ARITHMETIC, EXACT, TRANSCENDENTAL } from '../../conformance/tolerances.js';
import { conformanceOf, type InputValues, type Tolerance } from '../../conformance/types.js';
import { contracts, type UnaryOp } from './contract.js';

function values(op: UnaryOp): InputValues {
  switch (op) {
    case 'log':
    case 'sqrt':
    case 'rsqrt':
    case 'reciprocal':
      return { uniform: [0.01, 10] };
    case 'exp':
    case 'tanh':
    case 'sigmoid':
    case 'silu':
      return { uniform: [-10, 10] };
    case 'isNaN':
    case 'isInf':
    case 'relu':
    case 'abs':
    case 'neg':
      return { values: [1, NaN, Infinity, -Infinity, 0, -2.5, 3.25] };
    default:
      return { uniform: [-3, 3] };
  }
}

const TOLERANCES: Record<UnaryOp, Tolerance> = {
  neg: EXACT,
  abs: EXACT,
  exp: TRANSCENDENTAL,
  log: TRANSCENDENTAL,
  sqrt: ARITHMETIC,
  rsqrt: TRANSCENDENTAL,
  square: ARITHMETIC,
  reciprocal: ARITHMETIC,
  silu: TRANSCENDENTAL,
  sigmoid: TRANSCENDENTAL,
  tanh: TRANSCENDENTAL,
  relu: EXACT,
  isNaN: EXACT,
  isInf: EXACT,
};

export const conformance = contracts.map((contract) =>
  conformanceOf(contract, {
    tolerance: TOLERANCES[contract.name],
    cases: [[0], [1], [1000], [3, 5, 7]].map((shape) => ({
      name: `[${shape.join(', ')}]`,
      inputs: [floats(shape, values(contract.name))],
    })),
  }),
);
