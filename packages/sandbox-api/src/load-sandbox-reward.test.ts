import { describe, expect, it } from 'vitest';
import {
  isMissingPackage,
  loadSandboxReward,
  sandboxRewardMissing,
  type SandboxRewardUse,
} from './load-sandbox-reward.js';

const USE: SandboxRewardUse = { caller: 'scoreIt', neededBy: 'the code reward', worksWithout: 'Math answers' };

/** The error Node gives for a package that is not installed (the real one, from a real import). */
async function missingPackageError(specifier: string): Promise<Error & { code?: string }> {
  try {
    await import(specifier);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error(`${specifier} is installed`);
}

describe('loadSandboxReward: @molrl/sandbox-reward as an optional peer dependency', () => {
  it('recognises Node’s error for a package that is not installed, and only for that package', async () => {
    const error = await missingPackageError('@molrl/no-such-package');
    expect(isMissingPackage(error, '@molrl/no-such-package')).toBe(true);
    expect(isMissingPackage(error, '@molrl/sandbox-reward')).toBe(false);
    expect(isMissingPackage(new Error('boom'), '@molrl/no-such-package')).toBe(false);
    expect(isMissingPackage(undefined, '@molrl/no-such-package')).toBe(false);
  });

  it('says who asked, what to install and what works without it when it is missing', async () => {
    const real = await missingPackageError('@molrl/no-such-package');
    const missing = Object.assign(new Error(real.message.replace('@molrl/no-such-package', '@molrl/sandbox-reward')), {
      code: real.code,
    });
    const error = await loadSandboxReward(USE, () => Promise.reject(missing)).then(
      () => new Error('loaded'),
      (e: Error) => e,
    );
    expect(error.message).toBe(`scoreIt: ${sandboxRewardMissing(USE)}`);
    expect(error.message).toMatch(
      /^scoreIt: the code reward needs the optional peer dependency '@molrl\/sandbox-reward'/,
    );
    expect(error.message).toMatch(/npm install @molrl\/sandbox-reward/);
    expect(error.message).toMatch(/allowScripts\.isolated-vm=true/);
    expect(error.message).toMatch(/Math answers need none of it\.$/);
    expect(error.cause).toBe(missing);
  });

  it('keeps the cause when the package is there but one of its own dependencies is not', async () => {
    const inner = await missingPackageError('isolated-vm-not-here');
    const error = await loadSandboxReward(USE, () => Promise.reject(inner)).then(
      () => new Error('loaded'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /^scoreIt: '@molrl\/sandbox-reward' failed to load: Cannot find package 'isolated-vm-not-here'/,
    );
    expect(error.cause).toBe(inner);
  });

  it('loads the real package when it is installed, and its rewards score', async () => {
    const module = await loadSandboxReward(USE);
    const sandbox = { run: () => Promise.reject(new Error('nothing should run')), close: () => Promise.resolve() };
    // A completion without code is scored without running anything.
    const result = await module.multiStageReward('no code here', 1, { sandbox });
    expect(result).toMatchObject({ reward: 0, stage: 'no-code', record: null, answer: null });
    expect((await module.binaryReward('no code here', 1, { sandbox })).reward).toBe(0);
  });
});
