/**
 * CodeAgent-Test: a task is a prompt, a ground truth, and a checker that runs
 * the code in the completion with `@molrl/sandbox-reward` and compares its
 * result (the multi-stage reward: 0.1 parses, 0.4 executes, 1.0 correct; or
 * the binary one). The held-out trace tasks come from `@molrl/trace-dataset`;
 * anything of this shape plugs in.
 */
import {
  loadSandboxReward,
  type RewardSandbox,
  type SandboxRewardCallOptions,
  type SandboxRewardUse,
} from '@molrl/sandbox-api';
import { checkOptionNames, type OptionKeys } from '@molrl/hub-cache';
import type { Prompt } from './generator.js';
import type { CheckResult, EvalSuite } from './suite.js';

export interface CodeAgentTask {
  id: string;
  /** The task as the model sees it (system prompt + task, or the task alone). */
  prompt: Prompt;
  /** What the code's result must equal (compared by sandbox-reward's matchers). */
  groundTruth: unknown;
  /** Language of code blocks without a tag (default python). */
  language?: 'python' | 'javascript';
}

export interface CodeCheckerOptions extends Omit<SandboxRewardCallOptions, 'sandbox' | 'language'> {
  /** 'multi-stage' (default) or 'binary'. The item counts as correct only at the "correct" stage either way. */
  reward?: 'multi-stage' | 'binary';
}

const CODE_CHECKER_OPTION_KEYS = {
  reward: true,
  result: true,
  variable: true,
  compare: true,
  tolerance: true,
  weights: true,
  limits: true,
} satisfies OptionKeys<CodeCheckerOptions>;

const CODE_AGENT_SUITE_OPTION_KEYS = {
  ...CODE_CHECKER_OPTION_KEYS,
  name: true,
  samples: true,
} satisfies OptionKeys<CodeAgentSuiteOptions>;

/** For the error when `@molrl/sandbox-reward` is not installed. */
const SANDBOX_REWARD_USE: SandboxRewardUse = {
  caller: 'checkCodeTask',
  neededBy: "CodeAgent-Test (to run the completions' code)",
  worksWithout: 'MATH-500 and AIME',
};

/**
 * The checker of a code task: runs the completion's code in `sandbox` (one from
 * `@molrl/sandbox-reward`'s `createSandbox()`; that optional peer dependency is imported
 * on the first check, with an error saying how to install it when it is missing).
 */
export function checkCodeTask(sandbox: RewardSandbox, options: CodeCheckerOptions = {}) {
  checkOptionNames(options, Object.keys(CODE_CHECKER_OPTION_KEYS), 'checkCodeTask');
  const { reward = 'multi-stage', ...rest } = options;
  return async (task: CodeAgentTask, completion: string): Promise<CheckResult> => {
    const rewards = await loadSandboxReward(SANDBOX_REWARD_USE);
    const fn = reward === 'binary' ? rewards.binaryReward : rewards.multiStageReward;
    const r = await fn(completion, task.groundTruth, { ...rest, sandbox, language: task.language ?? 'python' });
    const correct = r.stage === 'correct';
    return {
      correct,
      verdict: correct ? 'correct' : r.stage === 'no-code' ? 'no-answer' : 'incorrect',
      extracted: r.answer ? (r.record?.resultText ?? JSON.stringify(r.answer)) : null,
      score: r.reward,
      detail: `${r.stage}: ${r.reason}`,
    };
  };
}

export interface CodeAgentSuiteOptions extends CodeCheckerOptions {
  name?: string;
  samples?: number;
}

/** A suite of code tasks checked in `sandbox` (the caller owns and closes the sandbox). */
export function codeAgentSuite(
  tasks: CodeAgentTask[],
  sandbox: RewardSandbox,
  options: CodeAgentSuiteOptions = {},
): EvalSuite {
  checkOptionNames(options, Object.keys(CODE_AGENT_SUITE_OPTION_KEYS), 'codeAgentSuite');
  const { name = 'CodeAgent-Test', samples = 1, ...checker } = options;
  const check = checkCodeTask(sandbox, checker);
  return {
    name,
    samples,
    items: tasks.map((t) => ({
      id: t.id,
      prompt: t.prompt,
      reference: typeof t.groundTruth === 'string' ? t.groundTruth : JSON.stringify(t.groundTruth),
      check: (completion: string) => check(t, completion),
    })),
  };
}
