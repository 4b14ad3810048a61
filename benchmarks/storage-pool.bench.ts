/**
 * The cpu backend's storage pool under micro-batches of varying length, as
 * GRPO and MoL make them (each padded to its own longest sequence): LoRA
 * training steps (forward, cross-entropy, backward, AdamW on the adapter) of
 * the pipeline's embedded default model, 8 rows of a length drawn from
 * 128-192 tokens per step (one seeded sequence, the same for every variant),
 * with the pool's slack at its default (1: a free array up to twice a
 * request's length serves it), at 0.25 and 0 (exact lengths only), and with no
 * pool (`poolBytes: 0`).
 *
 * - `train-step-variable-length` (ms): the median step of each variant.
 * - `fresh-host-bytes-per-step` (MB): host arrays the step allocated new
 *   (`memory().freshBytes`: not served from the pool), the mean over the timed
 *   steps.
 *
 * Rounds alternate the variants (a fresh backend and model each time), so a
 * machine that slows down during the run slows every variant alike; a first
 * round of every variant is not counted (JIT, the GEMM's set-up).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/storage-pool.bench.ts [--quick]
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import type { CpuBackendOptions } from '@molrl/gpu-backend';
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM } from '@molrl/model';
import { mulberry32 } from '@molrl/seeded-random';
import { AdamW, crossEntropy, getBackend, setBackend, tensor, tidy } from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { median } from './lib/stats.js';

const quick = process.argv.includes('--quick');
const rounds = quick ? 1 : 3;
const stepsPerRound = quick ? 6 : 16;
const ROWS = 8;
const MIN_LENGTH = 128;
const MAX_LENGTH = 192;

const DEFAULT_MODEL = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'pipeline', 'default-model');

const VARIANTS: { impl: string; options: CpuBackendOptions }[] = [
  { impl: 'pool-slack-1 (default)', options: {} },
  { impl: 'pool-slack-0.25', options: { poolSlack: 0.25 } },
  { impl: 'pool-slack-0', options: { poolSlack: 0 } },
  { impl: 'no-pool', options: { poolBytes: 0 } },
];

/** The step lengths, one seeded sequence for every variant (a warm-up step first). */
const random = mulberry32(7);
const lengths = Array.from(
  { length: stepsPerRound + 1 },
  () => MIN_LENGTH + Math.floor(random() * (MAX_LENGTH - MIN_LENGTH + 1)),
);

interface Sample {
  ms: number[];
  freshBytes: number[];
}

/** Time `fn` and the host bytes the backend allocated new during it (`memory().freshBytes`). */
async function measured(fn: () => Promise<void>, sample: Sample): Promise<void> {
  const before = getBackend().memory().freshBytes ?? NaN;
  const t0 = performance.now();
  await fn();
  sample.ms.push(performance.now() - t0);
  sample.freshBytes.push((getBackend().memory().freshBytes ?? NaN) - before);
}

async function round(options: CpuBackendOptions, sample: Sample): Promise<void> {
  await setBackend('cpu', options);
  const model = await Qwen3ForCausalLM.fromPretrained(DEFAULT_MODEL);
  const lora = applyLora(model, { r: 8, alpha: 16, dropout: 0.05 });
  model.train();
  const opt = new AdamW(lora.parameters(), { lr: 1e-3 });
  const vocab = model.config.vocab_size;
  let at = 0;
  const step = async () => {
    const length = lengths[at++ % lengths.length]!;
    const ids = Array.from({ length: ROWS }, (_, r) => Array.from({ length }, (_, t) => (r * 131 + t * 17) % vocab));
    const targets = tensor(new Int32Array(ids.flat().map((t) => (t + 1) % vocab)), [ROWS, length]);
    const loss = tidy(() => crossEntropy(model.module.logits(model.hiddenSync(ids)), targets));
    loss.backward();
    await loss.data();
    loss.dispose();
    targets.dispose();
    opt.step();
    for (const p of lora.parameters()) p.zeroGrad();
  };
  await step(); // warm-up: the first step fills the pool
  const bench = new Bench({ time: 0, iterations: stepsPerRound, warmupIterations: 0, warmup: false });
  bench.add('step', () => measured(step, sample));
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`storage-pool bench: ${result.state}`);
  lora.remove();
  model.dispose();
}

const samples = new Map(VARIANTS.map((v) => [v.impl, { ms: [], freshBytes: [] } as Sample]));
// A round not counted first: the JIT and the GEMM's set-up would otherwise fall on the first variant.
for (const v of VARIANTS) await round(v.options, { ms: [], freshBytes: [] });
for (let r = 0; r < rounds; r++) for (const v of VARIANTS) await round(v.options, samples.get(v.impl)!);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows: ResultRow[] = [];
const size = ROWS * MAX_LENGTH;
for (const v of VARIANTS) {
  const s = samples.get(v.impl)!;
  rows.push(
    row({ case: 'train-step-variable-length', impl: v.impl, size, value: median(s.ms), unit: 'ms' }),
    row({ case: 'fresh-host-bytes-per-step', impl: v.impl, size, value: mean(s.freshBytes) / 1e6, unit: 'MB' }),
  );
}
printTable(rows);
if (!quick) console.log(`wrote ${writeResults('storage-pool', rows)}`);
