import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';
import { BINARY_OPS } from '../binary/contract.js';

export const scalarOp = defineKernel({
  name: 'scalarOp',
  doc: 'op(x, scalar), or op(scalar, x) when reverse; the scalar is rounded to float32 first',
  inputs: [{ name: 'x' }],
  attrs: { op: attr.oneOf('BinaryOp', BINARY_OPS), scalar: attr.number, reverse: attr.optional(attr.boolean) },
  outputs: [{ name: 'out', doc: 'float32, the shape of x' }],
});

export const contracts = [scalarOp] as const;
