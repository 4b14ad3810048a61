import { describe, it } from 'vitest';
import { describeConformance } from '../conformance/index.js';
import { probeWebgpu } from './probe.js';

/**
 * The shared conformance suite on the webgpu backend. Without a GPU, Dawn
 * runs on Mesa's lavapipe Vulkan driver (CI installs it); where no adapter
 * exists at all the suite is skipped with the reason and the install hint.
 */
const probe = await probeWebgpu();

describe('webgpu backend', () => {
  if (probe.available) {
    describeConformance('webgpu');
  } else {
    it.skip(`skipped: ${probe.reason}`, () => undefined);
  }
});
