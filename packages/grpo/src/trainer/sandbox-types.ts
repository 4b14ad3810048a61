/**
 * The options of `@molrl/sandbox-reward`'s rewards, written out by shape: that package
 * is an optional peer dependency, so grpo's public types must stand without it
 * installed. `sandbox-types.test.ts` checks they accept what its own types accept.
 */

/** A sandbox from `@molrl/sandbox-reward`'s `createSandbox()` (its `Sandbox`): it runs the completions' code. */
export interface RewardSandbox {
  run(request: { language: 'python' | 'javascript'; code: string }): Promise<unknown>;
  close(): Promise<void>;
}

/** A run's outcome as a compare function sees it (the fields of `@molrl/sandbox-reward`'s `RunRecord` named here). */
export interface SandboxRunOutcome {
  status: 'ok' | 'syntax-error' | 'runtime-error' | 'timeout' | 'memory' | 'output-limit' | 'forbidden';
  stdout: string;
  stderr: string;
  result: unknown;
  resultText: string | null;
  finalAnswer: boolean;
}

// Method syntax keeps a function written against the sandbox's full RunRecord assignable here.
interface CompareMethod {
  compare(
    got: { value: unknown; text: string },
    expected: unknown,
    record: SandboxRunOutcome,
  ): boolean | Promise<boolean>;
}

/**
 * The options of `@molrl/sandbox-reward`'s `multiStageReward` / `binaryReward` (its
 * `RewardOptions`), passed on unchanged; see that package for their meaning.
 */
export interface SandboxRewardCallOptions {
  sandbox: RewardSandbox;
  /** Language of code blocks without a tag (default 'python'). */
  language?: 'python' | 'javascript';
  /** Where the answer is read from (default 'auto'). */
  result?: 'final-answer' | 'variable' | 'last-line' | 'auto';
  variable?: string;
  /** How the answer is compared with the ground truth (default 'auto'). */
  compare?: 'exact' | 'numeric' | 'normalized' | 'auto' | CompareMethod['compare'];
  tolerance?: { absolute?: number; relative?: number };
  weights?: { parses?: number; executes?: number; correct?: number; forbidden?: number };
  limits?: { timeoutMs?: number; cpuMs?: number; memoryMb?: number; outputBytes?: number; resultBytes?: number };
}
