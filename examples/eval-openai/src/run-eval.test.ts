import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parseArgs, runEval } from './run-eval.js';

it('evaluates offline against the gold server and writes the report', async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'eval-openai-'));
  const args = parseArgs(['--limit', '20', '--out', outDir], {});
  const { report, markdown, files } = await runEval({ ...args, quiet: true });
  expect(report.results.map((r) => r.suite)).toEqual(['MATH-500', 'AIME24', 'AIME25']);
  for (const r of report.results) {
    // 80% of the replies carry the gold answer; the grader must see about that.
    expect(r.pass1).toBeGreaterThan(0.5);
    expect(r.pass1).toBeLessThan(1);
  }
  expect(report.results[1]!.samplesPerItem).toBe(3);
  expect(markdown).toContain('| gold-server |');
  expect(JSON.parse(readFileSync(files.json, 'utf8'))[0].model).toBe('gold-server');
  expect(readFileSync(join(outDir, 'samples-gold-server.jsonl'), 'utf8').trim().split('\n')).toHaveLength(
    20 + 2 * 3 * 20,
  );
});

it('checks its arguments', () => {
  expect(() => parseArgs(['--benchmarks', 'gsm8k'], {})).toThrow(/unknown "gsm8k"/);
  expect(() => parseArgs(['--base-url', 'http://x/v1'], {})).toThrow(/--model/);
  expect(parseArgs([], { OPENAI_BASE_URL: 'http://h/v1', OPENAI_MODEL: 'm' })).toMatchObject({
    baseURL: 'http://h/v1',
    model: 'm',
  });
  expect(() => parseArgs(['--limit', '0'], {})).toThrow(/positive integer/);
  expect(() => parseArgs(['--limt', '5'], {})).toThrow(/unknown argument "--limt" \(expected --base-url, /);
  expect(() => parseArgs(['--limit', '5', 'extra'], {})).toThrow(/unknown argument "extra"/);
  expect(() => parseArgs(['--limit', '5', '--limit', '6'], {})).toThrow(/--limit is given twice/);
  expect(parseArgs(['--no-extensions', '--limit', '5'], {})).toMatchObject({ extensions: false, limit: 5 });
  expect(parseArgs([], {}).extensions).toBeUndefined();
});
