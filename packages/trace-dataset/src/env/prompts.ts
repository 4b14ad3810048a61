/** Prompts of the environment: a smolagents-style CodeAgent system prompt, and the one-step prompt (and its harness) of GRPO and evaluation. */
import type { Task } from './tasks.js';
import type { TraceMessage } from '../types.js';

export const CODE_AGENT_SYSTEM_PROMPT = `You are an expert assistant who can solve any task using code blobs. You will be given a task to solve as best you can.
To do so, you have been given access to a list of tools: these tools are basically Python functions which you can call with code.
To solve the task, you must plan forward to proceed in a series of steps, in a cycle of 'Thought:', 'Code:', and 'Observation:' sequences.

At each step, in the 'Thought:' sequence, you should first explain your reasoning towards solving the task and the tools that you want to use.
Then in the 'Code:' sequence, you should write the code in simple Python. The code sequence must end with '<end_code>' sequence.
During each intermediate step, you can use 'print()' to save whatever important information you will then need.
These print outputs will then appear in the 'Observation:' field, which will be available as input for the next step.
In the end you have to return a final answer using the \`final_answer\` tool.

Here is an example:
---
Task: "What is the result of the following operation: 5 + 3 + 1294.678?"

Thought: I will use python code to compute the result of the operation and then return the final answer using the \`final_answer\` tool
Code:
\`\`\`py
result = 5 + 3 + 1294.678
final_answer(result)
\`\`\`<end_code>
---

Above example was using tools that might not exist for you. You only have access to these tools:
- final_answer: Provides a final answer to the given problem.
    Takes inputs: {'answer': {'type': 'any', 'description': 'The final answer to the problem'}}
    Returns an output of type: any

Here are the rules you should always follow to solve your task:
1. Always provide a 'Thought:' sequence, and a 'Code:\\n\`\`\`py' sequence ending with '\`\`\`<end_code>' sequence, else you will fail.
2. Use only variables that you have defined! Variables do not persist between steps: print what you need.
3. You can use imports in your code, but only from the following list of modules: ['collections', 'itertools', 'math', 're', 'statistics', 'functools']
4. Don't give up! You're in charge of solving the task, not providing directions to solve it.

Now Begin!`;

/** The task message as smolagents writes it. */
export function taskMessage(task: Pick<Task, 'question'>): string {
  return `New task:\n${task.question}`;
}

export const ONE_STEP_SYSTEM_PROMPT = `Solve the task by reasoning step by step, then write a Python function solve that computes the answer from the task's input, in a single \`\`\`python code block. The harness calls solve once on the input and checks what it returns, without any feedback. Only the Python standard library and the libraries the task names are available.`;

/** `solve(<parameters>)` as the task's correct solution defines it, e.g. `solve(grams, zone)`. */
export function solveSignature(task: Pick<Task, 'solution'>): string {
  const m = /^def (solve\([^)]*\)):/m.exec(task.solution);
  if (!m) throw new Error(`solveSignature: the solution defines no solve function: ${JSON.stringify(task.solution)}`);
  return m[1]!;
}

/** The user message of the one-step prompt: the task, then (with a signature) the function the harness calls. */
export function oneStepUserMessage(task: Pick<Task, 'question'> & { signature?: string }): string {
  return task.signature ? `${task.question}\nWrite ${task.signature}.` : task.question;
}

/**
 * The plain "solve in one step" prompt of a task (GRPO and evaluation: the
 * model writes `solve` once, the harness calls it on the task's input
 * (`task.args`) and the sandbox reward scores what it returns).
 */
export function oneStepPrompt(task: Pick<Task, 'question'> & { signature?: string }): TraceMessage[] {
  return [
    { role: 'system', content: ONE_STEP_SYSTEM_PROMPT },
    { role: 'user', content: oneStepUserMessage(task) },
  ];
}

/** The Python the harness appends to a one-step answer: the call of solve on the task's input. */
export function harnessCall(task: Pick<Task, 'args'>): string {
  return `\n\nfinal_answer(solve(${task.args}))\n`;
}
