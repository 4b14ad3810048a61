import { implement } from '../../registry.js';
import { buf, gpu, output } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { selectTopK } from './contract.js';
import { selectTopKDims } from './select.js';

const WG = 256;
/** Entries a row's candidates may number for the shared-memory path (their indices: 8 KiB of workgroup memory). */
const CANDIDATES = 2048;

/**
 * WGSL that finishes a row's selection over `n` of its entries, the i-th at
 * `entry(i)` in the row, ascending: the key's other three bytes, a histogram
 * each, then each thread's contiguous chunk of the entries at or above the k-th
 * largest, counted, offset by a workgroup scan and written in order (none where
 * `nan`: the row held a NaN). Sets `total`.
 */
function finishOver(n: string, entry: (i: string) => string): string {
  return /* wgsl */ `
    for (var digit = 1u; digit < 4u; digit = digit + 1u) {
      let shift = 24u - 8u * digit;
      atomicStore(&hist[lid], 0u);
      workgroupBarrier();
      let prefix = key_prefix;
      let high = 0xffffffffu << (shift + 8u);
      for (var i = lid; i < ${n}; i = i + ${WG}u) {
        let key = order_key(X[base + ${entry('i')}]);
        if ((key & high) == prefix) { atomicAdd(&hist[(key >> shift) & 255u], 1u); }
      }
      workgroupBarrier();
      if (lid == 0u) { pick_bin(prefix, shift); }
      workgroupBarrier();
    }
    let kth = key_prefix;
    let chunk = (${n} + ${WG - 1}u) / ${WG}u;
    let lo = min(lid * chunk, ${n});
    let hi = min(lo + chunk, ${n});
    var mine = 0u;
    for (var i = lo; i < hi; i = i + 1u) {
      if (order_key(X[base + ${entry('i')}]) >= kth) { mine = mine + 1u; }
    }
    let at = offsets(lid, mine);
    total = at.y;
    var pos = at.x;
    if (!nan) {
      for (var i = lo; i < hi && pos < u.capacity; i = i + 1u) {
        let j = ${entry('i')};
        let v = X[base + j];
        if (order_key(v) >= kth) {
          IDX[out + pos] = i32(j);
          VAL[out + pos] = v;
          pos = pos + 1u;
        }
      }
    }`;
}

/**
 * One workgroup per row. The k-th largest value is found exactly by a radix
 * select over order-preserving u32 keys of the floats (-0 keyed as +0): a
 * histogram of the keys' top byte picks the byte of the k-th largest. Where the
 * entries at or above that byte are few (<= 2048; at a vocabulary's k-th
 * largest logit, a few hundred), their indices are gathered into workgroup
 * memory, sorted there (bitonic), and the other three bytes and the output come
 * from that list: two reads of the row in all. Otherwise (ties by the thousand)
 * each byte is another pass over the row, then each thread counts the entries
 * of its contiguous chunk, a workgroup scan gives each its offset and the
 * threads write there. Either way the output is in index order.
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
var<workgroup> cand_total: u32;
var<workgroup> cand_count: atomic<u32>;
var<workgroup> cand: array<u32, ${CANDIDATES}>;
var<workgroup> scan: array<u32, ${WG}>;

// Ascending in the float's order for every non-NaN value; -0 and +0 share a key.
fn order_key(v: f32) -> u32 {
  var b = bitcast<u32>(v);
  if ((b & 0x7fffffffu) == 0u) { b = 0u; }
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// Thread 0, after a histogram of the digit at shift: from the largest digit down, the bin holding the
// rank_left-th largest key; the prefix grows by that digit and rank_left becomes the rank within the bin.
fn pick_bin(prefix: u32, shift: u32) {
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

// This thread's exclusive offset among the workgroup's counts, and their sum (every thread calls it).
fn offsets(lid: u32, mine: u32) -> vec2<u32> {
  scan[lid] = mine;
  workgroupBarrier();
  for (var s = 1u; s < ${WG}u; s = s * 2u) {
    var add = 0u;
    if (lid >= s) { add = scan[lid - s]; }
    workgroupBarrier();
    scan[lid] = scan[lid] + add;
    workgroupBarrier();
  }
  let r = vec2<u32>(scan[lid] - mine, scan[${WG - 1}]);
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let row = ${FLAT_WG};
  if (row >= u.rows) { return; }
  let base = row * u.N;
  let out = row * u.capacity;
  if (lid == 0u) {
    rank_left = u.k;
    atomicStore(&nan_seen, 0u);
    atomicStore(&cand_count, 0u);
  }
  atomicStore(&hist[lid], 0u);
  workgroupBarrier();
  // The top byte of every key.
  for (var j = lid; j < u.N; j = j + ${WG}u) {
    let v = X[base + j];
    if (f32_is_nan(v)) { atomicStore(&nan_seen, 1u); }
    atomicAdd(&hist[order_key(v) >> 24u], 1u);
  }
  workgroupBarrier();
  if (lid == 0u) {
    pick_bin(0u, 24u);
    var m = 0u;
    for (var b = key_prefix >> 24u; b < 256u; b = b + 1u) { m = m + atomicLoad(&hist[b]); }
    cand_total = m;
  }
  let cands = workgroupUniformLoad(&cand_total);
  // Set by the pass above (its barrier came before): a row holding a NaN writes no entries.
  let nan = atomicLoad(&nan_seen) != 0u;
  var total = 0u;
  if (cands <= ${CANDIDATES}u) {
    // The entries whose top byte is at or above the k-th's, gathered and sorted by index.
    let top = key_prefix >> 24u;
    for (var j = lid; j < u.N; j = j + ${WG}u) {
      if ((order_key(X[base + j]) >> 24u) >= top) { cand[atomicAdd(&cand_count, 1u)] = j; }
    }
    var n2 = 1u;
    while (n2 < cands) { n2 = n2 * 2u; }
    for (var i = cands + lid; i < n2; i = i + ${WG}u) { cand[i] = 0xffffffffu; }
    workgroupBarrier();
    for (var size = 2u; size <= n2; size = size * 2u) {
      for (var stride = size / 2u; stride > 0u; stride = stride / 2u) {
        for (var i = lid; i < n2 / 2u; i = i + ${WG}u) {
          let lo = 2u * stride * (i / stride) + i % stride;
          let hi = lo + stride;
          let a = cand[lo];
          let b = cand[hi];
          if ((a > b) == ((lo & size) == 0u)) {
            cand[lo] = b;
            cand[hi] = a;
          }
        }
        workgroupBarrier();
      }
    }
    ${finishOver('cands', (i) => `cand[${i}]`)}
  } else {
    // Each further byte is a pass over the row.
    ${finishOver('u.N', (i) => i)}
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
