import { describe, expect, it } from 'vitest';
import { isMissingPackage, loadSandboxReward, SANDBOX_REWARD_MISSING } from './sandbox-peer.js';
import { checkCodeTask } from './code-agent.js';

/** The error Node gives for a package that is not installed (the real one, from a real import). */
async function missingPackageError(specifier: string): Promise<Error & { code?: string }> {
  try {
    await import(specifier);
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error(`${specifier} is installed`);
}

describe('@molrl/sandbox-reward as an optional peer dependency', () => {
  it('recognises Node’s error for a package that is not installed, and only for that package', async () => {
    const error = await missingPackageError('@molrl/no-such-package');
    expect(isMissingPackage(error, '@molrl/no-such-package')).toBe(true);
    expect(isMissingPackage(error, '@molrl/sandbox-reward')).toBe(false);
    expect(isMissingPackage(new Error('boom'), '@molrl/no-such-package')).toBe(false);
  });

  it('says what to install when it is missing', async () => {
    const real = await missingPackageError('@molrl/no-such-package');
    const missing = Object.assign(new Error(real.message.replace('@molrl/no-such-package', '@molrl/sandbox-reward')), {
      code: real.code,
    });
    const failure = loadSandboxReward(() => Promise.reject(missing));
    await expect(failure).rejects.toThrow(SANDBOX_REWARD_MISSING);
    await expect(failure).rejects.toThrow(/npm install @molrl\/sandbox-reward/);
  });

  it('keeps the cause when the package is there but one of its own dependencies is not', async () => {
    const inner = await missingPackageError('isolated-vm-not-here');
    const error = await loadSandboxReward(() => Promise.reject(inner)).then(
      () => new Error('loaded'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(
      /'@molrl\/sandbox-reward' failed to load: Cannot find package 'isolated-vm-not-here'/,
    );
    expect(error.cause).toBe(inner);
  });

  it('loads the real package when it is installed', async () => {
    const module = await loadSandboxReward();
    expect(typeof module.multiStageReward).toBe('function');
    expect(typeof module.binaryReward).toBe('function');
  });

  it('makes the checker without importing it', async () => {
    const sandbox = { run: () => Promise.resolve({}), close: () => Promise.resolve() };
    const check = checkCodeTask(sandbox, { reward: 'binary' });
    expect(typeof check).toBe('function');
    // With the package installed, a completion without code is scored without running anything.
    const result = await check({ id: 't1', prompt: 'p', groundTruth: 1 }, 'no code here');
    expect(result).toMatchObject({ correct: false, verdict: 'no-answer', score: 0 });
  });
});
