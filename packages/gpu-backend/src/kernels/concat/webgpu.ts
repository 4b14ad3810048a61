import { implement } from '../../registry.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { assert32 } from '../../webgpu/strided-copy.js';
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

/** One dispatch per input. */
const concatKernel = implement(concat, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  inputs.forEach((x) => assert32('concat', x));
  const { axis, total, outShape, outer, inner } = concatLayout(inputs, attrs);
  const out = output(b, outShape, inputs[0].dtype);
  const outRow = total * inner;
  let col = 0;
  for (const x of inputs) {
    const row = x.shape[axis] * inner;
    const n = outer * row;
    if (n > 0) {
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
