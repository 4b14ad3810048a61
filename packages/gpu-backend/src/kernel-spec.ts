/**
 * The kernel set every backend implements (or explicitly declares missing in
 * the registry), as plain text: derived from the contracts in
 * src/kernels/<folder>/contract.ts, which are the source. Shapes are
 * row-major and contiguous; `[..., M, K]` means any number of leading batch
 * dims.
 *
 * Conventions:
 * - Float inputs are float32 unless a kernel says otherwise; index inputs are int32.
 * - Axes may be negative (counted from the end).
 * - Binary elementwise kernels broadcast with NumPy rules.
 * - Backward kernels are named `<forward>Grad` and take the upstream gradient first.
 */
import { attrsText, inputsText, outputsText } from './contract/kernel-contract.js';
import { KERNEL_CONTRACTS } from './kernels/contracts.js';

export { BINARY_OPS, type BinaryOp } from './kernels/binary/contract.js';
export { UNARY_OPS, type UnaryOp } from './kernels/unary/contract.js';

export interface KernelSpec {
  name: string;
  inputs: string;
  attrs: string;
  outputs: string;
  /** What the kernel computes. */
  doc: string;
  /** True where the kernel writes into one of its inputs instead of returning a new storage. */
  inPlace?: boolean;
}

export const KERNEL_SPECS: readonly KernelSpec[] = KERNEL_CONTRACTS.map((c) => ({
  name: c.name,
  inputs: inputsText(c),
  attrs: attrsText(c),
  outputs: outputsText(c),
  doc: c.doc,
  ...('inPlace' in c && c.inPlace ? { inPlace: true } : {}),
}));

export const KERNEL_NAMES: readonly string[] = KERNEL_SPECS.map((k) => k.name);
