/**
 * The Math-Verify-shaped API: `parse` finds the answers in a text, `verify`
 * says whether a prediction matches the gold answer, `grade` gives the verdict
 * with its reason (what the evaluator records).
 */
import { formatValue, type Answer, type MathValue } from './answer.js';
import { anyValuesEqual, type EqualOptions } from './equal.js';
import { extractAnswer } from './extract.js';
import { parseAnswerText } from './structure.js';

/** The answers in a model output or a gold string (boxed first, then the fallbacks); [] when none. */
export function parse(text: string): Answer[] {
  if (typeof text !== 'string') throw new TypeError(`parse: expected a string, got ${typeof text}`);
  const raw = extractAnswer(text);
  return raw === null ? [] : parseAnswerText(raw);
}

function toAnswers(side: string | Answer[], name: string): Answer[] {
  if (typeof side === 'string') return parse(side);
  if (Array.isArray(side)) return side;
  throw new TypeError(`verify: ${name} must be a string or parse()'s result, got ${typeof side}`);
}

function* pairs(gold: Answer[], prediction: Answer[]): Generator<[MathValue, MathValue]> {
  for (const a of gold) for (const b of prediction) yield [a.value, b.value];
}

/** Whether `prediction` (a whole model output, an answer, or parse()'s result) matches `gold`. */
export function verify(gold: string | Answer[], prediction: string | Answer[], options: EqualOptions = {}): boolean {
  const g = toAnswers(gold, 'gold');
  const p = toAnswers(prediction, 'prediction');
  return anyValuesEqual(pairs(g, p), options);
}

export type Verdict = 'correct' | 'incorrect' | 'no-answer';

export interface Grade {
  verdict: Verdict;
  correct: boolean;
  /** The raw answer text taken from the prediction, null when there was none. */
  extracted: string | null;
  /** The readings compared, for reports. */
  goldReadings: string[];
  predictionReadings: string[];
}

export function grade(gold: string, prediction: string, options: EqualOptions = {}): Grade {
  if (typeof gold !== 'string') throw new TypeError(`grade: gold must be a string, got ${typeof gold}`);
  if (typeof prediction !== 'string')
    throw new TypeError(`grade: prediction must be a string, got ${typeof prediction}`);
  const extracted = extractAnswer(prediction);
  const g = parse(gold);
  if (g.length === 0) throw new Error(`grade: the gold answer ${JSON.stringify(gold)} has no readable answer`);
  const goldReadings = g.map((a) => formatValue(a.value));
  if (extracted === null)
    return { verdict: 'no-answer', correct: false, extracted, goldReadings, predictionReadings: [] };
  const p = parseAnswerText(extracted);
  const correct = anyValuesEqual(pairs(g, p), options);
  return {
    verdict: correct ? 'correct' : 'incorrect',
    correct,
    extracted,
    goldReadings,
    predictionReadings: p.map((a) => formatValue(a.value)),
  };
}
