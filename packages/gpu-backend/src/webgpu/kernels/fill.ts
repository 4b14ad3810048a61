import type { KernelFunc } from '../../backend.js';
import { float32Bits, float32ToBfloat16Bits, float32ToFloat16Bits } from '../../dtype-convert.js';
import { DTYPES } from '../../dtype.js';
import type { FillAttrs } from '../../kernel-attrs.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../program.js';
import { buf, gpu, output, sizeOf, WG } from './util.js';

/** Every 32-bit word of the storage gets the value's bit pattern (two copies for 16-bit dtypes). */
export const fill: KernelFunc<FillAttrs> = ({ inputs, attrs, backend }) => {
  if (inputs.length !== 0) throw new Error(`kernel 'fill': takes no inputs`);
  const dtype = attrs.dtype ?? 'float32';
  if (!DTYPES.includes(dtype)) throw new Error(`kernel 'fill': unknown dtype '${String(dtype)}'`);
  if (!Array.isArray(attrs.shape) || attrs.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(
      `kernel 'fill': attrs.shape must be an array of non-negative integers, got ${JSON.stringify(attrs.shape)}`,
    );
  }
  if (typeof attrs.value !== 'number') throw new Error(`kernel 'fill': attrs.value must be a number`);
  const b = gpu(backend);
  const out = output(b, attrs.shape, dtype);
  const n = sizeOf(attrs.shape);
  if (n === 0) return out;
  let word: number;
  let words: number;
  if (dtype === 'float32') {
    word = float32Bits(attrs.value);
    words = n;
  } else if (dtype === 'int32') {
    word = Math.trunc(attrs.value) | 0;
    words = n;
  } else {
    const h = dtype === 'float16' ? float32ToFloat16Bits(attrs.value) : float32ToBfloat16Bits(attrs.value);
    word = (h | (h << 16)) >>> 0;
    words = Math.ceil(n / 2);
  }
  b.dispatch({
    name: 'fill',
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i < u.n) { O[i] = u.word; }
}`,
    params: { n: ['u32', words], word: ['u32', word >>> 0] },
    buffers: [buf(out, 'fill')],
    workgroups: grid(Math.ceil(words / WG)),
  });
  return out;
};
