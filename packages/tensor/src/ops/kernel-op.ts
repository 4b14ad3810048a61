/**
 * Direct kernel access for fused ops in other packages: run any kernel the
 * backend registers and get its outputs as tensors. Records no gradient:
 * wrap it in customOp() to give it a backward. The attrs are typed per
 * kernel, as `Backend.run` types them; a kernel defined outside the library
 * adds itself to `KernelTypes` (see @molrl/gpu-backend).
 */
import type { KernelName, RunAttrs } from '@molrl/gpu-backend';
import type { Tensor } from '../tensor.js';
import { runKernel, wrap } from './core.js';

export function kernelOp<N extends KernelName>(name: N, inputs: readonly Tensor[], ...attrs: RunAttrs<N>): Tensor[] {
  return runKernel(name, name, inputs, ...attrs).map((info) => wrap(info, name));
}
