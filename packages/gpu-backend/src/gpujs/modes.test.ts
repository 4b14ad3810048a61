import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { GPUJS_MISSING, loadGpujs } from './modes.js';

const require = createRequire(import.meta.url);

/** The error Node's require gives for a package that is not installed (the real one). */
function missingModuleError(id: string): Error {
  try {
    require(id);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`${id} is installed`);
}

describe('gpu.js as an optional peer dependency', () => {
  it('loads gpu.js when it is installed', () => {
    expect(typeof loadGpujs().GPU).toBe('function');
  });

  it('says what to install, and how to keep one webgpu, when gpu.js is missing', () => {
    const real = missingModuleError('gpu.js-not-here');
    const missing = Object.assign(new Error(real.message.replaceAll('gpu.js-not-here', 'gpu.js')), {
      code: (real as Error & { code?: string }).code,
    });
    expect(() =>
      loadGpujs(() => {
        throw missing;
      }),
    ).toThrow(GPUJS_MISSING);
    expect(GPUJS_MISSING).toMatch(/npm install gpu\.js/);
    expect(GPUJS_MISSING).toMatch(/"overrides": \{ "webgpu": "\^0\.4\.0" \}/);
  });

  it('passes any other failure through with its own message', () => {
    const inner = missingModuleError('gl-not-here');
    expect(() =>
      loadGpujs(() => {
        throw inner;
      }),
    ).toThrow(inner.message);
  });
});
