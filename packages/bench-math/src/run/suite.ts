/**
 * An evaluation suite: items with a prompt and a checker. Math benchmarks
 * check with the grader; CodeAgent-Test checks by running the generated code
 * in a sandbox. The evaluator only sees this shape.
 */
import { checkOptionNames, type OptionKeys } from '@molrl/hub-cache';
import type { Benchmark } from '../datasets.js';
import { grade } from '../grader/verify.js';
import type { Prompt } from './generator.js';

export type CheckVerdict = 'correct' | 'incorrect' | 'no-answer';

export interface CheckResult {
  correct: boolean;
  verdict: CheckVerdict;
  /** What was compared: the extracted answer, or the code's result. */
  extracted: string | null;
  /** A graded score in [0, 1] when the checker has one (multi-stage reward); else correct ? 1 : 0. */
  score?: number;
  /** Why, in words (for code: the reward stage and reason). */
  detail?: string;
}

export interface EvalItem {
  id: string;
  prompt: Prompt;
  /** The reference answer, as shown in reports. */
  reference: string;
  check(completion: string): Promise<CheckResult> | CheckResult;
  /** Breakdown keys (MATH: subject and level). */
  subject?: string;
  level?: number;
}

export interface EvalSuite {
  /** The column name in reports: "MATH-500", "AIME24", ... */
  name: string;
  items: EvalItem[];
  /** Samples per item; pass@1 is averaged over them (the paper: 3 for AIME, 1 otherwise). */
  samples: number;
}

/** Qwen2.5-Math / Qwen3's standard math instruction. */
export const MATH_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

export function mathPrompt(problem: string): Prompt {
  return `${problem}\n${MATH_INSTRUCTION}`;
}

const DISPLAY_NAMES: Record<string, string> = {
  math500: 'MATH-500',
  aime24: 'AIME24',
  aime25: 'AIME25',
  'HuggingFaceH4/MATH-500': 'MATH-500',
};

export interface MathSuiteOptions {
  /** Default: 3 for AIME sets, 1 otherwise. */
  samples?: number;
  /** Default: the problem followed by MATH_INSTRUCTION. */
  prompt?: (problem: string) => Prompt;
  /** Report column (default: MATH-500 / AIME24 / AIME25 for the shipped sets, else the benchmark's name). */
  name?: string;
  /** Only the first n problems (quick runs). */
  limit?: number;
}

const MATH_SUITE_OPTION_KEYS = {
  samples: true,
  prompt: true,
  name: true,
  limit: true,
} satisfies OptionKeys<MathSuiteOptions>;

export function mathSuite(benchmark: Benchmark, options: MathSuiteOptions = {}): EvalSuite {
  checkOptionNames(options, Object.keys(MATH_SUITE_OPTION_KEYS), 'mathSuite');
  if (typeof benchmark !== 'object' || benchmark === null || !Array.isArray(benchmark.problems))
    throw new TypeError(
      `mathSuite: expected a Benchmark ({ name, problems }, from loadBuiltin or loadBenchmark), got ${benchmark === null ? 'null' : typeof benchmark}`,
    );
  const name = options.name ?? DISPLAY_NAMES[benchmark.name] ?? benchmark.name;
  const samples = options.samples ?? (/aime/i.test(name) ? 3 : 1);
  if (!Number.isInteger(samples) || samples < 1)
    throw new RangeError(`mathSuite: samples must be an integer >= 1, got ${samples}`);
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit >= 0))
    throw new RangeError(`mathSuite: limit must be an integer >= 0, got ${String(options.limit)}`);
  const toPrompt = options.prompt ?? mathPrompt;
  const problems = options.limit !== undefined ? benchmark.problems.slice(0, options.limit) : benchmark.problems;
  return {
    name,
    samples,
    items: problems.map((p) => ({
      id: p.id,
      prompt: toPrompt(p.problem),
      reference: p.answer,
      ...(p.subject !== undefined ? { subject: p.subject } : {}),
      ...(p.level !== undefined ? { level: p.level } : {}),
      check(completion: string): CheckResult {
        const g = grade(p.answer, completion);
        return { correct: g.correct, verdict: g.verdict, extracted: g.extracted };
      },
    })),
  };
}
