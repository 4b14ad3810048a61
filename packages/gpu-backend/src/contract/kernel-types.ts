/**
 * The kernel names `Backend.run` accepts and the attrs each one takes, derived
 * from the library's contracts (src/kernels/contracts.ts). A kernel defined
 * outside the library adds itself by module augmentation:
 *
 *   declare module '@molrl/gpu-backend' {
 *     interface KernelTypes { softplus: KernelTypeOf<typeof softplus> }
 *   }
 */
import type { KERNEL_CONTRACTS } from '../kernels/contracts.js';
import type { KernelContract, KernelTypeOf } from './kernel-contract.js';

type ContractTypes<C extends readonly KernelContract[]> = { [E in C[number] as E['name']]: KernelTypeOf<E> };

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so other modules can augment it
export interface KernelTypes extends ContractTypes<typeof KERNEL_CONTRACTS> {}

export type KernelName = keyof KernelTypes & string;

/** The attrs of kernel `N`. */
export type AttrsOf<N extends KernelName> = KernelTypes[N]['attrs'];

/** The attrs argument of `run(N, ...)`: optional when every attribute of `N` is. */
export type RunAttrs<N extends KernelName> =
  Record<never, never> extends AttrsOf<N> ? [attrs?: AttrsOf<N>] : [attrs: AttrsOf<N>];
