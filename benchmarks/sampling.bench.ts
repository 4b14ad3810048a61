/**
 * One decode step's sampling at a Qwen3 vocabulary (151,936), with the
 * paper's evaluation settings (temperature 0.6, top-p 0.95, top-k 20, presence
 * penalty 1; 32 tokens generated so far per row), for 1, 16 and 64 rows:
 *
 * - `<backend>-full-row`: the [rows, V] logits read to the host and
 *   `sampleToken` run on each row (what generation does without `selectTopK`);
 * - `<backend>-candidates`: generation's top-k path, the model package's
 *   `planCandidates` / `selectCandidates` / `drawFromCandidates`: `selectTopK`
 *   (k = 20 + the penalised tokens, ties included) and a gather of the
 *   penalised tokens' logits on the backend, a few numbers per row read,
 *   `sampleFromCandidates` on them (the same tokens as the full row, tested);
 * - `torch-transformers`: PyTorch on the same shape, transformers' logits
 *   processors (TopK, TopP warpers), softmax and `torch.multinomial` (run with
 *   `/usr/bin/python3`, 2 threads; `sampling/torch_sampling.py`).
 *
 * `sample-step-qwen3-vocab-long` is the same step 30,720 tokens into each
 * row's answer (the paper's budget; a few thousand distinct tokens, each one
 * penalised, so the selection holds k = 20 + those): `<backend>-candidates`
 * with the `TokenCounter` generate keeps per row, `<backend>-candidates-uncounted`
 * counting the generated arrays at each step (what the penalties did before),
 * PyTorch with the same 30,720 generated ids.
 *
 * `sample-step-qwen3-vocab-temperature` is GRPO's rollout setting (temperature
 * 0.9 alone, no top-k: the logits come to the host): `<backend>-full-row` on
 * the calling thread, `<backend>-full-row-pool<N>` with the process's sampler
 * pool (N workers beside it), and PyTorch's softmax and multinomial.
 *
 * Backends: cpu, and webgpu where an adapter answers (here lavapipe, a CPU
 * Vulkan driver: its rows carry the adapter's name as the machine). Each row is
 * the median ms per step; `read-bytes` rows give the bytes read back per step.
 * Both paths draw the same tokens (checked before timing).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/sampling.bench.ts [--quick] [--backends cpu,webgpu] [--rows 1,16,64] [--no-torch]
 *
 * --quick: 16 rows on cpu, a few rounds, writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import type { Backend } from '@molrl/gpu-backend';
import {
  drawFromCandidates,
  planCandidates,
  sampleToken,
  selectCandidates,
  SeededRandom,
  sharedSamplerPool,
  TokenCounter,
  type SamplerPool,
  type SamplingContext,
  type SamplingOptions,
} from '@molrl/model';
import { dispose, setBackend, tensor, tidy, type Tensor } from '@molrl/tensor';
import { backendMachine, printTable, row, writeResults, type ResultRow } from './lib/results.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const argOf = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const backends = argOf('--backends', quick ? 'cpu' : 'cpu,webgpu').split(',');
const torchSide = !args.includes('--no-torch');
const rowCounts = argOf('--rows', quick ? '16' : '1,16,64')
  .split(',')
  .map(Number);
const VOCAB = 151_936;
const GENERATED = 32;
/** The paper's evaluation budget of new tokens: a step's penalties near the end of a long answer. */
const LONG_GENERATED = 30_720;
const OPTIONS: SamplingOptions = { temperature: 0.6, topP: 0.95, topK: 20, presencePenalty: 1 };
/** GRPO's rollout sampling (TRL's defaults: no top-k, top-p 1): temperature alone. */
const ROLLOUT: SamplingOptions = { temperature: 0.9 };
const TORCH_SCRIPT = fileURLToPath(new URL('./sampling/torch_sampling.py', import.meta.url));

/** Logits like a model's: normal with scale 3, seeded. */
function randomLogits(rows: number, seed: number): Float32Array {
  const rng = new SeededRandom(seed);
  const out = new Float32Array(rows * VOCAB);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng.next())) * 3;
    const a = 2 * Math.PI * rng.next();
    out[i] = r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}

interface Step {
  /** The tokens of one step, one per row (fresh generators per call, so every call draws alike). */
  run(): Promise<number[]>;
  bytesRead: number;
}

function contexts(rows: number): SamplingContext[] {
  return Array.from({ length: rows }, (_, r) => ({
    promptTokens: [],
    generatedTokens: Array.from({ length: GENERATED }, (_, i) => (r * 7919 + i * 104_729) % VOCAB),
  }));
}

/**
 * Rows `LONG_GENERATED` tokens into their answers, drawn with a skew toward a few
 * thousand distinct tokens as text has; `counted`: with the `TokenCounter` that
 * generate keeps per row (else the penalties count the arrays at each step).
 */
function longContexts(rows: number, counted: boolean): SamplingContext[] {
  return Array.from({ length: rows }, (_, r) => {
    const rng = new SeededRandom(1000 + r);
    const generatedTokens = Array.from(
      { length: LONG_GENERATED },
      () => (r * 7919 + Math.floor(6000 * rng.next() ** 2) * 37) % VOCAB,
    );
    const promptTokens = generatedTokens.slice(0, 200);
    return counted
      ? { promptTokens, generatedTokens, counts: new TokenCounter(promptTokens, generatedTokens) }
      : { promptTokens, generatedTokens };
  });
}

/** The logits read to the host and each row sampled there: on this thread, or with the process's worker pool too. */
function fullRowStep(logits: Tensor, rows: number, options: SamplingOptions, pool: SamplerPool | null): Step {
  const ctxs = contexts(rows);
  // As generate does with the pool: the logits read straight into shared memory the workers read.
  const shared = new Float32Array(new SharedArrayBuffer(rows * VOCAB * 4));
  return {
    bytesRead: rows * VOCAB * 4,
    async run() {
      if (pool)
        return pool.sample(
          await logits.dataInto(shared),
          VOCAB,
          ctxs.map((ctx, r) => ({ row: r, options, ctx, rng: new SeededRandom(r) })),
        );
      const data = await logits.data();
      return ctxs.map((ctx, r) =>
        sampleToken(data.subarray(r * VOCAB, (r + 1) * VOCAB), options, ctx, new SeededRandom(r)),
      );
    },
  };
}

/** What generation runs with top-k: the backend selects, a few numbers per row are read, the host draws. */
function candidateStep(logits: Tensor, ctxs: SamplingContext[]): Step {
  const plan = planCandidates(OPTIONS, ctxs, VOCAB);
  return {
    bytesRead: ctxs.length * (plan.capacity * 8 + 4 + plan.widest * 4),
    async run() {
      // The plan is made each step, as generate makes it (the tokens it names grow with the answer).
      const stepPlan = planCandidates(OPTIONS, ctxs, VOCAB);
      const selected = tidy(() => selectCandidates(logits, stepPlan));
      try {
        const drawn = await drawFromCandidates(
          selected,
          stepPlan,
          OPTIONS,
          ctxs.map((ctx, r) => ({ ctx, rng: new SeededRandom(r) })),
        );
        if (!drawn) throw new Error("a row's candidates overflowed their slots");
        return drawn;
      } finally {
        dispose(selected);
      }
    },
  };
}

async function median(name: string, fn: () => Promise<unknown>): Promise<number> {
  const bench = new Bench({ iterations: quick ? 3 : 12, warmupIterations: 2, time: 0 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`${name}: ${JSON.stringify(result)}`);
  return result.latency.p50;
}

const rows: ResultRow[] = [];
console.log(`load average at start: ${loadavg()[0]!.toFixed(2)}`);
for (const name of backends) {
  let backend: Backend;
  try {
    backend = await setBackend(name);
  } catch (e) {
    console.log(`${name}: not available here (${(e as Error).message.split('\n')[0]}); skipped`);
    continue;
  }
  const machine = backendMachine(backend);
  const pool = sharedSamplerPool();
  for (const n of rowCounts) {
    const logits = tensor(randomLogits(n, n), [n, VOCAB]);
    const cases: [string, SamplingOptions, [string, Step][]][] = [
      [
        'sample-step-qwen3-vocab',
        OPTIONS,
        [
          [`${name}-full-row`, fullRowStep(logits, n, OPTIONS, null)],
          [`${name}-candidates`, candidateStep(logits, contexts(n))],
        ],
      ],
      [
        'sample-step-qwen3-vocab-long',
        OPTIONS,
        [
          [`${name}-candidates`, candidateStep(logits, longContexts(n, true))],
          [`${name}-candidates-uncounted`, candidateStep(logits, longContexts(n, false))],
        ],
      ],
      [
        'sample-step-qwen3-vocab-temperature',
        ROLLOUT,
        [
          [`${name}-full-row`, fullRowStep(logits, n, ROLLOUT, null)],
          ...(pool
            ? ([[`${name}-full-row-pool${pool.threads}`, fullRowStep(logits, n, ROLLOUT, pool)]] as [string, Step][])
            : []),
        ],
      ],
    ];
    for (const [caseName, , steps] of cases) {
      const drawn = await Promise.all(steps.map(([, step]) => step.run()));
      if (drawn.some((t) => t.join() !== drawn[0]!.join()))
        throw new Error(`${name}, ${caseName}, ${n} rows: the paths drew different tokens`);
      for (const [impl, step] of steps) {
        const ms = await median(`${caseName} ${impl} ${n}`, () => step.run());
        rows.push(row({ case: caseName, impl, size: n, value: ms, unit: 'ms', machine }));
        if (caseName === 'sample-step-qwen3-vocab')
          rows.push(row({ case: 'read-bytes', impl, size: n, value: step.bytesRead / 1e6, unit: 'MB', machine }));
      }
    }
    logits.dispose();
  }
  await backend.dispose();
}
for (const [caseName, mode, generated] of [
  ['sample-step-qwen3-vocab', 'eval', GENERATED],
  ['sample-step-qwen3-vocab-long', 'eval', LONG_GENERATED],
  ['sample-step-qwen3-vocab-temperature', 'temperature', GENERATED],
] as const) {
  for (const n of torchSide ? rowCounts : []) {
    try {
      const rounds = String(quick ? 3 : 12);
      const argv = [TORCH_SCRIPT, '--rows', String(n), '--vocab', String(VOCAB), '--rounds', rounds, '--threads', '2'];
      argv.push('--generated', String(generated));
      const out = execFileSync('/usr/bin/python3', [...argv, '--mode', mode], { encoding: 'utf8' });
      const { ms, torch } = JSON.parse(out.trim().split('\n').pop()!) as { ms: number; torch: string };
      console.log(`torch ${torch}, ${caseName}, ${n} rows: ${ms.toFixed(2)} ms`);
      rows.push(row({ case: caseName, impl: 'torch-transformers', size: n, value: ms, unit: 'ms' }));
    } catch (e) {
      console.log(`torch side skipped: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
console.log(`load average at end: ${loadavg()[0]!.toFixed(2)}`);
printTable(rows);
if (!quick) console.log(`wrote ${writeResults('sampling', rows)}`);
