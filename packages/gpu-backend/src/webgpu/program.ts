/** A compute dispatch as kernels describe it to the backend, and the WGSL pieces every kernel shares. */
import { backendError } from '../errors.js';
import type { ShaderParams, ShaderTemplate, UniformLayout } from './shader.js';

export interface Dispatch<P extends ShaderParams = ShaderParams> {
  /** The template and its parameters: together they name the pipeline (see shader.ts). */
  shader: ShaderTemplate<P>;
  params: P;
  /** Values of the template's uniforms, by name. */
  uniforms?: Readonly<Record<string, number>>;
  /** Storage buffers bound at 1, 2, ... in order. */
  buffers: GPUBuffer[];
  /** Workgroup counts; use `grid()` for 1-D counts that may exceed 65535. */
  workgroups: readonly [number, number, number];
}

export const MAX_WORKGROUPS_PER_DIM = 65535;

/** Split a 1-D workgroup count into x*y <= 65535 each; shaders recover the flat id with FLAT_WG. */
export function grid(workgroups: number): [number, number, number] {
  if (workgroups <= MAX_WORKGROUPS_PER_DIM) return [Math.max(1, workgroups), 1, 1];
  const y = Math.ceil(workgroups / MAX_WORKGROUPS_PER_DIM);
  return [Math.ceil(workgroups / y), y, 1];
}

/** WGSL: the flat workgroup index of a grid() dispatch (needs `wid` and `nwg` builtins). */
export const FLAT_WG = '(wid.x + wid.y * nwg.x)';

/** Builtins for a 1-D kernel over `wg` threads per workgroup split by grid(). */
export const FLAT_BUILTINS =
  '@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32';

/** Bytes of one dispatch's uniform slot (WebGPU's minimum uniform-buffer offset alignment). */
export const UNIFORM_SLOT = 256;

/**
 * Pack uniform values in layout order into a slot. Names must match the
 * layout exactly: a missing value, an extra one or a misspelled one is an
 * error naming the shader.
 */
export function writeUniforms(
  shader: string,
  layout: UniformLayout,
  values: Readonly<Record<string, number>>,
  view: DataView,
  offset: number,
): void {
  if (layout.length * 4 > UNIFORM_SLOT) {
    throw backendError(
      'webgpu',
      'dispatch',
      `shader '${shader}' has ${layout.length} uniforms, more than fit a ${UNIFORM_SLOT}-byte slot`,
    );
  }
  let given = 0;
  for (const _ in values) given++;
  let o = offset;
  let complete = given === layout.length;
  for (const [name, type] of layout) {
    const value = values[name];
    if (typeof value !== 'number') {
      complete = false;
      break;
    }
    if (type === 'f32') view.setFloat32(o, value, true);
    else if (type === 'i32') view.setInt32(o, value, true);
    else view.setUint32(o, value >>> 0, true);
    o += 4;
  }
  if (!complete) {
    const names = new Set(layout.map(([name]) => name));
    const extra = Object.keys(values).filter((k) => !names.has(k));
    const missing = [...names].filter((k) => typeof values[k] !== 'number');
    throw backendError(
      'webgpu',
      'dispatch',
      `shader '${shader}' uniforms do not match its layout (missing: ${missing.join(', ') || 'none'}; unknown: ${extra.join(', ') || 'none'})`,
    );
  }
}

/** Per-element WGSL helpers shared by the kernels. */
export const WGSL_HELPERS = /* wgsl */ `
fn f32_is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn f32_is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// User functions are never constant-folded, so these yield NaN/Inf at run time (WGSL rejects them as constants).
fn f32_bits(b: u32) -> f32 { return bitcast<f32>(b); }
fn f32_nan() -> f32 { return f32_bits(0x7fc00000u); }
fn f32_inf() -> f32 { return f32_bits(0x7f800000u); }
`;
