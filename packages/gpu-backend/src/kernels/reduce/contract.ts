import { attr } from '../../contract/attr-types.js';
import { defineKernel } from '../../contract/kernel-contract.js';

export const REDUCE_OPS = ['sum', 'mean', 'max'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

const DOCS: Record<ReduceOp, string> = {
  sum: 'sum over axes (an empty axes list reduces nothing: a copy); 0 over an empty axis',
  mean: 'mean over axes; NaN over an empty axis',
  max: 'maximum over axes, NaN propagating; an empty reduced axis is an error',
};

function reduction<const Name extends ReduceOp>(name: Name) {
  return defineKernel({
    name,
    doc: DOCS[name],
    inputs: [{ name: 'x' }],
    attrs: { axes: attr.described(attr.integers, 'may be negative'), keepDims: attr.optional(attr.boolean) },
    outputs: [{ name: 'out', doc: 'x without the axes (kept as 1 with keepDims)' }],
  });
}

export const contracts = REDUCE_OPS.map((op) => reduction(op));
