/**
 * How a kernel reads a float operand that may be stored in half precision:
 * the WGSL declaration of its binding and load functions that return f32
 * (compute stays float32). A bfloat16 or float16 storage is read as stored,
 * two halves per 32-bit word, and widened in registers: no float32 copy of a
 * half-precision weight is ever made.
 *
 * - `f32`: `array<f32>` (or `array<vec4<f32>>`).
 * - `bf16`: packed words; a bfloat16 is the top half of a float32, so
 *   widening is a shift or a mask.
 * - `f16`: packed words widened with `unpack2x16float` (core WGSL, every adapter).
 * - `f16-native`: `array<f16>` (or `array<vec4<f16>>`) where the device has
 *   `shader-f16`, converted with `f32(...)`.
 */
import type { TensorInfo } from '../backend.js';
import { kernelError } from '../errors.js';
import type { WebgpuBackend } from './backend.js';

export type OperandFormat = 'f32' | 'bf16' | 'f16' | 'f16-native';

/** The format a kernel reads a float input in on this backend; other dtypes are an error naming the input. */
export function operandFormat(backend: WebgpuBackend, info: TensorInfo, kernel: string, which: string): OperandFormat {
  switch (info.dtype) {
    case 'float32':
      return 'f32';
    case 'bfloat16':
      return 'bf16';
    case 'float16':
      return backend.nativeF16 ? 'f16-native' : 'f16';
    default:
      throw kernelError(kernel, `${which} must be float32, bfloat16 or float16, got ${info.dtype}`);
  }
}

/** The `enable` directives a shader needs for these formats. */
export function operandEnables(...formats: OperandFormat[]): string[] {
  return formats.includes('f16-native') ? ['f16'] : [];
}

/**
 * WGSL declaring binding `binding` as operand `name` in `format`, with
 * `fn ld<name>(i: u32) -> f32` (element i) or, when `vec`, only
 * `fn ld<name>4(j: u32) -> vec4<f32>` (elements 4j..4j+3; the caller
 * guarantees 4-element alignment). Bounds are the caller's to check.
 */
export function operandDecl(name: string, binding: number, format: OperandFormat, vec: boolean): string {
  const at = `@group(0) @binding(${binding}) var<storage, read>`;
  if (vec) {
    switch (format) {
      case 'f32':
        return `${at} ${name}: array<vec4<f32>>;
fn ld${name}4(j: u32) -> vec4<f32> { return ${name}[j]; }`;
      case 'f16-native':
        return `${at} ${name}: array<vec4<f16>>;
fn ld${name}4(j: u32) -> vec4<f32> { return vec4<f32>(${name}[j]); }`;
      case 'f16':
        return `${at} ${name}: array<vec2<u32>>;
fn ld${name}4(j: u32) -> vec4<f32> { let w = ${name}[j]; return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)); }`;
      case 'bf16':
        return `${at} ${name}: array<vec2<u32>>;
fn ld${name}4(j: u32) -> vec4<f32> {
  let w = ${name}[j];
  return vec4<f32>(bitcast<f32>(w.x << 16u), bitcast<f32>(w.x & 0xffff0000u), bitcast<f32>(w.y << 16u), bitcast<f32>(w.y & 0xffff0000u));
}`;
    }
  }
  switch (format) {
    case 'f32':
      return `${at} ${name}: array<f32>;
fn ld${name}(i: u32) -> f32 { return ${name}[i]; }`;
    case 'f16-native':
      return `${at} ${name}: array<f16>;
fn ld${name}(i: u32) -> f32 { return f32(${name}[i]); }`;
    case 'f16':
      return `${at} ${name}: array<u32>;
fn ld${name}(i: u32) -> f32 { return unpack2x16float(${name}[i >> 1u])[i & 1u]; }`;
    case 'bf16':
      return `${at} ${name}: array<u32>;
fn ld${name}(i: u32) -> f32 { let w = ${name}[i >> 1u]; return bitcast<f32>(select(w << 16u, w & 0xffff0000u, (i & 1u) == 1u)); }`;
  }
}
