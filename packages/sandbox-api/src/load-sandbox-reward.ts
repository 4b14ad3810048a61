import type { SandboxRewardModule } from './sandbox-types.js';

/** Who needs `@molrl/sandbox-reward`, for the error when it is not installed. */
export interface SandboxRewardUse {
  /** The function that asked, the error's prefix ('sandboxReward'). */
  caller: string;
  /** What needs the package ('the built-in sandboxed reward'). */
  neededBy: string;
  /** What works without it ('Reward functions of your own'). */
  worksWithout: string;
}

/** The advice when `@molrl/sandbox-reward` is not installed: what to install, and how with npm 11. */
export function sandboxRewardMissing({ neededBy, worksWithout }: SandboxRewardUse): string {
  return (
    `${neededBy} needs the optional peer dependency '@molrl/sandbox-reward': ` +
    'npm install @molrl/sandbox-reward (it builds isolated-vm, a native addon: with npm 11 also allow its install ' +
    `script, \`npm pkg set allowScripts.isolated-vm=true --json\` before installing). ${worksWithout} need none of it.`
  );
}

/**
 * Import `@molrl/sandbox-reward` (Node keeps it loaded after the first time). A missing
 * package is an error saying what to install; any other failure (one of its own
 * dependencies, a broken build) keeps its cause. `importModule` stands in for the import
 * in tests.
 */
export async function loadSandboxReward(
  use: SandboxRewardUse,
  importModule: () => Promise<SandboxRewardModule> = () => import('@molrl/sandbox-reward'),
): Promise<SandboxRewardModule> {
  try {
    return await importModule();
  } catch (cause) {
    throw isMissingPackage(cause, '@molrl/sandbox-reward')
      ? new Error(`${use.caller}: ${sandboxRewardMissing(use)}`, { cause })
      : new Error(`${use.caller}: '@molrl/sandbox-reward' failed to load: ${(cause as Error).message}`, { cause });
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
