import { describeValue, SandboxConfigError } from '../errors.js';
import type { Language } from '../types.js';

/** Where a code block was found in a model's output. */
export type CodeFormat = 'fenced' | 'smolagents' | 'code-tag';

export interface ExtractedCode {
  code: string;
  /** From the fence's tag, else the caller's default language. */
  language: Language;
  format: CodeFormat;
  /** Offset of the block in the completion. */
  index: number;
}

const FENCE_LANGUAGES: Record<string, Language> = {
  py: 'python',
  python: 'python',
  python3: 'python',
  py3: 'python',
  js: 'javascript',
  javascript: 'javascript',
  node: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
};

const FENCE = /```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n([\s\S]*?)```/g;
const SMOLAGENTS = /Code:[ \t]*\n([\s\S]*?)<end_code>/g;
const CODE_TAG = /<code>([\s\S]*?)<\/code>/g;

/**
 * The code a model wrote: fenced blocks (```py / ```python / ```js, or an
 * untagged fence), smolagents' `Code:` ... `<end_code>` and `<code>...</code>`.
 * When several blocks are present the last one wins (the model's final
 * attempt). Fences tagged with another language (```text, ```bash) are not
 * code to run. Returns null when there is no code. Throws for a completion
 * that is not a string and a default language other than 'python' or 'javascript'.
 */
export function extractCode(completion: string, defaultLanguage: Language = 'python'): ExtractedCode | null {
  if (typeof completion !== 'string') {
    throw new TypeError(`extractCode: completion must be a string, got ${describeValue(completion)}`);
  }
  if (defaultLanguage !== 'python' && defaultLanguage !== 'javascript') {
    throw new SandboxConfigError(
      'defaultLanguage',
      `expected 'python' or 'javascript', got ${describeValue(defaultLanguage)}`,
    );
  }
  let best: ExtractedCode | null = null;
  const consider = (candidate: ExtractedCode) => {
    if (candidate.code.trim() === '') return;
    if (!best || candidate.index >= best.index) best = candidate;
  };
  for (const m of completion.matchAll(FENCE)) {
    const tag = m[1]!.toLowerCase();
    const language = tag === '' ? defaultLanguage : FENCE_LANGUAGES[tag];
    if (!language) continue;
    consider({ code: m[2]!, language, format: 'fenced', index: m.index! });
  }
  for (const m of completion.matchAll(SMOLAGENTS)) {
    const body = m[1]!;
    // smolagents usually fences the code between Code: and <end_code>; the
    // fence itself is picked up above (and starts later, so it wins).
    if (body.includes('```')) continue;
    consider({ code: body, language: defaultLanguage, format: 'smolagents', index: m.index! });
  }
  for (const m of completion.matchAll(CODE_TAG)) {
    consider({ code: m[1]!, language: defaultLanguage, format: 'code-tag', index: m.index! });
  }
  return best;
}
