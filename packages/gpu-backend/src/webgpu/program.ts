/** A compute dispatch as kernels describe it to the backend. */

export type ParamType = 'u32' | 'i32' | 'f32';

/** Uniform fields, in declaration order: name -> [type, value]. All are 4-byte scalars. */
export type Params = Record<string, readonly [ParamType, number]>;

export interface Dispatch {
  /** Kernel name, for error messages. */
  name: string;
  /** WGSL source. When `params` is given, `struct Params` and `var<uniform> u: Params` at binding 0 are prepended. */
  code: string;
  params?: Params;
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

export function paramsStruct(params: Params): string {
  const fields = Object.entries(params).map(([name, [type]]) => `  ${name}: ${type},`);
  return `struct Params {\n${fields.join('\n')}\n}\n@group(0) @binding(0) var<uniform> u: Params;\n`;
}

/** Pack params into a 256-byte uniform slot. */
export function writeParams(params: Params, view: DataView, offset: number): void {
  const fields = Object.keys(params).length;
  if (fields > 64)
    throw new Error(`webgpu backend: ${fields} uniform fields exceed the 256-byte slot (tensor rank too high?)`);
  let o = offset;
  for (const [type, value] of Object.values(params)) {
    if (type === 'f32') view.setFloat32(o, value, true);
    else if (type === 'i32') view.setInt32(o, value, true);
    else view.setUint32(o, value >>> 0, true);
    o += 4;
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
