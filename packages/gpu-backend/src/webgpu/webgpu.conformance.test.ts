import { describe, it } from 'vitest';
import { describeConformance } from '../conformance/vitest.js';
import { probeWebgpu } from './probe.js';

/**
 * The shared conformance suite on the webgpu backend. Without a GPU, Dawn
 * runs on Mesa's lavapipe Vulkan driver (CI installs it); where no adapter
 * exists at all the suite is skipped with the reason and the install hint.
 */
const probe = await probeWebgpu();

/** Kernels that read float16 inputs: checked a second time with float16 read as packed words. */
const HALF_READING = ['matmul', 'gatherRows', 'cast', 'copy', 'slice', 'transpose', 'concat'];

describe('webgpu backend', () => {
  if (probe.available) {
    // lavapipe shares the CPU with everything else: first compilations can be slow under load.
    // verifyShaderKeys: every dispatch rebuilds its WGSL and checks it against the cached pipeline's source.
    describeConformance('webgpu', { timeout: 240_000, backendOptions: { verifyShaderKeys: true } });
    // Where the adapter has shader-f16 (lavapipe does), the run above reads float16 as WGSL f16; this one
    // reads it as packed words, the path of adapters without the feature.
    describeConformance('webgpu', {
      timeout: 240_000,
      kernels: HALF_READING,
      backendOptions: { verifyShaderKeys: true, shaderF16: false },
    });
  } else {
    it.skip(`skipped: ${probe.reason}`, () => undefined);
  }
});
