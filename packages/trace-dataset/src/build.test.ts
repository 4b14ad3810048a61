/**
 * buildDataset's argument checks, its length check before labelling (memory
 * follows the context length, not the row), and its progress lines on a pipe.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Tokenizer, type EncodeInput } from '@molrl/tokenize';
import { buildDataset } from './build.js';
import { labelTrace } from './label.js';
import { localTrace } from './test-util/fixtures.test-util.js';

const tok = Tokenizer.qwen3();
const dir = mkdtempSync(join(tmpdir(), 'trace-build-'));
const silent = { progress: { mode: 'silent' as const } };

function jsonl(name: string, rows: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

/** A local trace whose last observation is `size` characters long. */
function hugeTrace(size: number) {
  const t = localTrace(0);
  const last = t.messages[t.messages.length - 1]!;
  const observation = 'Observation:\nExecution logs:\n' + 'row 12345 value 0.5 ok\n'.repeat(Math.ceil(size / 23));
  return { ...t, messages: [...t.messages.slice(0, -1), { ...last, content: [{ type: 'text', text: observation }] }] };
}

describe('buildDataset arguments', () => {
  const path = jsonl('two.jsonl', [localTrace(1), localTrace(2)]);
  it.each([
    ['no tokenizer', { outDir: dir }, /buildDataset: options\.tokenizer must be a @molrl\/tokenize Tokenizer/],
    ['a tokenizer that is not one', { tokenizer: {}, outDir: dir }, /options\.tokenizer must be/],
    ['no outDir', { tokenizer: tok }, /options\.outDir must be a non-empty string, got undefined/],
    [
      'an unknown think mode',
      { tokenizer: tok, outDir: dir, think: 'none' },
      /options\.think must be "clear" or "insert-empty" or "keep"/,
    ],
    [
      'a zero maxLength',
      { tokenizer: tok, outDir: dir, context: { maxLength: 0 } },
      /options\.context\.maxLength must be an integer >= 1, got 0/,
    ],
    [
      'a misspelt option',
      { tokenizer: tok, outDir: dir, sead: 1 },
      /buildDataset: unknown option 'sead' \(did you mean 'seed'\?\); known: tokenizer, outDir, schema, .*seed/,
    ],
    [
      'a misspelt label option',
      { tokenizer: tok, outDir: dir, label: { feedback_roles: ['tool'] } },
      /buildDataset: unknown option 'label\.feedback_roles' \(did you mean 'label\.feedbackRoles'\?\)/,
    ],
    [
      'an unknown overLength',
      { tokenizer: tok, outDir: dir, context: { overLength: 'cut' } },
      /options\.context\.overLength must be/,
    ],
    [
      'an unknown format',
      { tokenizer: tok, outDir: dir, format: 'csv' },
      /options\.format must be "jsonl" or "parquet", got "csv"/,
    ],
    ['a fractional seed', { tokenizer: tok, outDir: dir, seed: 1.5 }, /options\.seed must be a safe integer/],
    [
      'a string split size',
      { tokenizer: tok, outDir: dir, splits: { validation: '5' } },
      /splits\.validation: expected an integer >= 0/,
    ],
    [
      'a string decisionRoles',
      { tokenizer: tok, outDir: dir, schema: { decisionRoles: 'assistant' } },
      /schema\.decisionRoles must be an array/,
    ],
  ])('%s', async (_name, options, message) => {
    await expect(buildDataset(path, { ...silent, ...(options as object) } as never)).rejects.toThrow(message);
  });
  it('names a bad source', async () => {
    await expect(buildDataset(42 as never, { tokenizer: tok, outDir: dir, ...silent })).rejects.toThrow(
      /buildDataset: source must be a path or a Hub source/,
    );
  });
});

describe('over-long rows', () => {
  /**
   * The real tokenizer, recording the longest text it tokenized: the pieces its private
   * `encodeSegmentIds` runs BPE on (what `encode`, `countTokens` and the labelling all end in),
   * and what `encodeWithOffsets` is asked for.
   */
  function watched() {
    let longest = 0;
    // A text, a pair, or (isSplitIntoWords) lists of words: every string in it.
    const see = (input: EncodeInput) =>
      (longest = Math.max(longest, ...[input].flat(2).map((t) => (t as string).length)));
    const offsets = tok.encodeWithOffsets.bind(tok);
    tok.encodeWithOffsets = (text, options) => (see(text), offsets(text, options));
    const inner = tok as unknown as { encodeSegmentIds: (segment: string, ...rest: unknown[]) => void };
    const segments = inner.encodeSegmentIds;
    inner.encodeSegmentIds = function (this: unknown, segment: string, ...rest: unknown[]) {
      see(segment);
      return segments.call(this, segment, ...rest);
    };
    return {
      longest: () => longest,
      restore: () => {
        tok.encodeWithOffsets = offsets;
        inner.encodeSegmentIds = segments;
      },
    };
  }

  it('drops a 5 MB row without tokenizing it', async () => {
    const path = jsonl('huge.jsonl', [localTrace(1), hugeTrace(5_000_000), localTrace(2)]);
    const w = watched();
    try {
      const m = await buildDataset(path, { tokenizer: tok, outDir: join(dir, 'drop'), ...silent });
      expect(m.counts).toMatchObject({ rows: 3, overLengthDropped: 1, kept: 2 });
      expect(w.longest()).toBeLessThan(10_000);
    } finally {
      w.restore();
    }
  });

  it('splits too large for what was kept name the counts the rows became', async () => {
    const path = jsonl('three.jsonl', [localTrace(1), { messages: 'not json' }, localTrace(2)]);
    await expect(
      buildDataset(path, { tokenizer: tok, outDir: join(dir, 'short'), splits: { validation: 2, test: 1 }, ...silent }),
    ).rejects.toThrow(
      'buildDataset: splits: validation (2) and test (1) need 3 traces, have 2 (train takes the rest): ' +
        '2 of 3 rows kept (1 rejected, 0 using external APIs, 0 over maxLength dropped)',
    );
  });

  it('counts the content parts left out for carrying no text (images) in the manifest', async () => {
    // The task message of a trace with a picture before its text.
    const withImage = (i: number) => {
      const t = localTrace(i);
      const task = t.messages[1]!;
      const content = [{ type: 'image', image: 'data:image/png;base64,AAAA' }, ...(task.content as object[])];
      return { ...t, messages: [t.messages[0]!, { ...task, content }, ...t.messages.slice(2)] };
    };
    const path = jsonl('images.jsonl', [withImage(1), withImage(2), localTrace(3)]);
    const m = await buildDataset(path, {
      tokenizer: tok,
      outDir: join(dir, 'images'),
      splits: { train: 'rest', validation: 0, test: 0 },
      ...silent,
    });
    expect(m.counts.kept).toBe(3);
    expect(m.counts.nonTextParts).toEqual({ image: 2 });
  });

  it('truncates a 5 MB row to its first maxLength tokens, tokenizing only those', async () => {
    const path = jsonl('huge-cut.jsonl', [hugeTrace(5_000_000)]);
    const w = watched();
    try {
      const m = await buildDataset(path, {
        tokenizer: tok,
        outDir: join(dir, 'cut'),
        context: { maxLength: 1000, overLength: 'truncate' },
        splits: { train: 'rest', validation: 0, test: 0 },
        ...silent,
      });
      expect(m.counts).toMatchObject({ kept: 1, truncated: 1 });
      expect(m.tokens.all.max).toBe(1000);
      expect(w.longest()).toBeLessThan(20_000);
    } finally {
      w.restore();
    }
  });

  it('truncation keeps exactly the first tokens of the whole labelled trace', () => {
    const messages = hugeTrace(60_000).messages.map((m) => ({
      role: m.role,
      content: (m.content as Array<{ text: string }>).map((p) => p.text).join(''),
    }));
    const full = labelTrace(messages, tok);
    for (const n of [1, 300, 2000, full.ids.length - 1]) {
      const cut = labelTrace(messages, tok, { maxTokens: n });
      expect(cut.ids).toEqual(full.ids.slice(0, n));
      expect(cut.labels).toEqual(full.labels.slice(0, n));
      expect(cut.emptyThink).toEqual(full.emptyThink.slice(0, n));
    }
  });
});

describe('progress on a pipe', () => {
  it('writes a few rate-limited lines, not one per row', async () => {
    const path = jsonl(
      'many.jsonl',
      Array.from({ length: 300 }, (_, i) => localTrace(i % 20)),
    );
    const stream = new PassThrough();
    let out = '';
    stream.on('data', (c: Buffer) => (out += c.toString()));
    await buildDataset(path, {
      tokenizer: tok,
      outDir: join(dir, 'piped'),
      progress: { mode: 'lines', stream: stream as unknown as NodeJS.WriteStream, lineIntervalMs: 60_000 },
    });
    const lines = out.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[lines.length - 1]).toMatch(/^traces: 300\/300 rows/);
  });
});
