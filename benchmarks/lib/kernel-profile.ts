/**
 * One piece of work run under a kernel profile, on a backend that can time its
 * kernels (webgpu with `timestamp-query`); null elsewhere, so a benchmark can
 * ask on any backend.
 */
import type { Backend } from '@molrl/gpu-backend';
import type { KernelProfile, KernelProfileGrouping } from '../../packages/gpu-backend/src/webgpu/index.js';

interface ProfilingBackend {
  features?: ReadonlySet<string>;
  startProfile?: (options?: { by?: KernelProfileGrouping }) => void;
  stopProfile?: () => Promise<KernelProfile>;
}

/** `work` run once between startProfile and stopProfile (`by` groups the dispatches), or null where kernels cannot be timed. */
export async function profileKernels(
  backend: Backend,
  by: KernelProfileGrouping,
  work: () => Promise<unknown>,
): Promise<KernelProfile | null> {
  const b = backend as Backend & ProfilingBackend;
  if (!b.startProfile || !b.stopProfile || !b.features?.has('timestamp-query')) return null;
  b.startProfile({ by });
  try {
    await work();
  } catch (error) {
    await b.stopProfile();
    throw error;
  }
  return b.stopProfile();
}
