import { describeValue, SandboxConfigError } from '../errors.js';
import { resolveLimits } from '../limits.js';
import type { Sandbox } from '../sandbox.js';
import type { Language, Limits, RunRecord } from '../types.js';
import {
  autoMatch,
  checkTolerance,
  DEFAULT_TOLERANCE,
  exactMatch,
  normalizedMatch,
  numericMatch,
  type Comparison,
  type RunAnswer,
  type Tolerance,
} from './compare.js';
import { extractCode, type ExtractedCode } from './extract-code.js';

/** Where the answer of a run is read from. */
export type ResultSource = 'final-answer' | 'variable' | 'last-line' | 'auto';

/** The paper's stage weights: 0.1 parses, 0.4 executes, 1.0 correct. */
export interface RewardWeights {
  parses: number;
  executes: number;
  correct: number;
  /** Reward of a run that reached for a forbidden capability (default 0). */
  forbidden: number;
}

export const PAPER_WEIGHTS: Readonly<RewardWeights> = Object.freeze({
  parses: 0.1,
  executes: 0.4,
  correct: 1.0,
  forbidden: 0,
});

export interface RewardOptions {
  /** The sandbox that runs the code. */
  sandbox: Sandbox;
  /** Language of code blocks without a language tag (default 'python'). */
  language?: Language;
  /**
   * Where the answer comes from: the `final_answer(x)` call, a named top-level
   * variable, the last printed line, or `auto` (default: final_answer if
   * called, else `variable` when given, else the last printed line).
   */
  result?: ResultSource;
  /** The variable read when `result` is 'variable' (or 'auto'); refused with any other `result`. */
  variable?: string;
  /** How the answer is compared with the ground truth (default 'auto'). */
  compare?: Comparison;
  /** Tolerance of numeric comparison. */
  tolerance?: Partial<Tolerance>;
  /** Multi-stage weights (ignored by `binaryReward`). */
  weights?: Partial<RewardWeights>;
  /** Limits of the run, over the sandbox defaults. */
  limits?: Partial<Limits>;
}

/**
 * How far the completion got: no code block; code that does not parse; code
 * that parses but fails to run (error, timeout, memory, output flood); a
 * forbidden attempt; code that runs but whose answer is wrong or missing; a
 * correct answer.
 */
export type RewardStage = 'no-code' | 'syntax-error' | 'parses' | 'forbidden' | 'executes' | 'correct';

export interface RewardResult {
  reward: number;
  stage: RewardStage;
  /** The sandbox record of the run, null when there was no code. */
  record: RunRecord | null;
  /** The code that ran, null when none was found. */
  code: ExtractedCode | null;
  /** The answer read from the run (null when there was none). */
  answer: RunAnswer | null;
  /** Why the reward is what it is, in words ("no code found", the error...). */
  reason: string;
}

interface CheckedOptions {
  sandbox: Sandbox;
  language: Language;
  result: ResultSource;
  variable: string | undefined;
  compare: Comparison;
  tolerance: Tolerance;
  weights: RewardWeights;
  limits: Partial<Limits> | undefined;
}

/**
 * The paper's multi-stage reward: `weights.parses` (0.1) when the code parses,
 * `weights.executes` (0.4) when it runs without error, `weights.correct` (1.0)
 * when its answer matches the ground truth. Never throws for bad code; throws
 * `SandboxConfigError` for bad options, and for a ground truth a built-in
 * comparison cannot hold (undefined, null, NaN, an object that is not JSON data).
 */
export async function multiStageReward(
  completion: string,
  answer: unknown,
  options: RewardOptions,
): Promise<RewardResult> {
  const checked = checkOptions(options, 'multiStageReward');
  checkGroundTruth(answer, checked, 'multiStageReward');
  const outcome = await evaluate(completion, answer, checked);
  const w = checked.weights;
  const reward = {
    'no-code': 0,
    'syntax-error': 0,
    parses: w.parses,
    forbidden: w.forbidden,
    executes: w.executes,
    correct: w.correct,
  }[outcome.stage];
  return { ...outcome, reward };
}

/** 1 when the code runs and its answer matches the ground truth, else 0. */
export async function binaryReward(completion: string, answer: unknown, options: RewardOptions): Promise<RewardResult> {
  const checked = checkOptions(options, 'binaryReward');
  checkGroundTruth(answer, checked, 'binaryReward');
  const outcome = await evaluate(completion, answer, checked);
  return { ...outcome, reward: outcome.stage === 'correct' ? 1 : 0 };
}

async function evaluate(
  completion: string,
  expected: unknown,
  o: CheckedOptions,
): Promise<Omit<RewardResult, 'reward'>> {
  if (typeof completion !== 'string') {
    return {
      stage: 'no-code',
      record: null,
      code: null,
      answer: null,
      reason: `no code found (the completion is a ${typeof completion}, not a string)`,
    };
  }
  const code = extractCode(completion, o.language);
  if (!code) return { stage: 'no-code', record: null, code: null, answer: null, reason: 'no code found' };
  const record = await o.sandbox.run({
    language: code.language,
    code: code.code,
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.variable !== undefined && (o.result === 'variable' || o.result === 'auto')
      ? { resultVariable: o.variable }
      : {}),
  });
  const base = { record, code };
  switch (record.status) {
    case 'syntax-error':
      return { ...base, stage: 'syntax-error', answer: null, reason: errorText(record) };
    case 'forbidden':
      return { ...base, stage: 'forbidden', answer: null, reason: errorText(record) };
    case 'ok':
      break;
    default:
      return { ...base, stage: 'parses', answer: null, reason: errorText(record) };
  }
  const got = readAnswer(record, o);
  if (!got)
    return {
      ...base,
      stage: 'executes',
      answer: null,
      reason: `the code ran but produced no answer (${describeSource(o)})`,
    };
  let correct: boolean;
  try {
    correct = await compare(got, expected, record, o);
  } catch (error) {
    // A user comparison that throws on this answer: the answer does not match.
    return {
      ...base,
      stage: 'executes',
      answer: got,
      reason: `the comparison failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  return correct
    ? { ...base, stage: 'correct', answer: got, reason: 'the answer matches' }
    : {
        ...base,
        stage: 'executes',
        answer: got,
        reason: `the answer ${JSON.stringify(got.text.slice(0, 200))} does not match`,
      };
}

function readAnswer(record: RunRecord, o: CheckedOptions): RunAnswer | null {
  const fromResult = (): RunAnswer | null =>
    record.resultText === null ? null : { value: record.result, text: record.resultText };
  const fromLastLine = (): RunAnswer | null => {
    const lines = record.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '');
    const last = lines[lines.length - 1];
    return last === undefined ? null : { value: last, text: last };
  };
  switch (o.result) {
    case 'final-answer':
      return record.finalAnswer ? fromResult() : null;
    case 'variable':
      return record.finalAnswer ? null : fromResult();
    case 'last-line':
      return fromLastLine();
    case 'auto':
      return fromResult() ?? fromLastLine();
  }
}

function compare(got: RunAnswer, expected: unknown, record: RunRecord, o: CheckedOptions): boolean | Promise<boolean> {
  if (typeof o.compare === 'function') return o.compare(got, expected, record);
  switch (o.compare) {
    case 'exact':
      return exactMatch(got, expected);
    case 'numeric':
      return numericMatch(got, expected, o.tolerance);
    case 'normalized':
      return normalizedMatch(got, expected);
    case 'auto':
      return autoMatch(got, expected, o.tolerance);
  }
}

function describeSource(o: CheckedOptions): string {
  switch (o.result) {
    case 'final-answer':
      return 'final_answer() was not called';
    case 'variable':
      return `the variable \`${o.variable}\` was not set`;
    case 'last-line':
      return 'nothing was printed';
    case 'auto':
      return o.variable
        ? `no final_answer(), no \`${o.variable}\`, nothing printed`
        : 'no final_answer() and nothing printed';
  }
}

function errorText(record: RunRecord): string {
  const e = record.error;
  if (!e) return record.status;
  return `${e.kind}: ${e.name}: ${e.message}${e.line ? ` (line ${e.line})` : ''}`;
}

const RESULT_SOURCES: readonly ResultSource[] = ['final-answer', 'variable', 'last-line', 'auto'];
const COMPARISONS = ['exact', 'numeric', 'normalized', 'auto'];
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const OPTION_KEYS = new Set(['sandbox', 'language', 'result', 'variable', 'compare', 'tolerance', 'weights', 'limits']);

/** The fields of an optional sub-object option (`tolerance`, `weights`); a number, string or array is refused, not read as no fields or as indices. */
function fieldsOf(value: object | undefined, option: string): object {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SandboxConfigError(option, `expected an object, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The ground truth must be something the built-in comparisons can hold an answer
 * to: undefined and null read as the empty text, which `final_answer("")` matches
 * (a row whose answer field is missing would pay any policy that answers nothing),
 * NaN as the text "nan", and an object must be JSON data. A compare function of
 * the caller's takes any ground truth.
 */
function checkGroundTruth(expected: unknown, o: CheckedOptions, fn: string): void {
  if (typeof o.compare === 'function') return;
  if (expected === undefined || expected === null || (typeof expected === 'number' && Number.isNaN(expected))) {
    throw new SandboxConfigError(
      'answer',
      `${fn}'s ground truth is ${String(expected)}, which compare '${o.compare}' would match with ${typeof expected === 'number' ? 'the answer "nan"' : 'an empty answer (final_answer(""))'}; pass the expected answer, or a compare function`,
    );
  }
  if (typeof expected === 'object') {
    try {
      JSON.stringify(expected);
    } catch (error) {
      throw new SandboxConfigError(
        'answer',
        `${fn}'s ground truth is not JSON data (${error instanceof Error ? error.message.split('\n')[0] : String(error)}), so no answer could be compared with it`,
      );
    }
  }
}

function checkOptions(options: RewardOptions, fn: string): CheckedOptions {
  if (options === null || typeof options !== 'object') {
    throw new SandboxConfigError(`${fn} options`, 'expected an object with at least `sandbox`');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key))
      throw new SandboxConfigError(key, `unknown ${fn} option (known: ${[...OPTION_KEYS].join(', ')})`);
  }
  const sandbox = options.sandbox;
  if (!sandbox || typeof sandbox.run !== 'function') {
    throw new SandboxConfigError('sandbox', `${fn} needs a sandbox from createSandbox()`);
  }
  const language = options.language ?? 'python';
  if (language !== 'python' && language !== 'javascript') {
    throw new SandboxConfigError('language', `expected 'python' or 'javascript', got ${JSON.stringify(language)}`);
  }
  const result = options.result ?? 'auto';
  if (!RESULT_SOURCES.includes(result)) {
    throw new SandboxConfigError(
      'result',
      `expected one of ${RESULT_SOURCES.join(', ')}, got ${JSON.stringify(result)}`,
    );
  }
  const variable = options.variable;
  if (variable !== undefined && (typeof variable !== 'string' || !IDENTIFIER.test(variable))) {
    throw new SandboxConfigError('variable', `expected an identifier, got ${JSON.stringify(variable)}`);
  }
  if (result === 'variable' && variable === undefined) {
    throw new SandboxConfigError('variable', "required when `result` is 'variable'");
  }
  if (variable !== undefined && result !== 'variable' && result !== 'auto') {
    throw new SandboxConfigError(
      'variable',
      `read only when \`result\` is 'variable' or 'auto', but \`result\` is ${JSON.stringify(result)}`,
    );
  }
  const compareOption = options.compare ?? 'auto';
  if (typeof compareOption !== 'function' && !COMPARISONS.includes(compareOption)) {
    throw new SandboxConfigError(
      'compare',
      `expected one of ${COMPARISONS.join(', ')} or a function, got ${JSON.stringify(compareOption)}`,
    );
  }
  const tolerance = { ...DEFAULT_TOLERANCE };
  for (const [key, value] of Object.entries(fieldsOf(options.tolerance, 'tolerance'))) {
    if (key !== 'absolute' && key !== 'relative')
      throw new SandboxConfigError(`tolerance.${key}`, 'unknown field (known: absolute, relative)');
    if (value === undefined) continue;
    tolerance[key] = value as number;
  }
  checkTolerance(tolerance, fn);
  const weights = { ...PAPER_WEIGHTS };
  for (const [key, value] of Object.entries(fieldsOf(options.weights, 'weights'))) {
    if (!(key in PAPER_WEIGHTS))
      throw new SandboxConfigError(
        `weights.${key}`,
        `unknown weight (known: ${Object.keys(PAPER_WEIGHTS).join(', ')})`,
      );
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SandboxConfigError(`weights.${key}`, `expected a finite number, got ${describeValue(value)}`);
    }
    weights[key as keyof RewardWeights] = value;
  }
  if (options.limits !== undefined) resolveLimits(sandbox.limits, options.limits, 'limits');
  return { sandbox, language, result, variable, compare: compareOption, tolerance, weights, limits: options.limits };
}
