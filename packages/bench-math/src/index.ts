export { parse, verify, grade, type Grade, type Verdict } from './grader/verify.js';
export { extractAnswer, lastBoxed, stripThinking } from './grader/extract.js';
export { parseAnswerText, normalizeAnswerText } from './grader/structure.js';
export { valuesEqual, exprEqual, type EqualOptions } from './grader/equal.js';
export { formatValue, type Answer, type MathValue } from './grader/answer.js';
