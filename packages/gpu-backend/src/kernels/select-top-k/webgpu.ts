import { implement } from '../../registry.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { selectTopK } from './contract.js';
import { selectTopKDims } from './select.js';

const WG = 256;

/**
 * One workgroup per row. The k-th largest value is found exactly by a radix
 * select over order-preserving u32 keys of the floats (-0 keyed as +0): four
 * passes of an 8-bit histogram, each narrowing the key's prefix. Then each
 * thread counts the qualifying entries of its contiguous chunk of the row, a
 * workgroup scan turns the counts into offsets, and the threads write their
 * entries there, so the output is in index order with no sort.
 */
const SELECT_TOP_K = shaderTemplate('selectTopK', () => ({
  uniforms: [
    ['rows', 'u32'],
    ['N', 'u32'],
    ['k', 'u32'],
    ['capacity', 'u32'],
  ],
  code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> IDX: array<i32>;
@group(0) @binding(3) var<storage, read_write> VAL: array<f32>;
@group(0) @binding(4) var<storage, read_write> CNT: array<i32>;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> nan_seen: atomic<u32>;
var<workgroup> key_prefix: u32;
var<workgroup> rank_left: u32;
var<workgroup> scan: array<u32, ${WG}>;

// Ascending in the float's order for every non-NaN value; -0 and +0 share a key.
fn order_key(v: f32) -> u32 {
  var b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) == 0u) { b = 0u; }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let row = ${FLAT_WG};
  if (row >= u.rows) { return; }
  let base = row * u.N;
  if (lid == 0u) {
    key_prefix = 0u;
    rank_left = u.k;
    atomicStore(&nan_seen, 0u);
  }
  for (var digit = 0u; digit < 4u; digit = digit + 1u) {
    let shift = 24u - 8u * digit;
    atomicStore(&hist[lid], 0u);
    workgroupBarrier();
    let prefix = key_prefix;
    // the bits above this pass's digit (none on the first pass)
    let high = select(0xffffffffu << (shift + 8u), 0u, digit == 0u);
    for (var j = lid; j < u.N; j = j + ${WG}u) {
      let v = X[base + j];
      if (digit == 0u && f32_is_nan(v)) { atomicStore(&nan_seen, 1u); }
      let key = order_key(v);
      if ((key & high) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (lid == 0u) {
      // from the largest digit down: the bin holding the rank_left-th largest key
      var left = rank_left;
      var bin = 255u;
      loop {
        let c = atomicLoad(&hist[bin]);
        if (c >= left || bin == 0u) { break; }
        left = left - c;
        bin = bin - 1u;
      }
      key_prefix = prefix | (bin << shift);
      rank_left = left;
    }
    workgroupBarrier();
  }
  let kth = key_prefix;
  let nan = atomicLoad(&nan_seen) != 0u;
  let chunk = (u.N + ${WG - 1}u) / ${WG}u;
  let lo = min(lid * chunk, u.N);
  let hi = min(lo + chunk, u.N);
  var mine = 0u;
  for (var j = lo; j < hi; j = j + 1u) {
    if (order_key(X[base + j]) >= kth) { mine = mine + 1u; }
  }
  scan[lid] = mine;
  workgroupBarrier();
  for (var s = 1u; s < ${WG}u; s = s * 2u) {
    var add = 0u;
    if (lid >= s) { add = scan[lid - s]; }
    workgroupBarrier();
    scan[lid] = scan[lid] + add;
    workgroupBarrier();
  }
  let total = scan[${WG - 1}];
  let out = row * u.capacity;
  var pos = scan[lid] - mine;
  if (!nan) {
    for (var j = lo; j < hi && pos < u.capacity; j = j + 1u) {
      let v = X[base + j];
      if (order_key(v) >= kth) {
        IDX[out + pos] = i32(j);
        VAL[out + pos] = v;
        pos = pos + 1u;
      }
    }
  }
  let filled = select(min(total, u.capacity), 0u, nan);
  for (var q = filled + lid; q < u.capacity; q = q + ${WG}u) {
    IDX[out + q] = -1;
    VAL[out + q] = 0.0;
  }
  if (lid == 0u) { CNT[row] = select(i32(total), -1, nan); }
}`,
}));

const selectTopKKernel = implement(selectTopK, 'webgpu', ({ inputs, attrs, backend }) => {
  const be = gpu(backend);
  const [x] = inputs;
  const { rows, n, outShape, countShape } = selectTopKDims(x.shape, attrs);
  const index = output(be, outShape, 'int32');
  const value = output(be, outShape, 'float32');
  const count = output(be, countShape, 'int32');
  if (rows > 0) {
    be.dispatch({
      shader: SELECT_TOP_K,
      params: {},
      uniforms: { rows, N: n, k: attrs.k, capacity: attrs.capacity },
      buffers: [
        buf(x, 'selectTopK', 'x'),
        buf(index, 'selectTopK'),
        buf(value, 'selectTopK'),
        buf(count, 'selectTopK'),
      ],
      workgroups: grid(rows),
    });
  }
  return [index, value, count];
});

/** The webgpu implementations of this folder's kernels. */
export const implementations = [selectTopKKernel];
