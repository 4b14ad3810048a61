/**
 * Direct kernel access for fused ops in other packages: run any kernel the
 * backend registers and get its outputs as tensors. Records no gradient:
 * wrap it in customOp() to give it a backward.
 */
import type { KernelAttrs } from '@molrl/gpu-backend';
import type { Tensor } from '../tensor.js';
import { runKernel, wrap } from './core.js';

export function kernelOp(name: string, inputs: readonly Tensor[], attrs: KernelAttrs = {}): Tensor[] {
  return runKernel(name, name, inputs, attrs).map((info) => wrap(info, name));
}
