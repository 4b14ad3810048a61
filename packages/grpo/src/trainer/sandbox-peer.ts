/**
 * `@molrl/sandbox-reward` is an optional peer dependency: it brings isolated-vm's
 * native build and Pyodide, which a user with reward functions of their own does not
 * need. It is imported when the built-in sandboxed reward first scores.
 */
import type * as SandboxRewardExports from '@molrl/sandbox-reward';

export type SandboxRewardModule = Pick<typeof SandboxRewardExports, 'multiStageReward' | 'binaryReward'>;

export const SANDBOX_REWARD_MISSING =
  "the built-in sandboxed reward needs the optional peer dependency '@molrl/sandbox-reward': " +
  'npm install @molrl/sandbox-reward (it builds isolated-vm, a native addon: with npm 11 also allow its install ' +
  'script, `npm pkg set allowScripts.isolated-vm=true --json` before installing). Reward functions of your own need none of it.';

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
      ? new Error(`sandboxReward: ${SANDBOX_REWARD_MISSING}`, { cause })
      : new Error(`sandboxReward: '@molrl/sandbox-reward' failed to load: ${(cause as Error).message}`, { cause });
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
