import type { TensorInfo } from '../../backend.js';
import { implement } from '../../registry.js';
import { assertDType, normalizeAxes, normalizeAxis, sizeOf, stridesOf } from '../../shape.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, gpu, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { shaderTemplate, type UniformLayout } from '../../webgpu/shader.js';
import { contracts } from './contract.js';
import { assertReducible } from './empty-axis.js';

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

function offsetCode(v: string, idx: string, prefix: string, rank: number): string {
  if (rank === 0) return `let ${v} = 0u;`;
  let s = `var ${v} = 0u; { var rem = ${idx};`;
  for (let d = rank - 1; d >= 0; d--) {
    s += ` { let c = rem % u.${prefix}d${d}; rem = rem / u.${prefix}d${d}; ${v} += c * u.${prefix}s${d}; }`;
  }
  return s + ' }';
}

/**
 * Reduce over axes: one thread per output for short reductions, one
 * 256-thread workgroup per output (tree reduction in workgroup memory) for
 * long ones. Parameterised by the kind, the strategy and the ranks of the
 * kept and reduced dims after merging.
 */
const REDUCE = shaderTemplate(
  'reduce',
  ({ kind, threadPerOutput, kept, red }: { kind: ReduceKind; threadPerOutput: boolean; kept: number; red: number }) => {
    const uniforms: [string, 'u32'][] = [
      ['nOut', 'u32'],
      ['R', 'u32'],
    ];
    for (let i = 0; i < kept; i++) uniforms.push([`kd${i}`, 'u32'], [`ks${i}`, 'u32']);
    for (let i = 0; i < red; i++) uniforms.push([`rd${i}`, 'u32'], [`rs${i}`, 'u32']);
    const baseCode = offsetCode('base', 'o', 'k', kept);
    const redCode = offsetCode('off', 'r', 'r', red);
    const isMax = kind === 'max' || kind === 'argmax';
    const init = isMax ? '-f32_inf()' : '0.0';
    // (value, index) combine: NaN wins (propagates); ties keep the lower index.
    const better = '(f32_is_nan(v) && !f32_is_nan(acc)) || v > acc || (v == acc && j < accI)';
    const outType = kind === 'argmax' ? 'i32' : 'f32';
    const finish = kind === 'argmax' ? 'i32(accI)' : kind === 'mean' ? 'acc / f32(u.R)' : 'acc';
    const step = isMax ? `if (${better}) { acc = v; accI = j; }` : 'acc += v;';
    const head = /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<${outType}>;`;
    if (threadPerOutput) {
      return {
        uniforms: uniforms as UniformLayout,
        code: `${head}
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
}`,
      };
    }
    const combine = isMax
      ? `{ let v = sv[lid + s]; let j = si[lid + s]; let acc = sv[lid]; let accI = si[lid]; if (${better}) { sv[lid] = v; si[lid] = j; } }`
      : 'sv[lid] += sv[lid + s];';
    return {
      uniforms: uniforms as UniformLayout,
      code: `${head}
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
}`,
    };
  },
);

export function reduceRun(
  backend: WebgpuBackend,
  kind: ReduceKind,
  x: TensorInfo,
  axes: readonly number[],
  keepDims: boolean,
): TensorInfo {
  assertDType(kind, 'x', x, 'float32');
  const rank = x.shape.length;
  const set = new Set(axes.map((a) => normalizeAxis(kind, a, rank)));
  const outShape = keepDims ? x.shape.map((d, i) => (set.has(i) ? 1 : d)) : x.shape.filter((_, i) => !set.has(i));
  const out = output(backend, outShape, kind === 'argmax' ? 'int32' : 'float32');
  const nOut = sizeOf(outShape);
  if (nOut === 0) return out;
  const R = [...set].reduce((acc, i) => acc * x.shape[i]!, 1);
  const g = groupDims(x.shape, set);
  const uniforms: Record<string, number> = { nOut, R };
  g.keptDims.forEach((d, i) => {
    uniforms[`kd${i}`] = d;
    uniforms[`ks${i}`] = g.keptStrides[i]!;
  });
  g.redDims.forEach((d, i) => {
    uniforms[`rd${i}`] = d;
    uniforms[`rs${i}`] = g.redStrides[i]!;
  });
  const threadPerOutput = R <= 64;
  backend.dispatch({
    shader: REDUCE,
    params: { kind, threadPerOutput, kept: g.keptDims.length, red: g.redDims.length },
    uniforms,
    buffers: [buf(x, kind, 'x'), buf(out, kind)],
    workgroups: grid(threadPerOutput ? Math.ceil(nOut / WG) : nOut),
  });
  return out;
}

/** The webgpu implementations of this folder's kernels. */
export const implementations = contracts.map((contract) =>
  implement(contract, 'webgpu', ({ inputs, attrs, backend }) => {
    const x = inputs[0];
    assertReducible(contract.name, x.shape, normalizeAxes(contract.name, attrs.axes, x.shape.length));
    return reduceRun(gpu(backend), contract.name, x, attrs.axes, attrs.keepDims === true);
  }),
);
