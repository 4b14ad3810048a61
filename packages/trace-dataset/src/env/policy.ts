/**
 * A scripted, imperfect CodeAgent policy. It writes a `solve` function, checks it
 * on the task's example while computing the real answer, and reads the REAL
 * observation of each run: a traceback names the exception it then fixes, a check
 * that disagrees with the example makes it find its mistake, a check that agrees
 * makes it hand the printed result to final_answer. Mistakes are drawn with seeded
 * probabilities; sometimes it skips the check and answers directly (and may then
 * be wrong), as real agents do. On a library task its first attempt uses the
 * library's older API (`task.stale`): what it knows before the feedback.
 */
import { Rng } from '../rng.js';
import type { Mistake, Task } from './tasks.js';

export interface PolicyOptions {
  /** Probability of a mistake in the first attempt (default 0.6). */
  mistakeRate?: number;
  /** Probability of a new mistake in a corrected attempt (default 0.15). */
  relapseRate?: number;
  /** Probability of answering without checking on the example (default 0.2). */
  skipCheckRate?: number;
}

export interface Decision {
  thought: string;
  code: string;
}

/** What the agent reads back: the observation text as the environment wrote it. */
export interface Feedback {
  observation: string;
  /** The run's stdout. */
  stdout: string;
  error: { name: string; message: string } | null;
  finalAnswer: boolean;
}

type Phase = 'solve' | 'answer';

export class ScriptedPolicy {
  private readonly rng: Rng;
  private phase: Phase = 'solve';
  private attempts = 0;
  private mistake: Mistake | null = null;
  private pendingThought = '';
  private answerLiteral = '';
  private readonly options: Required<PolicyOptions>;

  constructor(
    private readonly task: Task,
    seed: number,
    options: PolicyOptions = {},
  ) {
    this.rng = new Rng(seed);
    this.options = {
      mistakeRate: options.mistakeRate ?? 0.6,
      relapseRate: options.relapseRate ?? 0.15,
      skipCheckRate: options.skipCheckRate ?? 0.2,
    };
  }

  /** The mistake the current attempt carries, if any (for the trace's metadata). */
  get currentMistake(): Mistake | null {
    return this.mistake;
  }

  private solveCode(check: boolean): string {
    if (this.attempts === 0 && this.task.stale) {
      // A library task: the first attempt is what the agent already knows, the older API.
      this.mistake = this.task.stale;
    } else {
      const rate = this.attempts === 0 ? this.options.mistakeRate : this.options.relapseRate;
      const candidates = this.task.mistakes.filter((m) => m !== this.mistake);
      this.mistake = candidates.length > 0 && this.rng.chance(rate) ? this.rng.pick(candidates) : null;
    }
    this.attempts++;
    const body = (this.mistake ? this.mistake.code : this.task.solution) + '\n\n';
    if (!check) return body + `final_answer(solve(${this.task.args}))`;
    return (
      body +
      `print("check:", repr(solve(${this.task.example.args})), "expected", repr(${this.task.example.expected}))\nresult = solve(${this.task.args})\nprint("result:", repr(result))`
    );
  }

  next(): Decision {
    if (this.phase === 'answer') return { thought: this.pendingThought, code: `final_answer(${this.answerLiteral})` };
    if (this.attempts === 0) {
      const skip = this.rng.chance(this.options.skipCheckRate);
      const thought = skip
        ? 'This is straightforward: I will write a function for it and return its result directly with `final_answer`.'
        : this.rng.pick([
            'I will write a function `solve` for this, check it on the example given in the task, and compute the answer for the real input.',
            "Let me write a `solve` function. To be safe, I'll first test it on the task's example, then print the result for the actual input.",
            'I will solve this with a small Python function, verify it against the example, and print the result.',
          ]);
      return { thought, code: this.solveCode(!skip) };
    }
    return { thought: this.pendingThought, code: this.solveCode(true) };
  }

  /** Read the environment's answer to the last decision. Returns false when the episode is over. */
  observe(feedback: Feedback): boolean {
    if (feedback.finalAnswer && !feedback.error) return false;
    if (feedback.error) {
      const { name, message } = feedback.error;
      const matches = this.mistake?.raises === name;
      this.pendingThought = `The code failed with ${name}: ${message}. ${matches ? this.mistake!.diagnosis : 'I will rewrite the function more carefully.'} Let me fix it and run the check again.`;
      this.phase = 'solve';
      return true;
    }
    const check = /^check: (.*) expected (.*)$/m.exec(feedback.stdout);
    const result = /^result: (.*)$/m.exec(feedback.stdout);
    if (check && result) {
      const [, got, expected] = check;
      if (got === expected) {
        this.answerLiteral = result[1]!;
        this.pendingThought = `The check gives ${got}, as the example expects, so the function is right. The result for the real input is ${result[1]}.`;
        this.phase = 'answer';
      } else {
        const diagnosis =
          this.mistake && !this.mistake.raises
            ? this.mistake.diagnosis
            : 'Something in the function is wrong; I will rewrite it step by step.';
        this.pendingThought = `The check prints ${got} but the example expects ${expected}. ${diagnosis}`;
        this.phase = 'solve';
      }
      return true;
    }
    this.pendingThought = 'The output does not show the check I expected. I will run the function and the check again.';
    this.phase = 'solve';
    return true;
  }
}
