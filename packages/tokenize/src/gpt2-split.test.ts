import { describe, expect, it } from 'vitest';
import { gpt2Split, GPT2_SPLIT_PATTERN } from './gpt2-split.js';
import { onigToJsRegex } from './onig-regex.js';
import { scannedPieces } from './test-util/scanner.test-util.js';
import {
  MULTILINGUAL,
  mathTexts,
  numberTexts,
  randomUnicode,
  seededRandom,
  sourceTexts,
} from './test-util/corpus.test-util.js';

const scan = (text: string) => scannedPieces(gpt2Split, text);

const regex = onigToJsRegex(GPT2_SPLIT_PATTERN);
const byRegex = (text: string) => [...text.matchAll(regex)].map((m) => m[0]);

describe('the hand-written GPT-2 split scanner', () => {
  it('splits like the translated regex on adversarial strings', () => {
    const cases = [
      '',
      "I'm here, you'RE there; they'll go' 'S's",
      "'ll'd've 're 'x '",
      '  \t\n\r\n  x  ',
      'a   b\n\n  c \u0085\u0085 d\ufeff e',
      '123abc 4.5 ١٢٣ 12 34',
      '   ',
      '\n',
      ' !!!\n\n\r\rx',
      '\u3000\u3000字\u00a0\u00a0x',
      '𝐀𝐁 𝟙𝟚 🙂🙂 a🙂 ',
      'x' + ' '.repeat(10) + '\t',
      ' a  b   c    ',
      ' 1 ! a',
    ];
    for (const t of cases) expect(scan(t), JSON.stringify(t)).toEqual(byRegex(t));
  });

  it('splits like the regex on math, code, numbers, multilingual and random text', () => {
    const random = seededRandom(17);
    const texts = [
      ...mathTexts(300),
      ...sourceTexts(200_000),
      ...numberTexts(random, 200),
      ...MULTILINGUAL,
      ...randomUnicode(random, 2000),
    ];
    for (const t of texts) expect(scan(t), JSON.stringify(t.slice(0, 40))).toEqual(byRegex(t));
  });

  it('scans a window of a text, and grows the ends buffer', () => {
    const text = 'one two three four five six seven';
    const [ends, n] = gpt2Split(text, 4, 18, new Int32Array(1));
    expect(Array.from(ends.subarray(0, n))).toEqual([7, 13, 18]);
  });
});
