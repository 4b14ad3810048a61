/**
 * Reward functions, TRL style: each gets the whole batch of completions and
 * returns one reward per completion (or null where it does not apply). All
 * functions run at once, and the sandboxed rewards run their completions at
 * once too (the sandbox keeps a worker pool busy); the total is TRL's weighted
 * `nansum` over the functions, and each function is logged on its own.
 */
import { loadSandboxReward, type SandboxRewardCallOptions, type SandboxRewardUse } from '@molrl/sandbox-api';

/** The roles a chat prompt's messages may have (a chat template renders others as nothing). */
export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;

/** A chat message for chat-style prompts. */
export interface ChatMessage {
  role: (typeof CHAT_ROLES)[number];
  content: string;
}

/** One training example: a prompt and whatever the rewards need (e.g. the ground-truth `answer`). */
export interface GrpoExample {
  prompt: string | ChatMessage[];
  answer?: unknown;
  [field: string]: unknown;
}

export interface RewardBatch {
  /** One entry per completion (each prompt repeated numGenerations times). */
  examples: readonly GrpoExample[];
  completions: readonly string[];
  completionIds: readonly (readonly number[])[];
}

export type RewardValues = readonly (number | null)[];

export interface RewardFunction {
  /** Logged as `rewards/<name>/mean` and `rewards/<name>/std`. */
  name: string;
  score: (batch: RewardBatch) => RewardValues | Promise<RewardValues>;
}

export interface SandboxRewardOptions extends SandboxRewardCallOptions {
  /** The example field holding the ground truth (default 'answer'). */
  answerField?: string;
  /** Name in the metrics (default 'multi_stage' or 'binary'). */
  name?: string;
}

/** For the error when `@molrl/sandbox-reward` is not installed. */
const SANDBOX_REWARD_USE: SandboxRewardUse = {
  caller: 'sandboxReward',
  neededBy: 'the built-in sandboxed reward',
  worksWithout: 'Reward functions of your own',
};

/**
 * The paper's rewards: run each completion's code in the sandbox and compare its result
 * with the example's answer. Scoring imports `@molrl/sandbox-reward` (an optional peer
 * dependency; the error says how to install it when it is missing).
 */
export function sandboxReward(kind: 'multi-stage' | 'binary', options: SandboxRewardOptions): RewardFunction {
  if (kind !== 'binary' && kind !== 'multi-stage')
    throw new Error(`sandboxReward: kind must be 'multi-stage' or 'binary', got ${JSON.stringify(kind)}`);
  const { answerField = 'answer', name = kind === 'binary' ? 'binary' : 'multi_stage', ...rewardOptions } = options;
  return {
    name,
    score: async ({ examples, completions }) => {
      const rewards = await loadSandboxReward(SANDBOX_REWARD_USE);
      const reward = kind === 'binary' ? rewards.binaryReward : rewards.multiStageReward;
      return Promise.all(
        completions.map(async (completion, i) => {
          const answer = examples[i]![answerField];
          if (answer === undefined)
            throw new Error(`sandboxReward '${name}': example ${i} has no field '${answerField}' (the ground truth)`);
          return (await reward(completion, answer, rewardOptions)).reward;
        }),
      );
    },
  };
}

export interface RewardScores {
  /** Per function (in order), per completion; NaN where the function returned null. */
  perFunction: Float64Array[];
  /** The weighted nansum over functions, per completion. */
  total: Float64Array;
}

export async function scoreRewards(
  functions: readonly RewardFunction[],
  batch: RewardBatch,
  weights: readonly number[] | null,
): Promise<RewardScores> {
  if (!functions.length) throw new Error('scoreRewards: no reward functions');
  if (weights && weights.length !== functions.length) {
    throw new Error(
      `scoreRewards: ${weights.length} reward weights for ${functions.length} reward functions (rewardWeights must have one per function)`,
    );
  }
  const n = batch.completions.length;
  const results = await Promise.all(
    functions.map(async (f) => {
      try {
        return { f, values: await f.score(batch) };
      } catch (error) {
        throw new Error(`reward function '${f.name}' failed: ${(error as Error)?.message ?? String(error)}`, {
          cause: error,
        });
      }
    }),
  );
  const perFunction = results.map(({ f, values }) => {
    if (!Array.isArray(values) || values.length !== n) {
      throw new Error(
        `reward function '${f.name}' returned ${Array.isArray(values) ? values.length : typeof values} values for ${n} completions`,
      );
    }
    return Float64Array.from(values, (v, i) => {
      if (v === null || v === undefined) return Number.NaN;
      // An infinite reward would make its group's advantages NaN; a string is shown quoted ('"0.5"', not 0.5).
      if (typeof v !== 'number' || !Number.isFinite(v))
        throw new Error(
          `reward function '${f.name}' returned ${typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v))} for completion ${i} (a finite number, or null for none)`,
        );
      return v;
    });
  });
  const total = new Float64Array(n);
  perFunction.forEach((values, j) => {
    const w = weights ? weights[j]! : 1;
    for (let i = 0; i < n; i++) if (!Number.isNaN(values[i]!)) total[i]! += w * values[i]!;
  });
  return { perFunction, total };
}

/** TRL's nanmean / nanstd (Bessel-corrected) of one function's rewards. */
export function nanMeanStd(values: ArrayLike<number>): { mean: number; std: number } {
  let n = 0;
  let sum = 0;
  for (let i = 0; i < values.length; i++)
    if (!Number.isNaN(values[i]!)) {
      n++;
      sum += values[i]!;
    }
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) ss += (values[i]! - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : Number.NaN };
}
