import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onigToJsRegex } from './onig-regex.js';
import { scannedPieces } from './test-util/scanner.test-util.js';
import { LLAMA3_SPLIT_PATTERN, QWEN_SPLIT_PATTERN, qwenScanner, qwenSplit } from './qwen-split.js';
import { PACKAGE_DIR, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { ReferenceBpe } from './test-util/reference-bpe.test-util.js';
import { isWhiteSpace } from './unicode-classes.js';

const scan = (text: string) => scannedPieces(qwenScanner(1), text);

const regex = onigToJsRegex(QWEN_SPLIT_PATTERN);
const byRegex = (text: string) => [...text.matchAll(regex)].map((m) => m[0]);
const reference = new ReferenceBpe({ added_tokens: [], model: { vocab: {}, merges: [] } });

describe('the hand-written Qwen split scanner', () => {
  it('splits like the translated regex and the reference regex on adversarial strings', () => {
    const cases = [
      '',
      "I'm here, you'RE there; they'Ll go'",
      "'ſ 'ſtest ''s 's",
      '  \t\n\r\n  x  ',
      'a   b\n\n  c \u0085\u0085 d\ufeff e',
      '123abc 4.5 ١٢٣',
      '   ',
      '\n',
      ' !!!\n\n\r\rx',
      '\u3000\u3000字\u00a0\u00a0x',
      '𝐀𝐁 𝟙𝟚 🙂🙂 a🙂',
      'x' + ' '.repeat(10) + '\t',
    ];
    for (const c of cases) {
      expect(scan(c), JSON.stringify(c)).toEqual(byRegex(c));
      expect(scan(c), JSON.stringify(c)).toEqual(reference.words(c));
    }
  });

  it('matches the regex on random strings and on the parity corpus', () => {
    const random = seededRandom(7);
    const texts = randomUnicode(random, 2000, 30);
    const corpus = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'parity-corpus.json'), 'utf8')) as Array<{
      text: string;
    }>;
    for (const e of corpus) texts.push(e.text.normalize('NFC'));
    for (const t of texts) expect(scan(t), JSON.stringify(t)).toEqual(byRegex(t));
  });

  it('treats Unicode White_Space, not JavaScript \\s, as white space', () => {
    expect(isWhiteSpace(0x85)).toBe(true);
    expect(isWhiteSpace(0xfeff)).toBe(false);
    expect(scan('x \ufeffy')).toEqual(['x', ' \ufeff', 'y']);
    expect(scan('x \u0085y')).toEqual(['x', ' ', '\u0085y']);
  });

  it('with 3-digit groups, matches the Llama 3 / cl100k pattern', () => {
    const llama3 = onigToJsRegex(LLAMA3_SPLIT_PATTERN);
    expect(LLAMA3_SPLIT_PATTERN).toContain('\\p{N}{1,3}');
    const texts = [...randomUnicode(seededRandom(9), 1000, 30), '1234567 12 1 ١٢٣٤ 𝟙𝟚𝟛𝟜 x2024y', 'v1.23.456'];
    for (const t of texts) {
      const [ends, n] = qwenSplit(t, 0, t.length, new Int32Array(4), 3);
      const pieces: string[] = [];
      for (let i = 0, a = 0; i < n; a = ends[i], i++) pieces.push(t.slice(a, ends[i]));
      expect(pieces, JSON.stringify(t)).toEqual([...t.matchAll(llama3)].map((m) => m[0]));
    }
  });
});
