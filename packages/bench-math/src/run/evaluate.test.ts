import { mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBuiltin } from '../datasets.js';
import { checkCodeTask, codeAgentSuite } from './code-agent.js';
import { evaluate } from './evaluate.js';
import { PAPER_PROFILE, type GenerateOptions, type Generator, type Prompt } from './generator.js';
import { modelGenerator } from './model-generator.js';
import { openaiGenerator } from './openai-generator.js';
import { renderMarkdown, writeReport } from './report.js';
import { mathSuite, type EvalSuite } from './suite.js';

/**
 * A generator that answers from a lookup of gold answers, correct for a chosen
 * subset, and counts what it was asked: it is the evaluation harness under
 * test here, not a model.
 */
function answeringGenerator(
  gold: Map<string, string>,
  correctFor: (prompt: string, seed: number) => boolean,
  failAfter = Infinity,
): Generator & { asked: number } {
  const g = {
    name: 'oracle',
    asked: 0,
    async generate(prompts: Prompt[], o: GenerateOptions): Promise<string[]> {
      return prompts.map((p, i) => {
        if (g.asked >= failAfter) throw new Error('server went away');
        g.asked++;
        const text = typeof p === 'string' ? p : p[p.length - 1]!.content;
        const answer = gold.get(text)!;
        if (text.includes('Convert the point')) return 'I give up.';
        return correctFor(text, o.seeds![i]!)
          ? `<think>hmm</think>The answer is $\\boxed{${answer}}$.`
          : '$\\boxed{-12345}$';
      });
    },
  };
  return g;
}

describe('evaluate', () => {
  it('scores suites, writes every sample to the cache and resumes an interrupted run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-eval-'));
    const cachePath = join(dir, 'samples.jsonl');
    const math = mathSuite(await loadBuiltin('math500'), { limit: 40 });
    const aime = mathSuite(await loadBuiltin('aime24'), { limit: 10 });
    expect(aime.samples).toBe(3);
    expect(math.samples).toBe(1);
    const gold = new Map<string, string>();
    for (const s of [math, aime]) for (const it of s.items) gold.set(it.prompt as string, it.reference);
    // Correct on even-length prompts for MATH; for AIME on a seed-dependent subset of samples.
    const correctFor = (p: string, seed: number) =>
      p.includes('AIME') || aime.items.some((i) => i.prompt === p) ? seed % 3 !== 0 : p.length % 2 === 0;

    const first = answeringGenerator(gold, correctFor, 25);
    await expect(
      evaluate({
        generator: first,
        suites: [math, aime],
        cachePath,
        batchSize: 5,
        concurrency: 1,
        progress: { mode: 'silent' },
      }),
    ).rejects.toThrow(/server went away/);
    const cachedLines = readFileSync(cachePath, 'utf8').trim().split('\n');
    expect(cachedLines).toHaveLength(25);
    // A torn last line, as after a crash mid-write, is ignored.
    appendFileSync(cachePath, '{"suite":"MATH-5');

    const second = answeringGenerator(gold, correctFor);
    const metricsPath = join(dir, 'metrics.jsonl');
    const report = await evaluate({
      generator: second,
      suites: [math, aime],
      cachePath,
      batchSize: 5,
      concurrency: 2,
      progress: { mode: 'silent' },
      metricsPath,
    });
    expect(second.asked).toBe(40 + 30 - 25);
    const [m, a] = report.results;
    const mathExpected =
      math.items.filter(
        (it) => !(it.prompt as string).includes('Convert the point') && (it.prompt as string).length % 2 === 0,
      ).length / 40;
    expect(m!.pass1).toBeCloseTo(mathExpected, 12);
    expect(m!.noAnswerRate).toBeCloseTo(
      math.items.filter((it) => (it.prompt as string).includes('Convert the point')).length / 40,
      12,
    );
    expect(Object.values(m!.bySubject!).reduce((s, g) => s + g.items, 0)).toBe(40);
    expect(Object.keys(m!.byLevel!).every((k) => /^Level [1-5]$/.test(k))).toBe(true);
    expect(a!.samplesPerItem).toBe(3);
    expect(Object.keys(a!.passAtK)).toEqual(['pass@1', 'pass@2', 'pass@3']);
    expect(a!.passAtK['pass@3']!).toBeGreaterThanOrEqual(a!.pass1);
    expect(readFileSync(metricsPath, 'utf8').trim().split('\n').length).toBeGreaterThan(0);

    // A third run finds everything in the cache.
    const third = answeringGenerator(gold, () => false);
    const again = await evaluate({ generator: third, suites: [math, aime], cachePath, progress: { mode: 'silent' } });
    expect(third.asked).toBe(0);
    expect(again.results[0]!.pass1).toBe(m!.pass1);

    // Changing the profile does not reuse samples made with another.
    const fourth = answeringGenerator(gold, () => true);
    await evaluate({
      generator: fourth,
      suites: [aime],
      cachePath,
      profile: { ...PAPER_PROFILE, temperature: 0 },
      progress: { mode: 'silent' },
    });
    expect(fourth.asked).toBe(30);

    const md = renderMarkdown([report]);
    expect(md).toContain('| Model | MATH-500 | AIME24 |');
    expect(md).toContain(`| oracle | ${(100 * m!.pass1).toFixed(1)} | ${(100 * a!.pass1).toFixed(1)} |`);
    expect(md).toContain('| Subject | items | pass@1 |');
    const paths = await writeReport(join(dir, 'report'), [report]);
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))[0].results[1].suite).toBe('AIME24');
  });

  it('re-checks cached completions with regrade', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-regrade-'));
    const cachePath = join(dir, 'samples.jsonl');
    const suite: EvalSuite = {
      name: 'tiny',
      samples: 1,
      items: [
        {
          id: 'a',
          prompt: 'p',
          reference: '1',
          check: (c) => ({ correct: c === 'yes', verdict: c === 'yes' ? 'correct' : 'incorrect', extracted: c }),
        },
      ],
    };
    const gen: Generator = { name: 'g', generate: async (p) => p.map(() => 'yes') };
    expect(
      (await evaluate({ generator: gen, suites: [suite], cachePath, progress: { mode: 'silent' } })).results[0]!.pass1,
    ).toBe(1);
    const stricter: EvalSuite = {
      ...suite,
      items: [{ ...suite.items[0]!, check: () => ({ correct: false, verdict: 'incorrect', extracted: 'yes' }) }],
    };
    expect(
      (await evaluate({ generator: gen, suites: [stricter], cachePath, progress: { mode: 'silent' } })).results[0]!
        .pass1,
    ).toBe(1);
    expect(
      (await evaluate({ generator: gen, suites: [stricter], cachePath, regrade: true, progress: { mode: 'silent' } }))
        .results[0]!.pass1,
    ).toBe(0);
  });

  it('names a bad cache line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-badcache-'));
    const cachePath = join(dir, 'samples.jsonl');
    writeFileSync(cachePath, 'not json\n{"suite":"x","item":"a","sample":0,"completion":""}\n');
    const gen: Generator = { name: 'g', generate: async (p) => p.map(() => '') };
    const suite: EvalSuite = {
      name: 'x',
      samples: 1,
      items: [
        {
          id: 'a',
          prompt: 'p',
          reference: '1',
          check: () => ({ correct: false, verdict: 'incorrect', extracted: '' }),
        },
      ],
    };
    await expect(evaluate({ generator: gen, suites: [suite], cachePath })).rejects.toThrow(
      /samples\.jsonl, line 1: not valid JSON/,
    );
  });

  describe('argument checks, before anything is generated', () => {
    const item = {
      id: 'a',
      prompt: 'p',
      reference: '1',
      check: () => ({ correct: true, verdict: 'correct' as const, extracted: '1' }),
    };
    const suite: EvalSuite = { name: 's', samples: 1, items: [item] };
    let asked = 0;
    const gen: Generator = {
      name: 'g',
      generate: async (p) => {
        asked += p.length;
        return p.map(() => '1');
      },
    };
    const bad = (patch: Record<string, unknown>) =>
      evaluate({ generator: gen, suites: [suite], progress: { mode: 'silent' }, ...patch } as never);
    it.each([
      [{ suites: [] }, /evaluate: suites is empty/],
      [{ suites: undefined }, /evaluate: suites must be an array of suites, got undefined/],
      [{ suites: [{ ...suite, items: [] }] }, /suites\[0\] \("s"\) has no items/],
      [{ suites: [{ ...suite, samples: '3' }] }, /suites\[0\]\.samples must be an integer >= 1, got "3"/],
      [{ suites: [{ ...suite, samples: undefined }] }, /suites\[0\]\.samples must be an integer >= 1, got null/],
      [{ suites: [{ ...suite, name: '' }] }, /suites\[0\]\.name must be a non-empty string/],
      [
        { suites: [{ ...suite, items: [{ ...item, check: 'yes' }] }] },
        /suites\[0\]\.items\[0\]\.check must be a function/,
      ],
      [
        { suites: [{ ...suite, items: [{ ...item, id: 7 }] }] },
        /suites\[0\]\.items\[0\]\.id must be a non-empty string, got number/,
      ],
      [
        { suites: [{ ...suite, items: [{ ...item, prompt: [{ role: 'robot', content: 'x' }] }] }] },
        /items\[0\]\.prompt\[0\]\.role must be "system", "user" or "assistant", got "robot"/,
      ],
      [{ generator: { name: 'g' } }, /evaluate: generator\.generate must be a function, got undefined/],
      [{ generator: null }, /evaluate: generator must be a Generator/],
      [{ batchSize: 0 }, /evaluate: batchSize must be an integer >= 1, got number/],
      [{ concurrency: 1.5 }, /evaluate: concurrency must be an integer >= 1/],
      [{ seed: Number.NaN }, /evaluate: seed must be a safe integer/],
      [{ cachePath: 5 }, /evaluate: cachePath must be a non-empty string, got number/],
      [{ regrade: 'yes' }, /evaluate: regrade must be a boolean/],
      [{ profile: { ...PAPER_PROFILE, temperature: '0.6' } }, /evaluate: profile: temperature must be >= 0, got 0\.6/],
      [{ profile: { ...PAPER_PROFILE, topP: Number.NaN } }, /topP must be in \(0, 1\], got NaN/],
      [{ batch_size: 4 }, /evaluate: unknown option 'batch_size' \(did you mean 'batchSize'\?\)/],
      [{ cache: 'x.jsonl' }, /evaluate: unknown option 'cache'; known: generator, suites, profile, cachePath/],
      [
        { profile: { ...PAPER_PROFILE, max_tokens: 10 } },
        /evaluate: profile: unknown option 'max_tokens' \(did you mean 'maxTokens'\?\)/,
      ],
    ])('%o', async (patch, message) => {
      await expect(bad(patch)).rejects.toThrow(message);
      expect(asked).toBe(0);
    });
    it('rejects a bad mathSuite limit', async () => {
      const benchmark = await loadBuiltin('aime24');
      expect(() => mathSuite(benchmark, { limit: -1 })).toThrow(/mathSuite: limit must be an integer >= 0, got -1/);
      expect(() => mathSuite(null as never)).toThrow(/mathSuite: expected a Benchmark/);
    });
    it('the suite and generator makers refuse option keys they do not know', async () => {
      const benchmark = await loadBuiltin('aime24');
      expect(() => mathSuite(benchmark, { Limit: 2 } as never)).toThrow(
        "mathSuite: unknown option 'Limit' (did you mean 'limit'?); known: samples, prompt, name, limit",
      );
      expect(() => codeAgentSuite([], {} as never, { timeoutMs: 5 } as never)).toThrow(
        "codeAgentSuite: unknown option 'timeoutMs'; known: reward, result, variable, compare, tolerance, weights, limits, name, samples",
      );
      expect(() => checkCodeTask({} as never, { reward_kind: 'binary' } as never)).toThrow(
        "checkCodeTask: unknown option 'reward_kind'",
      );
      expect(() => openaiGenerator({ baseURL: 'http://x', model: 'm', base_url: 'y' } as never)).toThrow(
        "openaiGenerator: unknown option 'base_url' (did you mean 'baseURL'?)",
      );
      expect(() => modelGenerator({} as never, {} as never, { max_new_tokens: 8 } as never)).toThrow(
        "modelGenerator: unknown option 'max_new_tokens' (did you mean 'maxNewTokens'?)",
      );
    });
  });
});
