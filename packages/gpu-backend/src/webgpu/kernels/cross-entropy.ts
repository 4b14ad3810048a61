import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_WG, grid, type Params } from '../program.js';
import { buf, gpu, output, requireFloat32, requireInputs, requireInt32, sizeOf } from './util.js';

/**
 * Fused cross-entropy over large vocabularies (webgpu extras, not in the
 * contract): one 256-thread workgroup per row reads the logits twice for the
 * loss and twice for the gradient, never materialising softmax or one-hot
 * rows of 151,936 floats.
 *
 * crossEntropy(logits [..., V], targets int32 [...]) -> loss [...], lse [...]
 *   loss = logsumexp(row) - row[target]; 0 (and lse still set) where target == ignoreIndex
 * crossEntropyGrad(dLoss [...], logits, targets, lse) -> dLogits [..., V]
 *   dLoss * (softmax(row) - onehot(target)); a zero row where target == ignoreIndex
 * A target outside [0, V) other than ignoreIndex is reported by the next read/sync.
 */
export interface CrossEntropyAttrs {
  /** Targets equal to this are skipped (default -100, as in PyTorch). */
  ignoreIndex?: number;
  [k: string]: unknown;
}

const WGS = 256;

const head = (faultBinding: number) => /* wgsl */ `
var<workgroup> red: array<f32, ${WGS}>;
fn wg_reduce(v: f32, lid: u32, isMax: bool) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${WGS / 2}u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = select(red[lid] + red[lid + s], max(red[lid], red[lid + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
@group(0) @binding(${faultBinding}) var<storage, read_write> FAULT: array<atomic<u32>, 4>;
fn fault(code: u32, index: i32) { if (atomicCompareExchangeWeak(&FAULT[0], 0u, code).exchanged) { atomicStore(&FAULT[1], bitcast<u32>(index)); } }
`;

function checkRows(name: string, logits: TensorInfo, targets: TensorInfo): { rows: number; V: number } {
  requireFloat32(logits, name, 'logits');
  requireInt32(targets, name, 'targets');
  if (logits.shape.length !== targets.shape.length + 1 || logits.shape.slice(0, -1).join() !== targets.shape.join()) {
    throw new Error(
      `kernel '${name}': logits [${logits.shape.join(', ')}] must be [...targets shape, V] for targets [${targets.shape.join(', ')}]`,
    );
  }
  return { rows: sizeOf(targets.shape), V: logits.shape[logits.shape.length - 1]! };
}

export const crossEntropy: KernelFunc<CrossEntropyAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 2, 'crossEntropy');
  const b = gpu(backend);
  const [logits, targets] = [inputs[0]!, inputs[1]!];
  const { rows, V } = checkRows('crossEntropy', logits, targets);
  const loss = output(b, targets.shape);
  const lse = output(b, targets.shape);
  if (rows === 0) return [loss, lse];
  dispatchRowsAt(
    b,
    'crossEntropy',
    rows,
    { V: ['u32', V], ignore: ['i32', attrs.ignoreIndex ?? -100] },
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<i32>;
@group(0) @binding(3) var<storage, read_write> LOSS: array<f32>;
@group(0) @binding(4) var<storage, read_write> LSE: array<f32>;`,
    /* wgsl */ `
  var m = -f32_inf();
  for (var j = lid; j < u.V; j += ${WGS}u) { m = max(m, X[base + j]); }
  m = wg_reduce(m, lid, true);
  var s = 0.0;
  if (m > -f32_inf()) { for (var j = lid; j < u.V; j += ${WGS}u) { s += exp(X[base + j] - m); } }
  s = wg_reduce(s, lid, false);
  if (lid == 0u) {
    let l = select(m + log(s), m, f32_is_inf(m));
    LSE[row] = l;
    let valid = t != u.ignore && t >= 0 && t < i32(u.V);
    LOSS[row] = select(0.0, l - X[base + u32(max(t, 0))], valid);
  }`,
    [
      buf(logits, 'crossEntropy', 'logits'),
      buf(targets, 'crossEntropy', 'targets'),
      buf(loss, 'crossEntropy'),
      buf(lse, 'crossEntropy'),
    ],
  );
  return [loss, lse];
};

export const crossEntropyGrad: KernelFunc<CrossEntropyAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 4, 'crossEntropyGrad');
  const b = gpu(backend);
  const [dLoss, logits, targets, lse] = [inputs[0]!, inputs[1]!, inputs[2]!, inputs[3]!];
  const { rows, V } = checkRows('crossEntropyGrad', logits, targets);
  for (const [t, w] of [
    [dLoss, 'dLoss'],
    [lse, 'lse'],
  ] as const) {
    requireFloat32(t, 'crossEntropyGrad', w);
    if (t.shape.join() !== targets.shape.join()) {
      throw new Error(
        `kernel 'crossEntropyGrad': ${w} [${t.shape.join(', ')}] must match targets [${targets.shape.join(', ')}]`,
      );
    }
  }
  const dx = output(b, logits.shape);
  if (rows === 0 || V === 0) return dx;
  dispatchRowsAt(
    b,
    'crossEntropyGrad',
    rows,
    { V: ['u32', V], ignore: ['i32', attrs.ignoreIndex ?? -100] },
    /* wgsl */ `
@group(0) @binding(1) var<storage, read> DL: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read> T: array<i32>;
@group(0) @binding(4) var<storage, read> LSE: array<f32>;
@group(0) @binding(5) var<storage, read_write> DX: array<f32>;`,
    /* wgsl */ `
  let valid = t != u.ignore && t >= 0 && t < i32(u.V);
  let g = select(0.0, DL[row], valid);
  let l = LSE[row];
  for (var j = lid; j < u.V; j += ${WGS}u) {
    DX[base + j] = g * (exp(X[base + j] - l) - select(0.0, 1.0, i32(j) == t));
  }`,
    [
      buf(dLoss, 'crossEntropyGrad', 'dLoss'),
      buf(logits, 'crossEntropyGrad', 'logits'),
      buf(targets, 'crossEntropyGrad', 'targets'),
      buf(lse, 'crossEntropyGrad', 'lse'),
      buf(dx, 'crossEntropyGrad'),
    ],
  );
  return dx;
};

function dispatchRowsAt(
  b: WebgpuBackend,
  name: string,
  rows: number,
  params: Params,
  decls: string,
  body: string,
  buffers: GPUBuffer[],
): void {
  b.dispatch({
    name,
    code: `${decls}\n${head(buffers.length + 1)}\n@compute @workgroup_size(${WGS}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = ${FLAT_WG};
  let base = row * u.V;
  let t = T[row];
  if (lid == 0u && t != u.ignore && (t < 0 || t >= i32(u.V))) { fault(5u, t); }
  ${body}
}`,
    params,
    buffers: [...buffers, b.faultBinding()],
    workgroups: grid(rows),
  });
}
