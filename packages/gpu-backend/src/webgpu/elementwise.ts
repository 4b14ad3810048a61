import type { TensorInfo } from '../backend.js';
import { broadcastShapes, sizeOf, stridesOf } from '../shape.js';
import type { WebgpuBackend } from './backend.js';
import { buf, output, WG, wgslType } from './kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from './program.js';
import { shaderTemplate, type ShaderParams, type ShaderTemplate, type UniformLayout } from './shader.js';

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

/** How an input is read at output element i: at i, at 0, or through broadcast strides. */
type InputMode = 'same' | 'scalar' | 'strided';

/** The layout part of an elementwise shader's parameters. */
interface ElementwiseLayout extends ShaderParams {
  rank: number;
  inputs: readonly { type: 'f32' | 'i32'; mode: InputMode }[];
}

/** What an elementwise op contributes to its shader: the expression over f32 values x0, x1, ... */
export interface ElementwiseBody {
  expr: string;
  /** WGSL functions the expression calls. */
  prelude?: string;
  /** Uniforms the expression reads (as u.<name>), after the layout's own. */
  uniforms?: UniformLayout;
}

export type ElementwiseShader<P extends ShaderParams> = ShaderTemplate<{ layout: ElementwiseLayout; op: P }>;

/**
 * The template of an elementwise op with NumPy broadcasting and a float32
 * output. Its parameters are the op's own (`op`, e.g. which binary op) and the
 * layout (rank after coalescing, and per input its WGSL type and how it is
 * read), so one pipeline serves every shape with that layout.
 */
export function elementwiseShader<P extends ShaderParams>(
  name: string,
  body: (op: P) => ElementwiseBody,
): ElementwiseShader<P> {
  return shaderTemplate(`elementwise.${name}`, ({ layout, op }: { layout: ElementwiseLayout; op: P }) => {
    const { expr, prelude = '', uniforms = [] } = body(op);
    const { rank, inputs } = layout;
    const layoutUniforms: [string, 'u32'][] = [['n', 'u32']];
    for (let d = 0; d < rank; d++) layoutUniforms.push([`d${d}`, 'u32']);
    const decls: string[] = [];
    const loads: string[] = [];
    let index = '';
    const strided: number[] = [];
    inputs.forEach(({ type, mode }, k) => {
      decls.push(`@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<${type}>;`);
      if (mode === 'same') loads.push(`let x${k} = f32(in${k}[i]);`);
      else if (mode === 'scalar') loads.push(`let x${k} = f32(in${k}[0]);`);
      else {
        strided.push(k);
        for (let d = 0; d < rank; d++) layoutUniforms.push([`s${k}_${d}`, 'u32']);
        index += `var o${k} = 0u;\n`;
        loads.push(`let x${k} = f32(in${k}[o${k}]);`);
      }
    });
    if (strided.length > 0) {
      index += 'var rem = i;\n';
      for (let d = rank - 1; d >= 0; d--) {
        index += `{ let c = rem % u.d${d}; rem = rem / u.d${d}; ${strided.map((k) => `o${k} += c * u.s${k}_${d};`).join(' ')} }\n`;
      }
    }
    const code = /* wgsl */ `
${prelude}
${decls.join('\n')}
@group(0) @binding(${inputs.length + 1}) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  ${loads.join('\n  ')}
  out[i] = ${expr};
}`;
    return { code, uniforms: [...layoutUniforms, ...uniforms] };
  });
}

/** Run an elementwise shader over broadcast inputs (float32 or int32, read as f32) into a new float32 tensor. */
export function runElementwise<P extends ShaderParams>(
  backend: WebgpuBackend,
  kernel: string,
  shader: ElementwiseShader<P>,
  op: P,
  inputs: readonly TensorInfo[],
  uniforms: Readonly<Record<string, number>> = {},
): TensorInfo {
  const outShape = broadcastShapes(kernel, ...inputs.map((x) => x.shape));
  const types = inputs.map((x) => wgslType(kernel, x.dtype));
  const out = output(backend, outShape);
  const n = sizeOf(outShape);
  if (n === 0) return out;
  const { dims, strides } = coalesce(
    outShape,
    inputs.map((x) => x.shape),
  );
  const values: Record<string, number> = { n, ...uniforms };
  dims.forEach((d, i) => (values[`d${i}`] = d));
  const modes = inputs.map((x, k): InputMode => {
    const size = sizeOf(x.shape);
    if (size === n) return 'same';
    if (size === 1) return 'scalar';
    strides[k]!.forEach((s, d) => (values[`s${k}_${d}`] = s));
    return 'strided';
  });
  backend.dispatch({
    shader,
    params: { layout: { rank: dims.length, inputs: modes.map((mode, k) => ({ type: types[k]!, mode })) }, op },
    uniforms: values,
    buffers: [...inputs.map((x, k) => buf(x, kernel, `input ${k}`)), buf(out, kernel)],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
}
