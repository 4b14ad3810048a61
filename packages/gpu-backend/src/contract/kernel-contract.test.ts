import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '../backend.js';
import { attr, attrProblems } from './attr-types.js';
import { attrsText, checkCall, defineKernel, inputCount, inputsText, outputsText } from './kernel-contract.js';

const info = (dtype: 'float32' | 'int32'): TensorInfo => ({
  storage: { backend: 'test', size: 1, dtype },
  shape: [1],
  dtype,
});

const pick = defineKernel({
  name: 'contractTestPick',
  doc: 'x at indices',
  inputs: [
    { name: 'x', doc: '[..., V]' },
    { name: 'indices', dtype: 'int32', doc: '[...]' },
    { name: 'mask', optional: true },
  ],
  attrs: { axis: attr.integer, scale: attr.optional(attr.number, 'default 1'), mode: attr.oneOf('Mode', ['a', 'b']) },
  outputs: [{ name: 'out', doc: '[...]' }],
});

describe('kernel contracts', () => {
  it('refuse a name that is not an identifier and misplaced optional or variadic inputs', () => {
    expect(() => defineKernel({ name: 'two words', doc: '', inputs: [], attrs: {}, outputs: [] })).toThrow(
      "defineKernel: name 'two words' must be an identifier",
    );
    expect(() =>
      defineKernel({
        name: 'k',
        doc: '',
        inputs: [{ name: 'a', optional: true }, { name: 'b' }],
        attrs: {},
        outputs: [],
      }),
    ).toThrow("defineKernel('k'): optional inputs must come last");
    expect(() =>
      defineKernel({
        name: 'k',
        doc: '',
        inputs: [{ name: 'a', variadic: true }, { name: 'b' }],
        attrs: {},
        outputs: [],
      }),
    ).toThrow("defineKernel('k'): only the last input may be variadic");
  });

  it('count inputs, optional and variadic ones included', () => {
    expect(inputCount(pick)).toEqual([2, 3]);
    const parts = defineKernel({ name: 'k', doc: '', inputs: [{ name: 'x', variadic: true }], attrs: {}, outputs: [] });
    expect(inputCount(parts)).toEqual([1, Infinity]);
  });

  it('check a call: input count, int32 inputs, attributes, each problem named', () => {
    const ok = { axis: 0, mode: 'a' };
    expect(() => checkCall(pick, [info('float32'), info('int32')], ok)).not.toThrow();
    expect(() => checkCall(pick, [info('float32')], ok)).toThrow(
      'contractTestPick: expected 2 to 3 inputs (x, indices, mask?), got 1',
    );
    expect(() => checkCall(pick, [info('float32'), info('float32')], ok)).toThrow(
      'contractTestPick: input 1 (indices) must be int32, got float32',
    );
    expect(() => checkCall(pick, [info('float32'), info('int32')], { axis: 0.5, mode: 'c', extra: 1 })).toThrow(
      "contractTestPick: unknown attribute 'extra' (its attributes are axis, scale, mode); attrs.axis must be an integer, got 0.5; attrs.mode must be one of a, b, got 'c' (a string)",
    );
    expect(() =>
      checkCall(pick, [info('float32'), info('int32')], { axis: 0, mode: 'a', scale: undefined }),
    ).not.toThrow();
    expect(() => checkCall(pick, [info('float32'), info('int32')], null)).toThrow('attrs must be an object, got null');
  });

  it('describe attrs problems without a contract', () => {
    expect(attrProblems({ n: attr.integers }, { n: [1, 'x'] })).toEqual([
      "attrs.n must be an array of integers, got [1, 'x']",
    ]);
  });

  it('write the README text of inputs, attributes and outputs', () => {
    expect(inputsText(pick)).toBe('x [..., V], indices int32 [...], optional mask');
    expect(attrsText(pick)).toBe('{ axis: integer, scale?: number, mode: Mode }; scale: default 1');
    expect(outputsText(pick)).toBe('out [...]');
    const inPlace = defineKernel({
      name: 'k',
      doc: '',
      inputs: [{ name: 'p' }, { name: 'g' }],
      attrs: {},
      outputs: [],
      inPlace: [0],
    });
    expect(outputsText(inPlace)).toBe('none: updates p in place');
  });
});
