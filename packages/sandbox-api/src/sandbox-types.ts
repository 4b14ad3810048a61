/**
 * `@molrl/sandbox-reward`'s sandbox and rewards, written out by shape: a package that
 * takes a sandbox from its user (grpo's `sandboxReward`, bench-math's CodeAgent-Test
 * checker) names these in its public types and stays installable without the sandbox's
 * native build and Pyodide. `sandbox-types.test.ts` checks them against the real types.
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

/** The answer read from a run: JSON data (from `final_answer` / the result variable) or the printed line, and its text. */
export interface SandboxRunAnswer {
  value: unknown;
  text: string;
}

// Method syntax keeps a function written against the sandbox's full RunRecord assignable here.
interface CompareMethod {
  compare(got: SandboxRunAnswer, expected: unknown, record: SandboxRunOutcome): boolean | Promise<boolean>;
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

/** What a reward returns (the fields of `@molrl/sandbox-reward`'s `RewardResult` named here). */
export interface SandboxRewardResult {
  reward: number;
  /** How far the completion got. */
  stage: 'no-code' | 'syntax-error' | 'parses' | 'forbidden' | 'executes' | 'correct';
  /** The sandbox record of the run, null when there was no code. */
  record: SandboxRunOutcome | null;
  /** The answer read from the run (null when there was none). */
  answer: SandboxRunAnswer | null;
  /** Why the reward is what it is, in words. */
  reason: string;
}

/**
 * The rewards of `@molrl/sandbox-reward`, as `loadSandboxReward` hands them out. Method
 * syntax: the real functions take the sandbox's full `Sandbox`, and the caller passes
 * on the one its user gave (the rewards check it).
 */
export interface SandboxRewardModule {
  /** The paper's multi-stage reward: 0.1 parses, 0.4 executes, 1.0 correct (by default). */
  multiStageReward(
    completion: string,
    answer: unknown,
    options: SandboxRewardCallOptions,
  ): Promise<SandboxRewardResult>;
  /** 1 for a correct answer, 0 otherwise. */
  binaryReward(completion: string, answer: unknown, options: SandboxRewardCallOptions): Promise<SandboxRewardResult>;
}
