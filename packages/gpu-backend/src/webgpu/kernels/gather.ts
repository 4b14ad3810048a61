import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_BUILTINS, FLAT_WG, grid, type Params } from '../program.js';
import { buf, gpu, output, requireFloat32, requireInputs, requireInt32, sizeOf, WG } from './util.js';

/**
 * An out-of-range index cannot throw on the device: the thread records the
 * fault (code, index) in the backend's fault word, writes 0, and the next
 * read/sync rejects with the kernel's name.
 */
const FAULT_DECL = (binding: number) =>
  `@group(0) @binding(${binding}) var<storage, read_write> FAULT: array<atomic<u32>, 4>;
fn fault(code: u32, index: i32) { if (atomicCompareExchangeWeak(&FAULT[0], 0u, code).exchanged) { atomicStore(&FAULT[1], bitcast<u32>(index)); } }`;

function run(
  b: WebgpuBackend,
  name: string,
  code: string,
  params: Params,
  buffers: GPUBuffer[],
  threads: number,
): void {
  b.dispatch({
    name,
    code,
    params,
    buffers: [...buffers, b.faultBinding()],
    workgroups: grid(Math.ceil(threads / WG)),
  });
}

/** out[n, c] = table[idx[n], c]; one thread per output element. */
export const gatherRows: KernelFunc = ({ inputs, backend }) => {
  requireInputs(inputs, 2, 'gatherRows');
  const b = gpu(backend);
  const [table, idx] = [inputs[0]!, inputs[1]!];
  requireInt32(idx, 'gatherRows', 'indices');
  if (table.shape.length !== 2)
    throw new Error(`kernel 'gatherRows': table must be [R, C], got [${table.shape.join(', ')}]`);
  const [R, C] = table.shape as [number, number];
  const out = output(b, [...idx.shape, C], table.dtype);
  const n = sizeOf(idx.shape) * C;
  if (n === 0) return out;
  if (table.dtype === 'float16' || table.dtype === 'bfloat16') {
    // 16-bit rows (bf16 embedding tables): one thread per output word, assembling its two halves.
    const words = Math.ceil(n / 2);
    run(
      b,
      'gatherRows',
      /* wgsl */ `
@group(0) @binding(1) var<storage, read> TABLE: array<u32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<u32>;
${FAULT_DECL(4)}
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
      { n: ['u32', n], C: ['u32', C], R: ['u32', R], words: ['u32', words] },
      [buf(table, 'gatherRows', 'table'), buf(idx, 'gatherRows', 'indices'), buf(out, 'gatherRows')],
      words,
    );
    return out;
  }
  run(
    b,
    'gatherRows',
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> TABLE: array<u32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<u32>;
${FAULT_DECL(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  let r = IDX[i / u.C];
  if (r < 0 || r >= i32(u.R)) { fault(1u, r); O[i] = 0u; return; }
  O[i] = TABLE[u32(r) * u.C + i % u.C];
}`,
    { n: ['u32', n], C: ['u32', C], R: ['u32', R] },
    [buf(table, 'gatherRows', 'table'), buf(idx, 'gatherRows', 'indices'), buf(out, 'gatherRows')],
    n,
  );
  return out;
};

/**
 * out[idx[n], c] += updates[n, c] with a compare-and-swap loop on the float
 * bits (WGSL has no float atomics). Summation order varies between runs,
 * so results match the CPU to rounding, not bit for bit.
 */
export const scatterAddRows: KernelFunc<{ numRows: number }> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'scatterAddRows');
  const b = gpu(backend);
  const [upd, idx] = [inputs[0]!, inputs[1]!];
  requireFloat32(upd, 'scatterAddRows', 'updates');
  requireInt32(idx, 'scatterAddRows', 'indices');
  const N = sizeOf(idx.shape);
  const C = upd.shape.length > idx.shape.length ? upd.shape[upd.shape.length - 1]! : 1;
  if (upd.shape.length !== idx.shape.length + 1 || upd.shape.slice(0, -1).join() !== idx.shape.join()) {
    throw new Error(
      `kernel 'scatterAddRows': updates [${upd.shape.join(', ')}] must be [...indices shape, C] for indices [${idx.shape.join(', ')}]`,
    );
  }
  const numRows = attrs.numRows;
  if (!Number.isInteger(numRows) || numRows < 0)
    throw new Error(`kernel 'scatterAddRows': attrs.numRows must be a non-negative integer`);
  const out = output(b, [numRows, C], 'float32', true);
  const n = N * C;
  if (n === 0) return out;
  run(
    b,
    'scatterAddRows',
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> UPD: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<atomic<u32>>;
${FAULT_DECL(4)}
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
    { n: ['u32', n], C: ['u32', C], R: ['u32', numRows] },
    [buf(upd, 'scatterAddRows', 'updates'), buf(idx, 'scatterAddRows', 'indices'), buf(out, 'scatterAddRows')],
    n,
  );
  return out;
};

function checkAlong(name: string, idx: TensorInfo): number {
  requireInt32(idx, name, 'indices');
  return sizeOf(idx.shape);
}

/** out[r] = x[r, idx[r]] over rows r of x [..., V]. */
export const takeAlongAxis: KernelFunc = ({ inputs, backend }) => {
  requireInputs(inputs, 2, 'takeAlongAxis');
  const b = gpu(backend);
  const [x, idx] = [inputs[0]!, inputs[1]!];
  requireFloat32(x, 'takeAlongAxis', 'x');
  const rows = checkAlong('takeAlongAxis', idx);
  if (x.shape.length !== idx.shape.length + 1 || x.shape.slice(0, -1).join() !== idx.shape.join()) {
    throw new Error(
      `kernel 'takeAlongAxis': x [${x.shape.join(', ')}] must be [...indices shape, V] for indices [${idx.shape.join(', ')}]`,
    );
  }
  const V = x.shape[x.shape.length - 1]!;
  const out = output(b, idx.shape);
  if (rows === 0) return out;
  run(
    b,
    'takeAlongAxis',
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${FAULT_DECL(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_WG} * ${WG}u + lid;
  if (r >= u.n) { return; }
  let j = IDX[r];
  if (j < 0 || j >= i32(u.V)) { fault(3u, j); O[r] = 0.0; return; }
  O[r] = X[r * u.V + u32(j)];
}`,
    { n: ['u32', rows], V: ['u32', V] },
    [buf(x, 'takeAlongAxis', 'x'), buf(idx, 'takeAlongAxis', 'indices'), buf(out, 'takeAlongAxis')],
    rows,
  );
  return out;
};

/** zeros [..., size] with out[r, idx[r]] = updates[r]. */
export const putAlongAxis: KernelFunc<{ size: number }> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'putAlongAxis');
  const b = gpu(backend);
  const [upd, idx] = [inputs[0]!, inputs[1]!];
  requireFloat32(upd, 'putAlongAxis', 'updates');
  const rows = checkAlong('putAlongAxis', idx);
  if (upd.shape.join() !== idx.shape.join()) {
    throw new Error(
      `kernel 'putAlongAxis': updates [${upd.shape.join(', ')}] and indices [${idx.shape.join(', ')}] differ`,
    );
  }
  const size = attrs.size;
  if (!Number.isInteger(size) || size < 0)
    throw new Error(`kernel 'putAlongAxis': attrs.size must be a non-negative integer`);
  const out = output(b, [...idx.shape, size], 'float32', true);
  if (rows === 0) return out;
  run(
    b,
    'putAlongAxis',
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> UPD: array<f32>;
@group(0) @binding(2) var<storage, read> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${FAULT_DECL(4)}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let r = ${FLAT_WG} * ${WG}u + lid;
  if (r >= u.n) { return; }
  let j = IDX[r];
  if (j < 0 || j >= i32(u.V)) { fault(4u, j); return; }
  O[r * u.V + u32(j)] = UPD[r];
}`,
    { n: ['u32', rows], V: ['u32', size] },
    [buf(upd, 'putAlongAxis', 'updates'), buf(idx, 'putAlongAxis', 'indices'), buf(out, 'putAlongAxis')],
    rows,
  );
  return out;
};
