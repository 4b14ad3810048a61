/**
 * The text of the embedded environment as the pipeline feeds it to a small
 * model: a compact CodeAgent system prompt (the smolagents one is ~600 tokens,
 * more than a tiny model's whole context budget here), the one-step prompt
 * and answer format that GRPO and the evaluation ask for, and the harness
 * that runs a one-step answer: the model writes `solve`, the harness calls it
 * on the task's input (so no variant is judged on copying the input).
 */
import type { RewardFunction } from '@molrl/grpo';
import {
  binaryReward,
  createSandbox,
  mapSandbox,
  multiStageReward,
  type Sandbox,
  type SandboxOptions,
} from '@molrl/sandbox-reward';
import { harnessCall, oneStepPrompt, withDepotLibrary, type TraceMessage } from '@molrl/trace-dataset';

export const COMPACT_AGENT_SYSTEM_PROMPT =
  "You solve tasks with Python. Each step: 'Thought:' then 'Code:' with a ```py block ending in <end_code>. " +
  'Print what you need; the Observation shows the output or the error. Finish with final_answer(answer).';

/** Replace a trace's system prompt with the compact one (other messages untouched). */
export function withCompactSystemPrompt<M extends { role: string; content: unknown }>(messages: readonly M[]): M[] {
  return messages.map((m) => (m.role === 'system' ? { ...m, content: COMPACT_AGENT_SYSTEM_PROMPT } : m));
}

/**
 * A trace for a small context: the compact system prompt, and without
 * smolagents' `tool-call` messages, which repeat the code of the decision
 * just before them (about a third of a trace's tokens).
 */
export function compactTrace<M extends { role: string; content: unknown }>(messages: readonly M[]): M[] {
  return withCompactSystemPrompt(messages.filter((m) => m.role !== 'tool-call'));
}

/** The one-step prompt (system + task, and the `solve` signature the harness calls) GRPO and the evaluation use. */
export function oneStepMessages(task: { question: string; signature?: string }): TraceMessage[] {
  return oneStepPrompt(task);
}

/** A one-step answer: a short thought, then the `solve` function inside one python block. */
export function oneStepAnswer(solveCode: string): string {
  return `I write the function solve for this task.\n\`\`\`python\n${solveCode}\n\`\`\``;
}

/**
 * The sandbox the GRPO and evaluation phases run completions in: two Python workers
 * and no standby processes. A standby (a loaded process kept beside each worker to
 * replace one killed for a timeout at once) costs ~2.9 s of CPU to start; on two
 * cores the two standbys slowed the GRPO phase's rollouts and updates by 13% (42 / 40
 * s against 36 / 35 s, the same rewards), and its 620 runs had no timeout to replace.
 * A worker killed now is replaced when it is next needed.
 */
export const PHASE_SANDBOX_OPTIONS: Readonly<SandboxOptions> = Object.freeze({ workers: 2, pythonStandby: false });

/** A sandbox for the environment's code: Python runs can `import depot` (the library of the depot tasks). */
export async function createEnvironmentSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return withDepotLibrary(await createSandbox(options));
}

/**
 * The harness of one task: Python code sent to this sandbox gets the call of
 * `solve` on the task's input appended (`args`: its Python arguments).
 */
export function withHarnessCall(sandbox: Sandbox, args: string): Sandbox {
  const call = harnessCall({ args });
  return mapSandbox(sandbox, {
    request: (r) => (r.language === 'python' && typeof r.code === 'string' ? { ...r, code: r.code + call } : r),
  });
}

/**
 * The paper's reward for GRPO on one-step tasks, through the harness: each
 * completion's code runs with the call of `solve` on its example's input
 * (`args`) appended; the multi-stage (0.1 / 0.4 / 1.0) or binary reward
 * compares the result with the example's `answer`.
 */
export function harnessReward(kind: 'multi-stage' | 'binary', sandbox: Sandbox): RewardFunction {
  const reward = kind === 'binary' ? binaryReward : multiStageReward;
  const name = kind === 'binary' ? 'binary' : 'multi_stage';
  return {
    name,
    score: ({ examples, completions }) =>
      Promise.all(
        completions.map(async (completion, i) => {
          const { answer, args } = examples[i]!;
          if (answer === undefined || typeof args !== 'string')
            throw new Error(
              `harnessReward: example ${i} needs 'answer' (the ground truth) and 'args' (the task's input as Python arguments)`,
            );
          return (await reward(completion, answer, { sandbox: withHarnessCall(sandbox, args) })).reward;
        }),
      ),
  };
}
