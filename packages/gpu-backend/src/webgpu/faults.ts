/**
 * An out-of-range index cannot throw on the device: the thread records the
 * fault (code, index) in the backend's fault word, writes 0, and the next
 * read/sync rejects with the kernel's name (codes in backend.ts FAULTS).
 */

/** WGSL: the fault word at `binding` and `fault(code, index)`. */
export function faultDecl(binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, read_write> FAULT: array<atomic<u32>, 4>;
fn fault(code: u32, index: i32) { if (atomicCompareExchangeWeak(&FAULT[0], 0u, code).exchanged) { atomicStore(&FAULT[1], bitcast<u32>(index)); } }`;
}
