import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from './prng.js';
import { definitions, SamplerPool, type RowRequest } from './sampler-pool.js';
import { sampleToken, type SamplingOptions } from './samplers.js';

describe('SamplerPool', () => {
  const pool = new SamplerPool(3);
  afterAll(() => pool.close());

  it('draws the tokens the calling thread draws, and leaves each generator where it would be', async () => {
    const vocab = 4099;
    const rows = 11;
    const gen = new SeededRandom(2);
    const logits = Float32Array.from({ length: rows * vocab }, () => Math.round((gen.next() - 0.5) * 40) / 4);
    const settings: SamplingOptions[] = [
      { temperature: 0.9 },
      { topP: 0.9, presencePenalty: 1 },
      { topK: 20, topP: 0.95, temperature: 0.6, presencePenalty: 1 },
      { minP: 0.05, repetitionPenalty: 1.3 },
      { topK: 8, frequencyPenalty: 0.4 },
      { temperature: 0 },
    ];
    for (let step = 0; step < 4; step++) {
      const requests: RowRequest[] = [];
      const expected: number[] = [];
      const after: number[][] = [];
      for (let r = 0; r < rows; r++) {
        const options = settings[(r + step) % settings.length]!;
        const ctx = { promptTokens: [r, 2 * r], generatedTokens: [step, r + 7] };
        const rng = new SeededRandom(100 * step + r);
        // the same draw on this thread, from a copy of the generator
        const copy = new SeededRandom(0);
        copy.setState(rng.state());
        expected.push(sampleToken(logits.subarray(r * vocab, (r + 1) * vocab), options, ctx, copy));
        after.push(copy.state());
        requests.push({ row: r, options, ctx, rng });
      }
      // odd steps: the logits already in shared memory (at an offset, as a tensor's dataInto leaves them), not copied
      const inShared = step % 2 === 1;
      let input: Float32Array = logits;
      if (inShared) {
        input = new Float32Array(new SharedArrayBuffer((logits.length + 8) * 4), 32, logits.length);
        input.set(logits);
      }
      const copied = pool.bytesCopied;
      expect(await pool.sample(input, vocab, requests)).toEqual(expected);
      expect(requests.map((q) => q.rng.state())).toEqual(after);
      expect(pool.bytesCopied - copied).toBe(inShared ? 0 : logits.byteLength);
    }
  });

  it('runs overlapping calls one after another, and names bad rows', async () => {
    const vocab = 64;
    const a = Float32Array.from({ length: 4 * vocab }, (_, i) => (i % vocab === 5 ? 9 : 0));
    const b = Float32Array.from({ length: 4 * vocab }, (_, i) => (i % vocab === 17 ? 9 : 0));
    const req = () =>
      [0, 1, 2, 3].map((row) => ({
        row,
        options: { temperature: 0 },
        ctx: { promptTokens: [], generatedTokens: [] },
        rng: new SeededRandom(row),
      }));
    const [ta, tb] = await Promise.all([pool.sample(a, vocab, req()), pool.sample(b, vocab, req())]);
    expect(ta).toEqual([5, 5, 5, 5]);
    expect(tb).toEqual([17, 17, 17, 17]);
    await expect(pool.sample(a, vocab, [{ ...req()[0]!, row: 4 }])).rejects.toThrow(
      /row 4 is outside logits of 4 rows/,
    );
    // A row nothing can be drawn from, on a worker: its error comes back with what is wrong.
    const nan = Float32Array.from(a);
    nan[3 * vocab + 2] = Number.NaN;
    const sampled = req().map((r) => ({ ...r, options: { temperature: 0.8 } }));
    await expect(pool.sample(nan, vocab, sampled)).rejects.toThrow(
      /SamplerPool: RangeError: sampleToken: cannot sample from a row with 1 NaN logit/,
    );
  });

  it('keeps the process alive while a draw is in flight, and lets it exit once idle', async () => {
    // A script whose only pending work is the pool's draw: it must print the tokens and then end by itself.
    const dir = mkdtempSync(join(tmpdir(), 'molrl-pool-'));
    const script = join(dir, 'draw.mts');
    const from = (file: string) => JSON.stringify(new URL(file, import.meta.url).href);
    writeFileSync(
      script,
      `import { SamplerPool } from ${from('./sampler-pool.ts')};
import { SeededRandom } from ${from('./prng.ts')};
const pool = new SamplerPool(2);
const logits = Float32Array.from({ length: 4 * 5000 }, (_, i) => Math.sin(i));
const rows = [0, 1, 2, 3].map((row) => ({
  row,
  options: { temperature: 1 },
  ctx: { promptTokens: [], generatedTokens: [] },
  rng: new SeededRandom(row),
}));
console.log(JSON.stringify(await pool.sample(logits, 5000, rows)));
`,
    );
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
        cwd: new URL('.', import.meta.url),
        timeout: 60_000,
      });
      expect(JSON.parse(stdout)).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('writes each part under the name the code calls it by, a class expression without a name of its own too', () => {
    // as a bundler writes a class (`var Name = class { ... }`): its text alone has no name
    const Counter = class {
      static start = 40;
    };
    function nextOf(): number {
      return Counter.start + 2;
    }
    expect(String(Counter).startsWith('class {')).toBe(true);
    const source = `${definitions([Counter, nextOf])}\nreturn nextOf();`;
    expect(new Function(source)()).toBe(42);
  });
});
