/**
 * One piece of work run under a kernel profile, on a backend that can time its
 * kernels (webgpu with `timestamp-query`); null elsewhere, so a benchmark can
 * ask on any backend.
 */
import type { Backend } from '@molrl/gpu-backend';
import {
  formatKernelProfile,
  type KernelProfile,
  type KernelProfileGrouping,
} from '../../packages/gpu-backend/src/webgpu/index.js';

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

/**
 * `work` run twice under a profile, printed by shader and then by shader and workgroup grid (the
 * longest `top`, a product's grid telling its shape and tiling), each under `title`; nothing where
 * kernels cannot be timed.
 */
export async function printKernelProfiles(
  backend: Backend,
  title: string,
  work: () => Promise<unknown>,
  top = 15,
): Promise<void> {
  for (const by of ['shader', 'grid'] as const) {
    const profile = await profileKernels(backend, by, work);
    if (!profile) return;
    const shown = by === 'grid' ? { ...profile, kernels: profile.kernels.slice(0, top) } : profile;
    const grouping = by === 'grid' ? `shader and workgroup grid (the longest ${top})` : 'shader';
    console.log(`${title} by ${grouping} (each dispatch in a pass of its own)\n${formatKernelProfile(shown)}\n`);
  }
}
