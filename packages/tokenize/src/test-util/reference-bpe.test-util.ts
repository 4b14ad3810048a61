/**
 * A deliberately simple second implementation of the Qwen-style tokenizer.json
 * pipeline, written from the specification and sharing no code with the package:
 * added tokens by plain scanning, NFC with String.prototype.normalize, the split
 * regex hand-translated to a JavaScript regex (with \s spelled out as Unicode
 * White_Space and the (?i) group as letter classes under simple case folding),
 * GPT-2 byte mapping computed from its definition, and BPE by repeatedly merging
 * the lowest-ranked adjacent pair on strings. Slow and obviously correct: it
 * produces the expected ids of the parity corpus.
 */

const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const QWEN_REGEX = new RegExp(
  [
    "'[sS\\u017f]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]",
    '[^\\r\\n\\p{L}\\p{N}]?\\p{L}+',
    '\\p{N}',
    ` ?[^${WS}\\p{L}\\p{N}]+[\\r\\n]*`,
    `[${WS}]*[\\r\\n]+`,
    `[${WS}]+(?![^${WS}])`,
    `[${WS}]+`,
  ].join('|'),
  'gu',
);

/** GPT-2's bytes_to_unicode, as its Python source defines it. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i])]));
}

interface ReferenceJson {
  added_tokens: Array<{ id: number; content: string; special: boolean }>;
  model: { vocab: Record<string, number>; merges: Array<string | [string, string]> };
}

export class ReferenceBpe {
  private readonly vocab: Map<string, number>;
  private readonly ranks = new Map<string, number>();
  private readonly added: Array<{ id: number; content: string; special: boolean }>;
  private readonly byteMap = bytesToUnicode();

  constructor(json: ReferenceJson) {
    this.vocab = new Map(Object.entries(json.model.vocab));
    json.model.merges.forEach((m, i) => {
      const [a, b] = typeof m === 'string' ? m.split(' ') : m;
      this.ranks.set(`${a} ${b}`, i);
    });
    this.added = [...json.added_tokens].sort((x, y) => y.content.length - x.content.length);
  }

  /** Pre-tokenized words of a text without added tokens (after NFC). */
  words(text: string): string[] {
    return [...text.normalize('NFC').matchAll(QWEN_REGEX)].map((m) => m[0]);
  }

  private bpe(word: string): number[] {
    let parts = [...new TextEncoder().encode(word)].map((b) => this.byteMap.get(b)!);
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i + 1 < parts.length; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
    }
    return parts.map((p) => {
      const id = this.vocab.get(p);
      if (id === undefined) throw new Error(`reference: ${JSON.stringify(p)} not in vocab`);
      return id;
    });
  }

  encode(text: string, splitSpecialTokens = false): number[] {
    const ids: number[] = [];
    let pending = '';
    const flush = () => {
      for (const w of this.words(pending)) ids.push(...this.bpe(w));
      pending = '';
    };
    for (let i = 0; i < text.length;) {
      const hit = this.added.find((t) => (!splitSpecialTokens || !t.special) && text.startsWith(t.content, i));
      if (hit) {
        flush();
        ids.push(hit.id);
        i += hit.content.length;
      } else {
        pending += text[i];
        i++;
      }
    }
    flush();
    return ids;
  }
}
