/**
 * The final answer's text inside a model output: think blocks removed, then
 * the last \boxed{...} / \fbox{...} (nested braces), then "The final answer
 * is ...", "Final Answer: ...", "the answer is ...", "Answer: ...", then the
 * last inline or display math, then a short one-line text as a whole. null
 * when none of these is there: the "no answer" verdict.
 */
import { findMathSpans } from './math-spans.js';
import { MAX_ANSWER_LENGTH, normalizeAnswerText } from './structure.js';

/** Remove reasoning: everything up to the last </think>; an unclosed <think> hides the rest. */
export function stripThinking(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`stripThinking: expected a string, got ${typeof text}`);
  const close = text.lastIndexOf('</think>');
  if (close >= 0) return text.slice(close + '</think>'.length);
  const open = text.indexOf('<think>');
  return open >= 0 ? text.slice(0, open) : text;
}

/**
 * For each `{` at a position in `openers`, the index of its matching `}` (a
 * backslash escapes the next character), found in one pass with a stack: the
 * same answer as scanning from each opener, without rescanning the text once
 * per opener.
 */
function matchBraces(text: string, openers: ReadonlySet<number>): Map<number, number> {
  const matches = new Map<number, number>();
  const stack: number[] = [];
  for (let j = 0; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 92 /* \ */) j++;
    else if (c === 123 /* { */) stack.push(j);
    else if (c === 125 /* } */ && stack.length > 0) {
      const open = stack.pop()!;
      if (openers.has(open)) matches.set(open, j);
    }
  }
  return matches;
}

/**
 * The content of the last \boxed{...} or \fbox{...} (also `\boxed 5`), or null.
 * Boxes that end the text together, joined only by commas or "and"/"or"
 * ("\boxed{2} and \boxed{3}"), are one answer: "2, 3". A box inside another
 * is part of the outer one's answer, not a separate one. Linear in the text.
 */
export function lastBoxed(text: string): string | null {
  if (typeof text !== 'string') throw new TypeError(`lastBoxed: expected a string, got ${typeof text}`);
  const re = /\\(?:boxed|fbox)\s*/g;
  const word = /[^\s$]+/y;
  const openers = new Set<number>();
  const found: Array<{ start: number; at: number; spaced: boolean }> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const at = m.index + m[0].length;
    found.push({ start: m.index, at, spaced: m[0].endsWith(' ') });
    if (text[at] === '{') openers.add(at);
  }
  if (found.length === 0) return null;
  const closers = matchBraces(text, openers);
  const boxes: Array<{ start: number; end: number; inner: string }> = [];
  for (const { start, at, spaced } of found) {
    if (text[at] === '{') {
      const close = closers.get(at);
      if (close !== undefined) boxes.push({ start, end: close + 1, inner: text.slice(at + 1, close) });
    } else if (spaced) {
      word.lastIndex = at;
      const w = word.exec(text);
      if (w) boxes.push({ start, end: at + w[0].length, inner: w[0] });
    }
  }
  // Drop boxes nested in an earlier box: the outer box is the answer.
  const outer: typeof boxes = [];
  for (const b of boxes) if (outer.length === 0 || b.start >= outer[outer.length - 1]!.end) outer.push(b);
  if (outer.length === 0) return null;
  let first = outer.length - 1;
  while (
    first > 0 &&
    /^[\s,;$]*(?:(?:and|or|\\text\{\s*(?:and|or)\s*\})[\s$]*)?(?:[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*)?$/.test(
      text.slice(outer[first - 1]!.end, outer[first]!.start),
    )
  )
    first--;
  return outer
    .slice(first)
    .map((b) => b.inner.trim())
    .join(', ');
}

/**
 * The phrases that introduce an answer; the answer is the rest of the line
 * after one. (Line-start whitespace does not cross lines: `^\s*` would rescan
 * every following blank line from every line start.)
 */
const PHRASES = [
  /final answer\s*(?:is|:)\s*:?\s*/gi,
  /(?:the|my) answer is\s*:?\s*/gi,
  /^[^\S\n\r\u2028\u2029]*\**answer\**\s*:\s*/gim,
];

/** Phrases tried from the last one back before giving up (each try reads one line). */
const MAX_PHRASE_TRIES = 16;

/** The rest of the line from `from` (what `.+` would take). */
function restOfLine(text: string, from: number): string {
  const terminator = /[\n\r\u2028\u2029]/g;
  terminator.lastIndex = from;
  const m = terminator.exec(text);
  return text.slice(from, m ? m.index : text.length);
}

/** Strip trailing periods and whitespace (a loop: `/[.\s]+$/` is quadratic on long runs that do not end the text). */
function trimTrailingDots(s: string): string {
  let end = s.length;
  while (end > 0 && (s[end - 1] === '.' || /\s/.test(s[end - 1]!))) end--;
  return s.slice(0, end);
}

function cleanPhraseAnswer(s: string): string {
  let a = s.trim();
  // "$5$. I hope it is correct." -> "$5$"
  // An escaped dollar (\$36) is part of the math.
  const math = /^\$\$?((?:\\\$|[^$])+)\$\$?/.exec(a) ?? /^\\\((.+?)\\\)/.exec(a) ?? /^\\\[(.+?)\\\]/.exec(a);
  if (math) return math[1]!.trim();
  a = a.replace(/\*\*/g, '');
  a = a.replace(/\.\s+[A-Z].*$/, '');
  return trimTrailingDots(a).trim();
}

const MATH_WORDS = new Set([
  'sin',
  'cos',
  'tan',
  'cot',
  'sec',
  'csc',
  'ln',
  'log',
  'exp',
  'sqrt',
  'pi',
  'inf',
  'infinity',
  'or',
  'and',
]);

/** Two or more plain words (outside \text{} and commands, not function names): a sentence, not an answer. */
function looksLikeProse(s: string): boolean {
  const bare = s.replace(/\\[a-zA-Z]+\s*(\{[^}]*\})?/g, ' ');
  const words = (bare.match(/(?<![\\\w])[A-Za-z]{2,}(?![\w])/g) ?? []).filter((w) => !MATH_WORDS.has(w.toLowerCase()));
  return words.length >= 2 || /(?<!\\)[.!?]\s+[A-Za-z]/.test(s);
}

/** The answer after a phrase; in a sentence ("The volume of $ABCD$ is 120") the part after its last "is". */
function phraseAnswer(raw: string): string {
  const a = cleanPhraseAnswer(raw);
  // Past the answer length limit the text is compared as it is; reading it as prose would cost more than linear time.
  if (a.length > MAX_ANSWER_LENGTH) return a;
  if (!looksLikeProse(normalizeAnswerText(a))) return a;
  const tail = /\b(?:is|are|equals|be)\s+([^\s].*)$/i.exec(a);
  return tail ? cleanPhraseAnswer(tail[1]!) : a;
}

/** The answer after the last answer phrase that has one (linear: the phrases are found first, lines read after). */
function lastPhraseAnswer(body: string): string | null {
  const hits: Array<{ index: number; from: number; order: number }> = [];
  PHRASES.forEach((re, order) => {
    re.lastIndex = 0;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      hits.push({ index: m.index, from: m.index + m[0].length, order });
      // Matches may overlap ("Final Answer: The final answer is 5"): look again from the next character.
      re.lastIndex = m.index + 1;
    }
  });
  hits.sort((a, b) => b.index - a.index || b.order - a.order);
  for (const hit of hits.slice(0, MAX_PHRASE_TRIES)) {
    const answer = phraseAnswer(restOfLine(body, hit.from));
    if (answer) return answer;
  }
  return null;
}

/**
 * The answer text of a model output, or null. Time is linear in the length of
 * `text`; every step that is not (prose and notation checks) runs on at most
 * MAX_ANSWER_LENGTH characters.
 */
export function extractAnswer(text: string): string | null {
  if (typeof text !== 'string') throw new TypeError(`extractAnswer: expected a string, got ${typeof text}`);
  const body = stripThinking(text);
  const boxed = lastBoxed(body);
  if (boxed !== null) return boxed.trim();
  const phrase = lastPhraseAnswer(body);
  if (phrase !== null) return phrase;
  const trimmed = body.trim();
  if (trimmed === '') return null;
  // Inline or display math, the last one: "Answer $ 9 $", "so we get \\[ x = 2 \\]".
  const spans = findMathSpans(trimmed);
  const last = spans.last;
  if (last) {
    const math = last.inner.trim();
    // A whole answer that is one math span keeps its trailing text (units): "$28$ percent".
    if (
      spans.count === 1 &&
      last.index === 0 &&
      trimmed.length <= MAX_ANSWER_LENGTH &&
      !trimmed.includes('\n') &&
      !looksLikeProse(normalizeAnswerText(' 0 ' + trimmed.slice(last.end)))
    )
      return trimmed;
    return math;
  }
  if (trimmed.length <= 120 && !trimmed.includes('\n') && !looksLikeProse(normalizeAnswerText(trimmed))) return trimmed;
  return null;
}
