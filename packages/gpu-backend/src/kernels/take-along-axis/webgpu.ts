import { implement } from '../../registry.js';
import { assertDType, fmt, kernelError, sameShape, sizeOf } from '../../shape.js';
import { faultDecl } from '../../webgpu/faults.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { putAlongAxis, takeAlongAxis } from './contract.js';

const ROW_UNIFORMS = [
  ['n', 'u32'],
  ['V', 'u32'],
] as const;

/** out[r] = x[r, idx[r]] over rows r of x [..., V]. */
const TAKE_ALONG_AXIS = shaderTemplate('takeAlongAxis', () => ({
  uniforms: ROW_UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${faultDecl(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_WG} * ${WG}u + lid;
  if (r >= u.n) { return; }
  let j = IDX[r];
  if (j < 0 || j >= i32(u.V)) { fault(3u, j); O[r] = 0.0; return; }
  O[r] = X[r * u.V + u32(j)];
}`,
}));

/** zeros [..., size] with out[r, idx[r]] = updates[r]. */
const PUT_ALONG_AXIS = shaderTemplate('putAlongAxis', () => ({
  uniforms: ROW_UNIFORMS,
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> UPD: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${faultDecl(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_WG} * ${WG}u + lid;
  if (r >= u.n) { return; }
  let j = IDX[r];
  if (j < 0 || j >= i32(u.V)) { fault(4u, j); return; }
  O[r * u.V + u32(j)] = UPD[r];
}`,
}));

const takeAlongAxisKernel = implement(takeAlongAxis, 'webgpu', ({ inputs, backend }) => {
  const b = gpu(backend);
  const [x, idx] = inputs;
  assertDType('takeAlongAxis', 'x', x, 'float32');
  const lead = x.shape.slice(0, -1);
  if (x.shape.length < 1 || !sameShape(lead, idx.shape)) {
    throw kernelError('takeAlongAxis', `indices ${fmt(idx.shape)} must be x ${fmt(x.shape)} without its last axis`);
  }
  const V = x.shape[x.shape.length - 1];
  const rows = sizeOf(idx.shape);
  const out = output(b, idx.shape);
  if (rows === 0) return out;
  b.dispatch({
    shader: TAKE_ALONG_AXIS,
    params: {},
    uniforms: { n: rows, V },
    buffers: [
      buf(x, 'takeAlongAxis', 'x'),
      buf(idx, 'takeAlongAxis', 'indices'),
      buf(out, 'takeAlongAxis'),
      b.faultBinding(),
    ],
    workgroups: grid(Math.ceil(rows / WG)),
  });
  return out;
});

const putAlongAxisKernel = implement(putAlongAxis, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [upd, idx] = inputs;
  assertDType('putAlongAxis', 'updates', upd, 'float32');
  if (!sameShape(upd.shape, idx.shape)) {
    throw kernelError(
      'putAlongAxis',
      `updates ${fmt(upd.shape)} and indices ${fmt(idx.shape)} must have the same shape`,
    );
  }
  const size = attrs.size;
  if (size < 0) throw kernelError('putAlongAxis', `attrs.size must be a non-negative integer, got ${size}`);
  const rows = sizeOf(idx.shape);
  const out = output(b, [...idx.shape, size], 'float32', true);
  if (rows === 0) return out;
  b.dispatch({
    shader: PUT_ALONG_AXIS,
    params: {},
    uniforms: { n: rows, V: size },
    buffers: [
      buf(upd, 'putAlongAxis', 'updates'),
      buf(idx, 'putAlongAxis', 'indices'),
      buf(out, 'putAlongAxis'),
      b.faultBinding(),
    ],
    workgroups: grid(Math.ceil(rows / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [takeAlongAxisKernel, putAlongAxisKernel];
