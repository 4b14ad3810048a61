import { describe, it } from 'vitest';
import { describeConformance } from '../conformance/vitest.js';
import { probeWebgpu } from './probe.js';

/**
 * The shared conformance suite on the webgpu backend. Without a GPU, Dawn
 * runs on Mesa's lavapipe Vulkan driver (CI installs it); where no adapter
 * exists at all the suite is skipped with the reason and the install hint.
 */
const probe = await probeWebgpu();

describe('webgpu backend', () => {
  if (probe.available) {
    // lavapipe shares the CPU with everything else: first compilations can be slow under load.
    // verifyShaderKeys: every dispatch rebuilds its WGSL and checks it against the cached pipeline's source.
    describeConformance('webgpu', { timeout: 240_000, backendOptions: { verifyShaderKeys: true } });
  } else {
    it.skip(`skipped: ${probe.reason}`, () => undefined);
  }
});
