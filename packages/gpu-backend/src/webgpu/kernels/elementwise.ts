import type { TensorInfo } from '../../backend.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_BUILTINS, FLAT_WG, grid, type Params } from '../program.js';
import { broadcastShapes, buf, output, sizeOf, stridesOf, WG, wgslType } from './util.js';

/**
 * Dims of the output after merging neighbours that every input treats the
 * same way (all broadcast or all contiguous), and each input's strides over
 * them (0 where broadcast). Keeps the generated index arithmetic short.
 */
export function coalesce(
  outShape: readonly number[],
  inShapes: readonly (readonly number[])[],
): { dims: number[]; strides: number[][] } {
  const rank = outShape.length;
  const padded = inShapes.map((s) => [...new Array<number>(rank - s.length).fill(1), ...s]);
  const full = padded.map((s) => {
    const st = stridesOf(s);
    return s.map((d, i) => (d === 1 && outShape[i] !== 1 ? 0 : st[i]!));
  });
  const dims: number[] = [];
  const strides: number[][] = inShapes.map(() => []);
  for (let i = 0; i < rank; i++) {
    const d = outShape[i]!;
    if (d === 1) continue;
    const last = dims.length - 1;
    if (
      last >= 0 &&
      full.every((st, k) => st[i]! * d === strides[k]![last]! || (st[i] === 0 && strides[k]![last] === 0))
    ) {
      // merge dim i into the previous kept dim: previous stride becomes this dim's stride
      dims[last] = dims[last]! * d;
      full.forEach((st, k) => (strides[k]![last] = st[i]!));
      continue;
    }
    dims.push(d);
    full.forEach((st, k) => strides[k]!.push(st[i]!));
  }
  return { dims, strides };
}

/**
 * Run `expr` (WGSL over f32 values x0, x1, ...) elementwise with NumPy
 * broadcasting; float32 output. Inputs may be float32 or int32 (read as f32).
 */
export function elementwise(
  backend: WebgpuBackend,
  name: string,
  inputs: readonly TensorInfo[],
  expr: string,
  extraParams: Params = {},
  prelude = '',
): TensorInfo {
  const outShape = broadcastShapes(
    inputs.map((x) => x.shape),
    name,
  );
  const out = output(backend, outShape);
  const n = sizeOf(outShape);
  if (n === 0) return out;
  const { dims, strides } = coalesce(
    outShape,
    inputs.map((x) => x.shape),
  );
  const rank = dims.length;
  const params: Params = { n: ['u32', n], ...extraParams };
  dims.forEach((d, i) => (params[`d${i}`] = ['u32', d]));
  const decls: string[] = [];
  const loads: string[] = [];
  let index = '';
  inputs.forEach((x, k) => {
    const t = wgslType(x.dtype);
    decls.push(`@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${t}>;`);
    const same = sizeOf(x.shape) === n;
    const scalar = sizeOf(x.shape) === 1;
    if (same) loads.push(`let x${k} = f32(in${k}[i]);`);
    else if (scalar) loads.push(`let x${k} = f32(in${k}[0]);`);
    else {
      strides[k]!.forEach((s, d) => (params[`s${k}_${d}`] = ['u32', s]));
      index += `var o${k} = 0u;\n`;
      loads.push(`let x${k} = f32(in${k}[o${k}]);`);
    }
  });
  const general = inputs.map((x, k) => (sizeOf(x.shape) !== n && sizeOf(x.shape) !== 1 ? k : -1)).filter((k) => k >= 0);
  if (general.length > 0) {
    index += 'var rem = i;\n';
    for (let d = rank - 1; d >= 0; d--) {
      index += `{ let c = rem % u.d${d}; rem = rem / u.d${d}; ${general.map((k) => `o${k} += c * u.s${k}_${d};`).join(' ')} }\n`;
    }
  }
  const ob = inputs.length + 1;
  const code = /* wgsl */ `
${prelude}
${decls.join('\n')}
@group(0) @binding(${ob}) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  ${loads.join('\n  ')}
  out[i] = ${expr};
}`;
  backend.dispatch({
    name,
    code,
    params,
    buffers: [...inputs.map((x, k) => buf(x, name, `input ${k}`)), buf(out, name, 'output')],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
}
