/**
 * Translate a regex written for Oniguruma (the reference library's engine) into
 * an equivalent JavaScript `u` regex: \s, \S, \d, \w take their Unicode meaning
 * (\s is White_Space: JavaScript's own \s would add U+FEFF and miss U+0085), and
 * scoped case-insensitive groups `(?i:...)` become explicit letter classes using
 * Unicode simple case folding (so `s` also matches U+017F LATIN SMALL LETTER LONG S).
 */
import { TokenizerFormatError } from './errors.js';

const WHITE_SPACE_RANGES = '\\t-\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WORD_RANGES = '\\p{L}\\p{M}\\p{Nd}\\p{Pc}';

/** Every character whose simple case folding equals that of `ch` (ASCII letters). */
function caseVariants(ch: string): string {
  const lower = ch.toLowerCase();
  const variants = new Set([lower, lower.toUpperCase()]);
  if (lower === 's') variants.add('\u017f');
  if (lower === 'k') variants.add('\u212a');
  return [...variants].join('');
}

/** `field` and `file` name the pattern in errors (e.g. `pre_tokenizer.pretokenizers[0].pattern.Regex` of a tokenizer.json path). */
export function onigToJsRegex(pattern: string, field = 'pattern', file?: string): RegExp {
  let out = '';
  let inClass = false;
  const insensitive: boolean[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      i++;
      if (e === 's') out += inClass ? WHITE_SPACE_RANGES : `[${WHITE_SPACE_RANGES}]`;
      else if (e === 'S') {
        if (inClass)
          throw new TokenizerFormatError(
            field,
            `\\S inside a character class is not supported in ${JSON.stringify(pattern)}`,
            file,
          );
        out += `[^${WHITE_SPACE_RANGES}]`;
      } else if (e === 'd') out += '\\p{Nd}';
      else if (e === 'D') out += inClass ? '\\P{Nd}' : '\\P{Nd}';
      else if (e === 'w') out += inClass ? WORD_RANGES : `[${WORD_RANGES}]`;
      else if (e === 'W') {
        if (inClass)
          throw new TokenizerFormatError(
            field,
            `\\W inside a character class is not supported in ${JSON.stringify(pattern)}`,
            file,
          );
        out += `[^${WORD_RANGES}]`;
      } else if (e === 'p' || e === 'P') {
        const close = pattern.indexOf('}', i);
        out += '\\' + pattern.slice(i, close + 1);
        i = close;
      } else if (/[A-Za-z0-9]/.test(e)) out += '\\' + e;
      else if (e !== undefined && /[\^$\\.*+?()[\]{}|/]/.test(e)) out += '\\' + e;
      else if (e === '-')
        out += inClass ? '\\-' : '-'; // `u` regexes allow \- only inside a class
      else out += e ?? '';
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?i:', i)) {
        insensitive.push(true);
        out += '(?:';
        i += 3;
        continue;
      }
      if (pattern.startsWith('(?>', i))
        throw new TokenizerFormatError(field, `atomic groups are not supported in ${JSON.stringify(pattern)}`, file);
      insensitive.push(insensitive.length > 0 && insensitive[insensitive.length - 1]);
      out += c;
      continue;
    }
    if (c === ')') {
      insensitive.pop();
      out += c;
      continue;
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && pattern[i + 1] === '+') {
      throw new TokenizerFormatError(
        field,
        `possessive quantifiers are not supported in ${JSON.stringify(pattern)}`,
        file,
      );
    }
    if (insensitive.length > 0 && insensitive[insensitive.length - 1] && /[A-Za-z]/.test(c)) {
      out += `[${caseVariants(c)}]`;
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (err) {
    throw new TokenizerFormatError(field, `cannot compile ${JSON.stringify(pattern)}: ${(err as Error).message}`, file);
  }
}
