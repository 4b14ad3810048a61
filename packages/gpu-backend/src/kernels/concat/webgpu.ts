import { implement } from '../../registry.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { kernelError } from '../../errors.js';
import { assert32, HALF_AT, isHalf } from '../../webgpu/strided-copy.js';
import { concat } from './contract.js';
import { concatLayout } from './math.js';

/** One input's block of columns into the output rows. */
const CONCAT = shaderTemplate('concat', () => ({
  uniforms: [
    ['n', 'u32'],
    ['row', 'u32'],
    ['outRow', 'u32'],
    ['col', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  O[(i / u.row) * u.outRow + u.col + i % u.row] = X[i];
}`,
}));

/**
 * 16-bit elements: one thread per output word the input touches, which keeps the
 * halves of the word that belong to other inputs (written by earlier dispatches,
 * or left for later ones) and sets its own.
 */
const CONCAT_HALF = shaderTemplate('concatHalf', () => ({
  uniforms: [
    ['n', 'u32'],
    ['row', 'u32'],
    ['outRow', 'u32'],
    ['col', 'u32'],
    ['firstWord', 'u32'],
    ['words', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
${HALF_AT}
/** Element j of the output, if it comes from this input: its index in X, else n. */
fn from_input(j: u32) -> u32 {
  let r = j / u.outRow;
  let c = j % u.outRow;
  if (c < u.col || c >= u.col + u.row || r * u.row >= u.n) { return u.n; }
  return r * u.row + c - u.col;
}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let t = ${FLAT_WG} * ${WG}u + lid;
  if (t >= u.words) { return; }
  let w = u.firstWord + t;
  var word = O[w];
  for (var h = 0u; h < 2u; h++) {
    let src = from_input(2u * w + h);
    if (src < u.n) {
      let shift = h * 16u;
      word = (word & ~(0xffffu << shift)) | (half_at(src) << shift);
    }
  }
  O[w] = word;
}`,
}));

/** One dispatch per input. */
const concatKernel = implement(concat, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const half = isHalf(inputs[0]);
  inputs.forEach((x) => {
    if (!half) assert32('concat', x);
    else if (x.dtype !== inputs[0].dtype)
      throw kernelError('concat', `inputs must share one dtype, got ${inputs[0].dtype} and ${x.dtype}`);
  });
  const { axis, total, outShape, outer, inner } = concatLayout(inputs, attrs);
  const out = output(b, outShape, inputs[0].dtype);
  const outRow = total * inner;
  let col = 0;
  for (const x of inputs) {
    const row = x.shape[axis] * inner;
    const n = outer * row;
    if (n > 0 && half) {
      // The words from this input's first element to its last.
      const firstWord = Math.floor(col / 2);
      const lastWord = Math.floor(((outer - 1) * outRow + col + row - 1) / 2);
      const words = lastWord - firstWord + 1;
      b.dispatch({
        shader: CONCAT_HALF,
        params: {},
        uniforms: { n, row, outRow, col, firstWord, words },
        buffers: [buf(x, 'concat', 'x'), buf(out, 'concat')],
        workgroups: grid(Math.ceil(words / WG)),
      });
    } else if (n > 0) {
      b.dispatch({
        shader: CONCAT,
        params: {},
        uniforms: { n, row, outRow, col },
        buffers: [buf(x, 'concat', 'x'), buf(out, 'concat')],
        workgroups: grid(Math.ceil(n / WG)),
      });
    }
    col += row;
  }
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [concatKernel];
