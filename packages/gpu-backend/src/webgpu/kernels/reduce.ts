import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { ReduceAttrs } from '../../kernel-attrs.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_BUILTINS, FLAT_WG, grid, type Params } from '../program.js';
import { buf, gpu, normAxis, output, requireFloat32, requireInputs, sizeOf, stridesOf, WG } from './util.js';

export type ReduceKind = 'sum' | 'mean' | 'max' | 'argmax';

interface Groups {
  keptDims: number[];
  keptStrides: number[];
  redDims: number[];
  redStrides: number[];
}

/** Split x's dims into kept and reduced, merging neighbours of the same kind (row-major makes them contiguous). */
function groupDims(shape: readonly number[], reduced: ReadonlySet<number>): Groups {
  const st = stridesOf(shape);
  const g: Groups = { keptDims: [], keptStrides: [], redDims: [], redStrides: [] };
  let prev: 'k' | 'r' | undefined;
  shape.forEach((d, i) => {
    if (d === 1) return;
    const kind = reduced.has(i) ? 'r' : 'k';
    const dims = kind === 'r' ? g.redDims : g.keptDims;
    const strides = kind === 'r' ? g.redStrides : g.keptStrides;
    if (prev === kind && dims.length > 0 && strides[strides.length - 1] === st[i]! * d) {
      dims[dims.length - 1] = dims[dims.length - 1]! * d;
      strides[strides.length - 1] = st[i]!;
    } else {
      dims.push(d);
      strides.push(st[i]!);
    }
    prev = kind;
  });
  return g;
}

function offsetCode(v: string, idx: string, prefix: string, dims: number[]): string {
  if (dims.length === 0) return `let ${v} = 0u;`;
  let s = `var ${v} = 0u; { var rem = ${idx};`;
  for (let d = dims.length - 1; d >= 0; d--) {
    s += ` { let c = rem % u.${prefix}d${d}; rem = rem / u.${prefix}d${d}; ${v} += c * u.${prefix}s${d}; }`;
  }
  return s + ' }';
}

/**
 * Reduce over `axes`: one thread per output for short reductions, one
 * 256-thread workgroup per output (tree reduction in workgroup memory) for long ones.
 */
export function reduceRun(
  backend: WebgpuBackend,
  kind: ReduceKind,
  x: TensorInfo,
  axes: readonly number[],
  keepDims: boolean,
): TensorInfo {
  const name = kind;
  requireFloat32(x, name, 'x');
  const rank = x.shape.length;
  const set = new Set(axes.map((a) => normAxis(a, rank, name)));
  const outShape = keepDims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
  const out = output(backend, outShape, kind === 'argmax' ? 'int32' : 'float32');
  const nOut = sizeOf(outShape);
  if (nOut === 0) return out;
  const R = [...set].reduce((acc, i) => acc * x.shape[i]!, 1);
  const g = groupDims(x.shape, set);
  const params: Params = { nOut: ['u32', nOut], R: ['u32', R] };
  g.keptDims.forEach((d, i) => {
    params[`kd${i}`] = ['u32', d];
    params[`ks${i}`] = ['u32', g.keptStrides[i]!];
  });
  g.redDims.forEach((d, i) => {
    params[`rd${i}`] = ['u32', d];
    params[`rs${i}`] = ['u32', g.redStrides[i]!];
  });
  const baseCode = offsetCode('base', 'o', 'k', g.keptDims);
  const redCode = offsetCode('off', 'r', 'r', g.redDims);
  const isMax = kind === 'max' || kind === 'argmax';
  const init = isMax ? '-f32_inf()' : '0.0';
  // (value, index) combine: NaN wins (propagates); ties keep the lower index.
  const better = '(f32_is_nan(v) && !f32_is_nan(acc)) || v > acc || (v == acc && j < accI)';
  const outType = kind === 'argmax' ? 'i32' : 'f32';
  const finish = kind === 'argmax' ? 'i32(accI)' : kind === 'mean' ? 'acc / f32(u.R)' : 'acc';
  const step = isMax ? `if (${better}) { acc = v; accI = j; }` : 'acc += v;';
  const threadPerOutput = R <= 64;
  const head = /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<${outType}>;`;
  let code: string;
  if (threadPerOutput) {
    code = `${head}
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let o = ${FLAT_WG} * ${WG}u + lid;
  if (o >= u.nOut) { return; }
  ${baseCode}
  var acc: f32 = ${init}; var accI = 0xffffffffu;
  for (var r = 0u; r < u.R; r++) {
    ${redCode}
    let v = X[base + off]; let j = r;
    ${step}
  }
  if (accI == 0xffffffffu) { accI = 0u; }
  O[o] = ${finish};
}`;
  } else {
    const combine = isMax
      ? `{ let v = sv[lid + s]; let j = si[lid + s]; let acc = sv[lid]; let accI = si[lid]; if (${better}) { sv[lid] = v; si[lid] = j; } }`
      : 'sv[lid] += sv[lid + s];';
    code = `${head}
var<workgroup> sv: array<f32, ${WG}>;
var<workgroup> si: array<u32, ${WG}>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let o = ${FLAT_WG};
  ${baseCode}
  var acc: f32 = ${init}; var accI = 0xffffffffu;
  for (var r = lid; r < u.R; r += ${WG}u) {
    ${redCode}
    let v = X[base + off]; let j = r;
    ${step}
  }
  sv[lid] = acc; si[lid] = accI;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s / 2u) {
    if (lid < s) { ${combine} }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let acc = sv[0]; var accI = si[0];
    if (accI == 0xffffffffu) { accI = 0u; }
    O[o] = ${finish};
  }
}`;
  }
  backend.dispatch({
    name,
    code,
    params,
    buffers: [buf(x, name, 'x'), buf(out, name, 'output')],
    workgroups: grid(threadPerOutput ? Math.ceil(nOut / WG) : nOut),
  });
  return out;
}

export function reduceKernel(kind: 'sum' | 'mean' | 'max'): KernelFunc<ReduceAttrs> {
  return ({ inputs, attrs, backend }) => {
    requireInputs(inputs, 1, kind);
    if (!Array.isArray(attrs.axes)) throw new Error(`kernel '${kind}': attrs.axes must be an array of axes`);
    return reduceRun(gpu(backend), kind, inputs[0]!, attrs.axes, !!attrs.keepDims);
  };
}

export const argmax: KernelFunc<{ axis: number }> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 1, 'argmax');
  return reduceRun(gpu(backend), 'argmax', inputs[0]!, [attrs.axis], false);
};
