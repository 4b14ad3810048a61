/**
 * The text of the embedded environment as the pipeline feeds it to a small
 * model: a compact CodeAgent system prompt (the smolagents one is ~600 tokens,
 * more than a tiny model's whole context budget here) and the one-step answer
 * format that GRPO and the evaluation ask for.
 */
import { ONE_STEP_SYSTEM_PROMPT, type Task, type TraceMessage } from '@molrl/trace-dataset';

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

/** The one-step prompt (system + task) GRPO and the evaluation use. */
export function oneStepMessages(task: Pick<Task, 'question'>): TraceMessage[] {
  return [
    { role: 'system', content: ONE_STEP_SYSTEM_PROMPT },
    { role: 'user', content: task.question },
  ];
}

/** A one-step answer: a short thought, then `solve` applied to the task's input inside one python block. */
export function oneStepAnswer(task: Pick<Task, 'args'>, solveCode: string): string {
  return `I write a function solve for this task and call it on the input.\n\`\`\`python\n${solveCode}\n\nfinal_answer(solve(${task.args}))\n\`\`\``;
}
