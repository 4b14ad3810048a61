import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_DIR, randomUnicode, seededRandom } from './test-util/corpus.test-util.js';
import { ReferenceBpe } from './test-util/reference-bpe.test-util.js';
import { qwen3TokenizerFiles } from './qwen3.js';
import { Tokenizer } from './tokenizer.js';

interface CorpusEntry {
  id: string;
  category: string;
  text: string;
  disagreements?: Array<{ peer: string; note: string }>;
}

const corpus = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'parity-corpus.json'), 'utf8')) as CorpusEntry[];
const expected = JSON.parse(readFileSync(join(PACKAGE_DIR, 'fixtures', 'parity-expected.json'), 'utf8')) as Record<
  string,
  number[]
>;

describe('Qwen3 parity corpus', () => {
  let tok: Tokenizer;
  beforeAll(() => {
    tok = Tokenizer.qwen3();
  });

  it('covers every category the reference must agree on', () => {
    const categories = new Set(corpus.map((e) => e.category));
    for (const c of [
      'math',
      'code',
      'digits',
      'contractions',
      'multilingual',
      'combining',
      'whitespace',
      'specials',
      'chat',
      'long',
      'random',
    ]) {
      expect(categories.has(c), c).toBe(true);
    }
    expect(corpus.length).toBeGreaterThan(200);
    // Every recorded peer disagreement carries an explanation.
    for (const e of corpus) for (const d of e.disagreements ?? []) expect(d.note, e.id).not.toBe('UNEXPLAINED');
  });

  it('encodes every text to the expected ids', () => {
    const failures: string[] = [];
    for (const e of corpus) {
      const ids = tok.encode(e.text);
      if (JSON.stringify(ids) !== JSON.stringify(expected[e.id])) failures.push(e.id);
    }
    expect(failures).toEqual([]);
  });

  it('gives the same ids through encodeWithOffsets and encodeBatch', () => {
    const batch = tok.encodeBatch(corpus.map((e) => e.text));
    corpus.forEach((e, i) => {
      expect(tok.encodeWithOffsets(e.text).ids, e.id).toEqual(expected[e.id]);
      expect(batch[i], e.id).toEqual(expected[e.id]);
    });
  });

  it('round-trips decode(encode(s)) to the NFC form of s', () => {
    for (const e of corpus) {
      expect(tok.decode(tok.encode(e.text)), e.id).toBe(e.text.normalize('NFC'));
    }
  });

  it('gives offsets that cover the text in order and point at each token', () => {
    for (const e of corpus) {
      const enc = tok.encodeWithOffsets(e.text);
      // Starts never go back, and no text is skipped: each token starts at or before the furthest end so far.
      let last = 0;
      let reached = 0;
      enc.offsets.forEach(([a, b], i) => {
        expect(a, `${e.id} token ${i}`).toBeGreaterThanOrEqual(last);
        expect(a, `${e.id} token ${i} leaves a gap`).toBeLessThanOrEqual(reached);
        expect(b).toBeGreaterThanOrEqual(a);
        expect(b).toBeLessThanOrEqual(e.text.length);
        last = a;
        reached = Math.max(reached, b);
      });
      expect(reached, `${e.id}: the tokens end before the text`).toBe(e.text.length);
      if (e.text === e.text.normalize('NFC')) {
        // Tokens made of whole characters decode to exactly the text their offsets point at.
        enc.ids.forEach((id, i) => {
          const piece = tok.decode([id]);
          if (!piece.includes('\ufffd'))
            expect(e.text.slice(enc.offsets[i][0], enc.offsets[i][1]), `${e.id} token ${i}`).toBe(piece);
        });
      }
    }
  });
});

describe('property: random Unicode against the reference implementation', () => {
  it('agrees with the simple reference on 400 random strings and round-trips them', () => {
    const tok = Tokenizer.qwen3();
    const files = qwen3TokenizerFiles();
    const reference = new ReferenceBpe(JSON.parse(files.tokenizerJson));
    // A new seed each run widens coverage over time; it is in every failure message.
    const seed = Date.now() % 100000;
    for (const s of randomUnicode(seededRandom(seed), 400, 60)) {
      const ids = tok.encode(s);
      expect(ids, `seed ${seed}: ${JSON.stringify(s)}`).toEqual(reference.encode(s));
      expect(tok.decode(ids), `seed ${seed}: ${JSON.stringify(s)}`).toBe(s.normalize('NFC'));
    }
  });
});
