import { implement } from '../../registry.js';
import { assertDType, fmt, kernelError, sizeOf } from '../../shape.js';
import { faultDecl } from '../../webgpu/faults.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { gatherRows, scatterAddRows } from './contract.js';

/** out[n, c] = table[idx[n], c]; one thread per output element (per output word for 16-bit tables). */
const GATHER_ROWS = shaderTemplate('gatherRows', ({ half }: { half: boolean }) => {
  if (half) {
    // 16-bit rows (bf16 embedding tables): one thread per output word, assembling its two halves.
    return {
      uniforms: [
        ['n', 'u32'],
        ['C', 'u32'],
        ['R', 'u32'],
        ['words', 'u32'],
      ],
      code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> TABLE: array<u32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<u32>;
${faultDecl(4)}
fn half_of(i: u32) -> u32 {
  let r = IDX[i / u.C];
  if (r < 0 || r >= i32(u.R)) { fault(1u, r); return 0u; }
  let e = u32(r) * u.C + i % u.C;
  return (TABLE[e / 2u] >> (16u * (e % 2u))) & 0xffffu;
}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let w = ${FLAT_WG} * ${WG}u + lid;
  if (w >= u.words) { return; }
  var hi = 0u;
  if (2u * w + 1u < u.n) { hi = half_of(2u * w + 1u); }
  O[w] = half_of(2u * w) | (hi << 16u);
}`,
    };
  }
  return {
    uniforms: [
      ['n', 'u32'],
      ['C', 'u32'],
      ['R', 'u32'],
    ],
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> TABLE: array<u32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<u32>;
${faultDecl(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let r = IDX[i / u.C];
  if (r < 0 || r >= i32(u.R)) { fault(1u, r); O[i] = 0u; return; }
  O[i] = TABLE[u32(r) * u.C + i % u.C];
}`,
  };
});

const gatherRowsKernel = implement(gatherRows, 'webgpu', ({ inputs, backend }) => {
  const b = gpu(backend);
  const [table, idx] = inputs;
  if (table.shape.length !== 2) throw kernelError('gatherRows', `table must be [R, C], got ${fmt(table.shape)}`);
  const [R, C] = table.shape;
  const out = output(b, [...idx.shape, C], table.dtype);
  const n = sizeOf(idx.shape) * C;
  if (n === 0) return out;
  const half = table.dtype === 'float16' || table.dtype === 'bfloat16';
  const words = Math.ceil(n / 2);
  b.dispatch({
    shader: GATHER_ROWS,
    params: { half },
    uniforms: half ? { n, C, R, words } : { n, C, R },
    buffers: [
      buf(table, 'gatherRows', 'table'),
      buf(idx, 'gatherRows', 'indices'),
      buf(out, 'gatherRows'),
      b.faultBinding(),
    ],
    workgroups: grid(Math.ceil((half ? words : n) / WG)),
  });
  return out;
});

/**
 * out[idx[n], c] += updates[n, c] with a compare-and-swap loop on the float
 * bits (WGSL has no float atomics). Summation order varies between runs,
 * so results match the CPU to rounding, not bit for bit.
 */
const SCATTER_ADD_ROWS = shaderTemplate('scatterAddRows', () => ({
  uniforms: [
    ['n', 'u32'],
    ['C', 'u32'],
    ['R', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> UPD: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<atomic<u32>>;
${faultDecl(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let r = IDX[i / u.C];
  if (r < 0 || r >= i32(u.R)) { fault(2u, r); return; }
  let v = UPD[i];
  let at = u32(r) * u.C + i % u.C;
  var old = atomicLoad(&O[at]);
  loop {
    let res = atomicCompareExchangeWeak(&O[at], old, bitcast<u32>(bitcast<f32>(old) + v));
    if (res.exchanged) { break; }
    old = res.old_value;
  }
}`,
}));

const scatterAddRowsKernel = implement(scatterAddRows, 'webgpu', ({ inputs, attrs, backend }) => {
  const b = gpu(backend);
  const [upd, idx] = inputs;
  assertDType('scatterAddRows', 'updates', upd, 'float32');
  const lead = idx.shape;
  if (upd.shape.length !== lead.length + 1 || lead.some((d, i) => d !== upd.shape[i])) {
    throw kernelError('scatterAddRows', `updates ${fmt(upd.shape)} must be [...indices ${fmt(lead)}, C]`);
  }
  const numRows = attrs.numRows;
  if (numRows < 0) throw kernelError('scatterAddRows', `attrs.numRows must be a non-negative integer, got ${numRows}`);
  const C = upd.shape[upd.shape.length - 1];
  const out = output(b, [numRows, C], 'float32', true);
  const n = sizeOf(idx.shape) * C;
  if (n === 0) return out;
  b.dispatch({
    shader: SCATTER_ADD_ROWS,
    params: {},
    uniforms: { n, C, R: numRows },
    buffers: [
      buf(upd, 'scatterAddRows', 'updates'),
      buf(idx, 'scatterAddRows', 'indices'),
      buf(out, 'scatterAddRows'),
      b.faultBinding(),
    ],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [gatherRowsKernel, scatterAddRowsKernel];
