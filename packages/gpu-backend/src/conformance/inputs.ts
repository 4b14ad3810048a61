/** Shorthands for the inputs of conformance cases. */
import type { DType } from '../dtype.js';
import type { InputSpec, InputValues } from './types.js';

/** A float input (uniform in [-1, 1) unless `values` says otherwise). */
export const floats = (shape: number[], values?: InputValues, dtype?: DType): InputSpec => ({ shape, values, dtype });

/** An int32 index input with values in [low, high). */
export const indices = (shape: number[], high: number, low = 0): InputSpec => ({
  shape,
  dtype: 'int32',
  values: { ints: [low, high] },
});

export const uniform = (low: number, high: number): InputValues => ({ uniform: [low, high] });
