import { floats, indices, uniform } from '../../conformance/inputs.js';
import { conformanceOf } from '../../conformance/types.js';
import type { DType } from '../../dtype.js';
import { rmsNormRope, rmsNormRopeGrad } from './contract.js';

interface Shape {
  name: string;
  /** [B, T, H, D] */
  x: [number, number, number, number];
  theta: number;
  /** Positions are drawn in [0, maxPos). */
  maxPos: number;
  /** The weight's storage (default float32): a half-precision q/k norm is read as stored. */
  weight?: DType;
}

const SHAPES: Shape[] = [
  { name: 'Qwen3 theta 1e6, positions up to 2048', x: [2, 5, 3, 8], theta: 1_000_000, maxPos: 2048 },
  { name: 'theta 1e4, 70 tokens, 2 heads of 16', x: [1, 70, 2, 16], theta: 10_000, maxPos: 70 },
  { name: 'odd head count, D = 6', x: [2, 3, 5, 6], theta: 10_000, maxPos: 512 },
  { name: 'D = 2, size-1 dims', x: [1, 1, 1, 2], theta: 10_000, maxPos: 100 },
  { name: 'size-0 batch', x: [0, 3, 2, 4], theta: 10_000, maxPos: 10 },
  { name: 'bfloat16 weight, one decoding step', x: [2, 1, 4, 16], theta: 1_000_000, maxPos: 300, weight: 'bfloat16' },
  { name: 'float16 weight, odd head count', x: [1, 6, 3, 10], theta: 10_000, maxPos: 64, weight: 'float16' },
];

const attrs = (s: Shape) => ({ eps: 1e-6, theta: s.theta });
const xOf = (s: Shape) => floats(s.x, uniform(-3, 3));
const weightOf = (s: Shape) => floats([s.x[3]], uniform(0.5, 1.5), s.weight);
const positionsOf = (s: Shape) => indices([s.x[0], s.x[1]], s.maxPos);
const dyOf = (s: Shape) => floats([s.x[0], s.x[2], s.x[1], s.x[3]]);

export const conformance = [
  conformanceOf(rmsNormRope, {
    // rope's: cos/sin of angles up to ~2000 rad after float32 range reduction cost ~1e-4 absolute.
    tolerance: { atol: 1e-4, rtol: 1e-4 },
    cases: SHAPES.map((s) => ({ name: s.name, inputs: [xOf(s), weightOf(s), positionsOf(s)], attrs: attrs(s) })),
    errors: [
      {
        name: 'an odd head dim',
        inputs: [floats([1, 2, 1, 3]), floats([3]), indices([1, 2], 4)],
        attrs: { eps: 1e-6, theta: 10_000 },
      },
      {
        name: 'a weight of the wrong length',
        inputs: [floats([1, 2, 1, 4]), floats([2]), indices([1, 2], 4)],
        attrs: { eps: 1e-6, theta: 10_000 },
      },
      {
        name: 'positions of another shape',
        inputs: [floats([1, 2, 1, 4]), floats([4]), indices([2, 1], 4)],
        attrs: { eps: 1e-6, theta: 10_000 },
      },
    ],
  }),
  conformanceOf(rmsNormRopeGrad, {
    // rope's angle tolerance, and rmsNormGrad's for the sums over rows.
    tolerance: { atol: 2e-4, rtol: 2e-4 },
    cases: SHAPES.map((s) => ({
      name: s.name,
      inputs: [dyOf(s), xOf(s), weightOf(s), positionsOf(s)],
      attrs: attrs(s),
    })),
    errors: [
      {
        name: 'dy not in [B, H, T, D]',
        inputs: [floats([1, 2, 1, 4]), floats([1, 2, 1, 4]), floats([4]), indices([1, 2], 4)],
        attrs: { eps: 1e-6, theta: 10_000 },
      },
    ],
  }),
];
