/**
 * `@molrl/sandbox-reward` is an optional peer dependency: it brings isolated-vm's
 * native build and Pyodide, which MATH-500 and AIME evaluation do not need. It is
 * imported when a CodeAgent-Test item is first checked.
 */
import type * as SandboxRewardExports from '@molrl/sandbox-reward';

export type SandboxRewardModule = Pick<typeof SandboxRewardExports, 'multiStageReward' | 'binaryReward'>;

export const SANDBOX_REWARD_MISSING =
  "CodeAgent-Test needs the optional peer dependency '@molrl/sandbox-reward' to run the completions' code: " +
  'npm install @molrl/sandbox-reward (it builds isolated-vm, a native addon: with npm 11 also allow its install ' +
  'script, `npm pkg set allowScripts.isolated-vm=true --json` before installing). MATH-500 and AIME need none of it.';

/**
 * Import `@molrl/sandbox-reward` (Node keeps it loaded after the first time). A missing
 * package is an error saying what to install; any other failure (one of its own
 * dependencies, a broken build) keeps its cause.
 */
export async function loadSandboxReward(
  importModule: () => Promise<SandboxRewardModule> = () => import('@molrl/sandbox-reward'),
): Promise<SandboxRewardModule> {
  try {
    return await importModule();
  } catch (cause) {
    throw isMissingPackage(cause, '@molrl/sandbox-reward')
      ? new Error(`checkCodeTask: ${SANDBOX_REWARD_MISSING}`, { cause })
      : new Error(`checkCodeTask: '@molrl/sandbox-reward' failed to load: ${(cause as Error).message}`, { cause });
  }
}

/** Node's "cannot find package" error for `specifier` itself (not for one of its own dependencies). */
export function isMissingPackage(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${specifier}'`)
  );
}
