/**
 * Evaluate a Generator on suites: every (item, sample) not already in the
 * cache is generated in batches, checked, and appended to the cache at once,
 * with a progress bar and JSONL metrics. Returns the report (pass@1 averaged
 * over samples, unbiased pass@k, MATH by subject and level).
 */
import { createHash } from 'node:crypto';
import { MetricsWriter, startProgress, type ProgressOptions } from '@molrl/progress';
import { validateEvaluateOptions } from './evaluate-options.js';
import { PAPER_PROFILE, type Generator, type SamplingProfile } from './generator.js';
import { mapConcurrent } from './limit.js';
import { SampleCache, sampleKey, type SampleRecord } from './cache.js';
import { buildReport, type EvaluationReport } from './report.js';
import type { EvalItem, EvalSuite } from './suite.js';

export interface EvaluateOptions {
  generator: Generator;
  suites: EvalSuite[];
  /** Default: the paper's profile. */
  profile?: SamplingProfile;
  /** JSONL of every sample and verdict; a rerun with the same file resumes. */
  cachePath?: string;
  /** Prompts per generator call (default 8). */
  batchSize?: number;
  /** Generator calls in flight (default 4). */
  concurrency?: number;
  /** Base seed of the per-sample seeds (default 0). */
  seed?: number;
  /** Check cached completions again (after a grader change) instead of reusing their verdicts. */
  regrade?: boolean;
  progress?: ProgressOptions;
  /** Append one metrics line per finished batch here. */
  metricsPath?: string;
  signal?: AbortSignal;
}

interface Job {
  suite: EvalSuite;
  item: EvalItem;
  itemIndex: number;
  sample: number;
}

function hash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 16);
}

/** A seed per (suite, item, sample), independent of batching and of what the cache already had. */
function sampleSeed(base: number, suite: string, item: string, sample: number): number {
  return parseInt(hash(`${base}\u0000${suite}\u0000${item}\u0000${sample}`).slice(0, 8), 16) >>> 1;
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  validateEvaluateOptions(options);
  const profile = options.profile ?? PAPER_PROFILE;
  const generator = options.generator;
  const batchSize = options.batchSize ?? 8;
  const concurrency = options.concurrency ?? 4;
  const names = new Set<string>();
  for (const s of options.suites) {
    if (names.has(s.name)) throw new Error(`evaluate: two suites are named "${s.name}"`);
    names.add(s.name);
    const ids = new Set<string>();
    for (const it of s.items) {
      if (ids.has(it.id)) throw new Error(`evaluate: suite "${s.name}" has item id "${it.id}" twice`);
      ids.add(it.id);
    }
  }
  const cache = new SampleCache(options.cachePath ?? null);
  const configOf = (item: EvalItem) => hash(JSON.stringify({ profile, prompt: item.prompt }));
  const records = new Map<string, SampleRecord>();
  const jobs: Job[] = [];
  for (const suite of options.suites) {
    suite.items.forEach((item, itemIndex) => {
      for (let sample = 0; sample < suite.samples; sample++) {
        const key = sampleKey({
          suite: suite.name,
          item: item.id,
          sample,
          model: generator.name,
          config: configOf(item),
        });
        const cached = cache.get(key);
        if (cached) records.set(key, cached);
        else jobs.push({ suite, item, itemIndex, sample });
      }
    });
  }
  if (options.regrade) {
    for (const [key, r] of records) {
      const suite = options.suites.find((s) => s.name === r.suite)!;
      const item = suite.items.find((i) => i.id === r.item)!;
      const c = await item.check(r.completion);
      records.set(key, {
        ...r,
        correct: c.correct,
        verdict: c.verdict,
        extracted: c.extracted,
        score: c.score ?? (c.correct ? 1 : 0),
      });
    }
  }
  const total = records.size + jobs.length;
  const progress = startProgress(`eval ${generator.name}`, total, { unit: 'samples', ...options.progress });
  const metrics = options.metricsPath ? new MetricsWriter(options.metricsPath) : null;
  let done = records.size;
  let correct = [...records.values()].filter((r) => r.correct).length;
  progress.update(done, done ? `resumed ${done}` : '');
  const batches: Job[][] = [];
  for (let i = 0; i < jobs.length; i += batchSize) batches.push(jobs.slice(i, i + batchSize));
  try {
    await mapConcurrent(batches, concurrency, async (batch) => {
      options.signal?.throwIfAborted();
      const started = Date.now();
      const completions = await generator.generate(
        batch.map((j) => j.item.prompt),
        {
          ...profile,
          seeds: batch.map((j) => sampleSeed(options.seed ?? 0, j.suite.name, j.item.id, j.sample)),
          ...(options.signal ? { signal: options.signal } : {}),
        },
      );
      if (completions.length !== batch.length) {
        throw new Error(
          `evaluate: generator "${generator.name}" returned ${completions.length} completions for ${batch.length} prompts`,
        );
      }
      const seconds = (Date.now() - started) / 1000;
      for (let k = 0; k < batch.length; k++) {
        const j = batch[k]!;
        const completion = completions[k]!;
        if (typeof completion !== 'string')
          throw new Error(
            `evaluate: generator "${generator.name}" returned a ${typeof completion} for prompt ${k} of a batch`,
          );
        const c = await j.item.check(completion);
        const r: SampleRecord = {
          suite: j.suite.name,
          item: j.item.id,
          sample: j.sample,
          model: generator.name,
          config: configOf(j.item),
          completion,
          extracted: c.extracted,
          verdict: c.verdict,
          correct: c.correct,
          score: c.score ?? (c.correct ? 1 : 0),
          ...(c.detail !== undefined ? { detail: c.detail } : {}),
          seconds: seconds / batch.length,
          time: new Date().toISOString(),
        };
        cache.add(r);
        records.set(sampleKey(r), r);
        done++;
        if (r.correct) correct++;
      }
      progress.update(done, `acc ${((100 * correct) / Math.max(1, done)).toFixed(1)}%`);
      metrics?.write({ model: generator.name, done, total, correct, batch: batch.length, seconds });
    });
  } finally {
    progress.stop();
  }
  return buildReport(generator.name, profile, options.suites, [...records.values()]);
}
