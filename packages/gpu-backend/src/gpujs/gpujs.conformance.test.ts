import { describe, it } from 'vitest';
import { describeConformance } from '../conformance/vitest.js';
import { probeGpujsMode, type GpujsMode } from './modes.js';

/**
 * The shared conformance suite on every gpu.js mode that can run in this
 * process. cpu and webasm run everywhere; webgpu needs a WebGPU adapter (a GPU,
 * or Mesa's lavapipe Vulkan driver on a machine without one); the GL modes
 * need headless-gl or a browser.
 */
const MODES: GpujsMode[] = ['cpu', 'webasm', 'webgpu', 'headlessgl'];

for (const mode of MODES) {
  const availability = await probeGpujsMode(mode);
  describe(`gpujs mode '${mode}'`, () => {
    if (availability.available) {
      describeConformance('gpujs', { backendOptions: { mode } });
      if (mode === 'webasm') {
        describe('on the worker pool (threads)', () =>
          describeConformance('gpujs', { backendOptions: { mode, threads: true } }));
      }
    } else {
      it.skip(`skipped: ${availability.reason}`, () => undefined);
    }
  });
}
