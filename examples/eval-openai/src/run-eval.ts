/**
 * Evaluate an OpenAI-compatible endpoint on the shipped benchmarks and write
 * the paper-shaped report. Without a base URL, an in-process server answering
 * from the gold data stands in, so the whole path runs offline.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BUILTIN_BENCHMARKS,
  PAPER_PROFILE,
  evaluate,
  loadBuiltin,
  mathSuite,
  openaiGenerator,
  renderMarkdown,
  writeReport,
  type BuiltinBenchmark,
  type EvaluationReport,
} from '@molrl/bench-math';
import { startGoldServer } from './gold-server.js';

export interface EvalArgs {
  baseURL?: string;
  model?: string;
  apiKey?: string;
  benchmarks: BuiltinBenchmark[];
  /** Only the first n problems of each benchmark. */
  limit?: number;
  /** Max tokens per completion (default: the paper's 30,720). */
  maxTokens?: number;
  concurrency: number;
  outDir: string;
  quiet?: boolean;
  /**
   * Send vLLM/SGLang's `top_k` and `chat_template_kwargs` in the request body
   * (default true); false for servers that refuse unknown fields (OpenAI's own).
   */
  extensions?: boolean;
}

/** The flags `parseArgs` reads, each followed by its value (`--no-extensions` stands alone). */
const VALUE_FLAGS = [
  '--base-url',
  '--model',
  '--api-key',
  '--benchmarks',
  '--limit',
  '--max-tokens',
  '--concurrency',
  '--out',
];

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): EvalArgs {
  // A mistyped flag (`--limt 5`) must not start the whole evaluation against a paid server.
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-extensions') continue;
    if (!VALUE_FLAGS.includes(a))
      throw new Error(`unknown argument "${a}" (expected ${[...VALUE_FLAGS, '--no-extensions'].join(', ')})`);
    if (argv.indexOf(a) !== i) throw new Error(`${a} is given twice`);
    i++;
  }
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${v}"`);
    return n;
  };
  const benchmarks = (value('--benchmarks') ?? 'math500,aime24,aime25').split(',').map((b) => b.trim());
  for (const b of benchmarks) {
    if (!(BUILTIN_BENCHMARKS as readonly string[]).includes(b))
      throw new Error(`--benchmarks: unknown "${b}" (expected ${BUILTIN_BENCHMARKS.join(', ')})`);
  }
  const baseURL = value('--base-url') ?? env.OPENAI_BASE_URL;
  const model = value('--model') ?? env.OPENAI_MODEL;
  if (baseURL && !model) throw new Error('--model (or OPENAI_MODEL) is required with --base-url');
  return {
    ...(baseURL ? { baseURL } : {}),
    ...(model ? { model } : {}),
    ...((value('--api-key') ?? env.OPENAI_API_KEY) ? { apiKey: (value('--api-key') ?? env.OPENAI_API_KEY)! } : {}),
    benchmarks: benchmarks as BuiltinBenchmark[],
    ...(int('--limit', value('--limit')) ? { limit: int('--limit', value('--limit'))! } : {}),
    ...(int('--max-tokens', value('--max-tokens')) ? { maxTokens: int('--max-tokens', value('--max-tokens'))! } : {}),
    concurrency: int('--concurrency', value('--concurrency')) ?? 16,
    outDir: resolve(value('--out') ?? 'eval-out'),
    ...(argv.includes('--no-extensions') ? { extensions: false } : {}),
  };
}

export async function runEval(
  args: EvalArgs,
): Promise<{ report: EvaluationReport; markdown: string; files: { markdown: string; json: string } }> {
  const benchmarks = await Promise.all(args.benchmarks.map((b) => loadBuiltin(b)));
  const suites = benchmarks.map((b) => mathSuite(b, args.limit !== undefined ? { limit: args.limit } : {}));
  const local = args.baseURL ? null : await startGoldServer(benchmarks.flatMap((b) => b.problems));
  try {
    const baseURL = args.baseURL ?? local!.url;
    const model = args.model ?? 'gold-server';
    if (!args.quiet)
      console.log(
        local
          ? `no --base-url: answering from the gold data at ${baseURL} (80% right by design)`
          : `evaluating ${model} at ${baseURL}`,
      );
    const generator = openaiGenerator({
      baseURL,
      model,
      concurrency: args.concurrency,
      ...(args.apiKey ? { apiKey: args.apiKey } : {}),
      ...(args.extensions === false ? { extensions: false } : {}),
    });
    mkdirSync(args.outDir, { recursive: true });
    const report = await evaluate({
      generator,
      suites,
      profile: { ...PAPER_PROFILE, ...(args.maxTokens ? { maxTokens: args.maxTokens } : {}) },
      cachePath: join(args.outDir, `samples-${model.replace(/[^\w.-]+/g, '_')}.jsonl`),
      metricsPath: join(args.outDir, 'metrics.jsonl'),
      batchSize: args.concurrency,
      concurrency: 1,
      ...(args.quiet ? { progress: { mode: 'silent' as const } } : {}),
    });
    const files = await writeReport(join(args.outDir, 'report'), [report]);
    return { report, markdown: renderMarkdown([report]), files };
  } finally {
    await local?.close();
  }
}
