/**
 * The final answer's text inside a model output: think blocks removed, then
 * the last \boxed{...} / \fbox{...} (nested braces), then "The final answer
 * is ...", "Final Answer: ...", "the answer is ...", "Answer: ...", then the
 * last inline or display math, then a short one-line text as a whole. null
 * when none of these is there: the "no answer" verdict.
 */
import { normalizeAnswerText } from './structure.js';
import { readBraced } from './tokens.js';

/** Remove reasoning: everything up to the last </think>; an unclosed <think> hides the rest. */
export function stripThinking(text: string): string {
  const close = text.lastIndexOf('</think>');
  if (close >= 0) return text.slice(close + '</think>'.length);
  const open = text.indexOf('<think>');
  return open >= 0 ? text.slice(0, open) : text;
}

/**
 * The content of the last \boxed{...} or \fbox{...} (also `\boxed 5`), or null.
 * Boxes that end the text together, joined only by commas or "and"/"or"
 * ("\boxed{2} and \boxed{3}"), are one answer: "2, 3".
 */
export function lastBoxed(text: string): string | null {
  const re = /\\(?:boxed|fbox)\s*/g;
  const boxes: Array<{ start: number; end: number; inner: string }> = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const at = m.index + m[0].length;
    if (text[at] === '{') {
      const arg = readBraced(text, at);
      if (arg) boxes.push({ start: m.index, end: arg.end, inner: arg.inner });
    } else if (m[0].endsWith(' ')) {
      const word = /^[^\s$]+/.exec(text.slice(at));
      if (word) boxes.push({ start: m.index, end: at + word[0].length, inner: word[0] });
    }
  }
  if (boxes.length === 0) return null;
  let first = boxes.length - 1;
  while (
    first > 0 &&
    /^[\s,;$]*(?:(?:and|or|\\text\{\s*(?:and|or)\s*\})[\s$]*)?(?:[a-zA-Z](?:_\{?\w+\}?)?\s*=\s*)?$/.test(
      text.slice(boxes[first - 1]!.end, boxes[first]!.start),
    )
  )
    first--;
  return boxes
    .slice(first)
    .map((b) => b.inner.trim())
    .join(', ');
}

const PHRASES = [
  /final answer\s*(?:is|:)\s*:?\s*(.+)/gi,
  /(?:the|my) answer is\s*:?\s*(.+)/gi,
  /^\s*\**answer\**\s*:\s*(.+)/gim,
];

function cleanPhraseAnswer(s: string): string {
  let a = s.trim();
  // "$5$. I hope it is correct." -> "$5$"
  const math = /^\$\$?([^$]+)\$\$?/.exec(a) ?? /^\\\((.+?)\\\)/.exec(a) ?? /^\\\[(.+?)\\\]/.exec(a);
  if (math) return math[1]!.trim();
  a = a.replace(/\*\*/g, '');
  a = a.replace(/\.\s+[A-Z].*$/, '');
  return a.replace(/[.\s]+$/, '').trim();
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
  if (!looksLikeProse(normalizeAnswerText(a))) return a;
  const tail = /\b(?:is|are|equals|be)\s+([^\s].*)$/i.exec(a);
  return tail ? cleanPhraseAnswer(tail[1]!) : a;
}

export function extractAnswer(text: string): string | null {
  if (typeof text !== 'string') throw new TypeError(`extractAnswer: expected a string, got ${typeof text}`);
  const body = stripThinking(text);
  const boxed = lastBoxed(body);
  if (boxed !== null) return boxed.trim();
  let best: { index: number; answer: string } | null = null;
  for (const re of PHRASES) {
    re.lastIndex = 0;
    for (let m = re.exec(body); m; m = re.exec(body)) {
      const answer = phraseAnswer(m[1]!);
      if (answer && (!best || m.index >= best.index)) best = { index: m.index, answer };
      // Matches may overlap ("Final Answer: The final answer is 5"): look again from the next character.
      re.lastIndex = m.index + 1;
    }
  }
  if (best) return best.answer;
  const trimmed = body.trim();
  if (trimmed === '') return null;
  // Inline or display math, the last one: "Answer $ 9 $", "so we get \\[ x = 2 \\]".
  const inline = [
    ...trimmed.matchAll(
      /(?<!\\)\$\$([\s\S]+?)(?<!\\)\$\$|(?<!\\)\$([^$\n]+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[([\s\S]+?)\\\]/g,
    ),
  ];
  const last = inline[inline.length - 1];
  if (last) {
    const math = (last[1] ?? last[2] ?? last[3] ?? last[4])!.trim();
    // A whole answer that is one math span keeps its trailing text (units): "$28$ percent".
    if (
      inline.length === 1 &&
      last.index === 0 &&
      !trimmed.includes('\n') &&
      !looksLikeProse(normalizeAnswerText(trimmed.replace(last[0], ' 0 ')))
    )
      return trimmed;
    return math;
  }
  if (!trimmed.includes('\n') && trimmed.length <= 120 && !looksLikeProse(normalizeAnswerText(trimmed))) return trimmed;
  return null;
}
