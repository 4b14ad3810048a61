/**
 * Qwen3 model benchmarks on the cpu backend, random weights:
 *
 * - train-step: one LoRA training step (forward + backward + AdamW on the
 *   adapter, rank 64 on q/k/v/o/gate/up/down) in tokens/s, for a tiny config and
 *   a Qwen3-0.6B-shaped one; its achieved GFLOP/s and that as a fraction of a
 *   1024^3 matmul measured in the same process.
 * - decode: tokens/s of greedy generation with the KV cache and bf16 weights
 *   (mid and 0.6B shapes, batch 1 to 64), with the 1-minute load average;
 *   batch 1 against the memory-read bound: a plain streaming read of a buffer the
 *   size of the weights (lib/memory-read.ts: a JS loop and a wasm SIMD loop on
 *   one thread, the wasm loop on every core at once; never the backend's
 *   kernels) sets the most tokens/s a weight-streaming decode can reach.
 * - load: peak resident memory of loading a bf16 checkpoint (0.6B shape), in a
 *   child process per storage dtype, as a multiple of the f32 weight size.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/model.bench.ts [--quick] [--cases train,decode,load] [--batches 1,4,8]
 *
 * --quick: a few seconds: the tiny config, and a 2-layer 0.6B-width model for decode and load; writes nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { QWEN3_0_6B, qwen3Config, Qwen3ForCausalLM, randomWeights, weightBytes, type Qwen3Config } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import { AdamW, crossEntropy, matmul, randn, setBackend, tensor, tidy } from '@molrl/tensor';
import { measureMemoryRead, measureMemoryReadThreaded } from './lib/memory-read.js';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const casesArg = args.indexOf('--cases');
const cases = new Set((casesArg >= 0 ? args[casesArg + 1] : 'train,decode,load').split(','));
const batchesArg = args.indexOf('--batches');

const TINY = qwen3Config({
  vocab_size: 4096,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  tie_word_embeddings: true,
  rope_theta: 1e6,
});

/** Qwen3-0.6B's published shape (--quick: two of its layers). */
const QWEN3_0_6B_SHAPE = qwen3Config({ ...QWEN3_0_6B, num_hidden_layers: quick ? 2 : QWEN3_0_6B.num_hidden_layers });

/** Parameters of the linear layers and the LM head (what a token's matmuls touch). */
function matmulParams(c: Qwen3Config): number {
  const h = c.hidden_size;
  const qd = c.num_attention_heads * c.head_dim;
  const kvd = c.num_key_value_heads * c.head_dim;
  const perLayer = h * qd * 2 + h * kvd * 2 + 3 * h * c.intermediate_size;
  return c.num_hidden_layers * perLayer + c.vocab_size * h;
}

/**
 * FLOPs of one LoRA step on `tokens` tokens (one sequence): forward matmuls 2NT,
 * backward input-gradients 2NT (frozen base: no weight gradients), causal
 * attention 2 * 2 * Hq * D * T^2 / 2 forward and twice that backward. The adapter's own FLOPs are small and left out.
 */
function trainStepFlops(c: Qwen3Config, tokens: number): number {
  const linear = 2 * matmulParams(c) * tokens;
  const attention = 2 * c.num_hidden_layers * c.num_attention_heads * c.head_dim * tokens * tokens;
  return 2 * linear + 3 * attention;
}

async function matmulRate(): Promise<number> {
  const n = 1024;
  const a = randn([n, n], { seed: 1 }).keep();
  const b = randn([n, n], { seed: 2 }).keep();
  const run = async () => {
    const c = matmul(a, b);
    await c.data();
    c.dispose();
  };
  await run();
  const bench = new Bench({ time: quick ? 200 : 2000, iterations: 3, warmupIterations: 1 });
  bench.add('matmul 1024', run);
  await bench.run();
  const ms = bench.tasks[0]!.result.state === 'completed' ? bench.tasks[0]!.result.latency.p50 : NaN;
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms / 1000) / 1e9;
}

async function trainStep(
  name: string,
  c: Qwen3Config,
  tokens: number,
  iterations: number,
  rows: ResultRow[],
  matmulGflops: number,
) {
  const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 1 }));
  const lora = applyLora(model, { r: 64, alpha: 128 });
  model.train();
  model.gradientCheckpointingEnable();
  const opt = new AdamW(lora.parameters(), { lr: 1e-4, weightDecay: 0.1 });
  const ids = [Array.from({ length: tokens }, (_, i) => (i * 7919) % c.vocab_size)];
  const targets = tensor(new Int32Array(ids[0].map((t) => (t + 1) % c.vocab_size)), [1, tokens]).keep();
  const step = async () => {
    const loss = tidy(() => crossEntropy(model.module.logits(model.hiddenSync(ids)), targets));
    loss.backward();
    await loss.data();
    loss.dispose();
    opt.step();
    for (const p of lora.parameters()) p.zeroGrad();
  };
  const t0 = performance.now();
  await step();
  const firstMs = performance.now() - t0;
  const bench = new Bench({ time: 0, iterations, warmupIterations: 0, warmup: false });
  bench.add(name, step);
  await bench.run();
  const result = bench.tasks[0]!.result;
  if (result.state !== 'completed') throw new Error(`${name}: benchmark ${result.state}`);
  const ms = result.latency.p50;
  const gflops = trainStepFlops(c, tokens) / (ms / 1000) / 1e9;
  rows.push(
    row({ case: `train-step-lora-${name}`, impl: 'cpu', size: tokens, value: tokens / (ms / 1000), unit: 'tokens/s' }),
    row({ case: `train-step-lora-${name}`, impl: 'cpu', size: tokens, value: gflops, unit: 'GFLOP/s' }),
    row({
      case: `train-step-lora-${name}`,
      impl: 'cpu',
      size: tokens,
      value: gflops / matmulGflops,
      unit: 'fraction of matmul',
    }),
  );
  console.log(
    `train ${name}: ${ms.toFixed(0)} ms/step (first ${firstMs.toFixed(0)} ms), ${(tokens / (ms / 1000)).toFixed(1)} tokens/s, ${gflops.toFixed(2)} GFLOP/s`,
  );
  lora.remove();
  targets.dispose();
  model.dispose();
}

/** The mid shape of benchmarks/vs-torch (hidden 512, 8 layers, vocab 8192). */
const MID = qwen3Config({
  vocab_size: 8192,
  hidden_size: 512,
  intermediate_size: 1536,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 64,
  tie_word_embeddings: true,
  rope_theta: 1e6,
});

/**
 * Greedy decode with the KV cache and bf16 weights (read as stored), at each
 * batch size: tokens/s summed over the batch, after the prefill. Each decode
 * step reads every weight once whatever the batch, so batch 1 is compared
 * with the memory-read bound (one plain streaming read of that many bytes in
 * this process) and larger batches show how far decode scales before compute
 * is the limit.
 */
async function decode(c: Qwen3Config, label: string, batches: number[], newTokens: number, rows: ResultRow[]) {
  const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 2, dtype: 'bfloat16' }));
  const bytes = weightBytes(c, 'bfloat16');
  const read = measureMemoryRead(bytes);
  // The decode splits its weights across the cores, so the bound is the faster of one core's read and all cores' at once.
  const threaded = await measureMemoryReadThreaded(bytes);
  const readRate = Math.max(read.best, threaded.gbPerSecond);
  const bound = (readRate * 1e9) / bytes;
  const prompt = (batch: number) =>
    Array.from({ length: batch }, (_, b) =>
      Array.from({ length: 8 }, (_, t) => ((b * 8 + t) * 31 + 100) % c.vocab_size),
    );
  await model.generate(prompt(1), { maxNewTokens: 2, temperature: 0, stopTokenIds: [] });
  for (const batch of batches) {
    const stamps: number[] = [];
    await model.generate(prompt(batch), {
      maxNewTokens: newTokens,
      temperature: 0,
      stopTokenIds: [],
      onStep: () => stamps.push(performance.now()),
    });
    // The first step is the prefill; the rest are single-token decode steps.
    const perStep = (stamps[stamps.length - 1]! - stamps[0]!) / (stamps.length - 1);
    const rate = (1000 * batch) / perStep;
    rows.push(row({ case: `decode-${label}-bf16`, impl: 'cpu', size: batch, value: rate, unit: 'tokens/s' }));
    if (batch === 1)
      rows.push(
        row({ case: `decode-${label}-bf16`, impl: 'fraction-of-bound', size: 1, value: rate / bound, unit: 'ratio' }),
      );
    console.log(
      `decode ${label} bf16 batch ${batch}: ${rate.toFixed(2)} tokens/s (${(perStep / 1000).toFixed(2)} s/step)` +
        (batch === 1 ? `, ${((100 * rate) / bound).toFixed(0)}% of the bound` : ''),
    );
  }
  rows.push(
    row({ case: `decode-${label}-bf16`, impl: 'bandwidth-bound', size: 1, value: bound, unit: 'tokens/s' }),
    // The machine may be shared: the 1-minute load average at the end of the case, beside its figures.
    row({ case: `decode-${label}-bf16`, impl: 'load-average-1min', size: 1, value: loadavg()[0]!, unit: 'load' }),
    ...(['wasm-simd', 'js-loop'] as const).map((impl) =>
      row({
        case: 'memory-read-bandwidth',
        impl,
        size: Math.round(read.bytes / 2 ** 20),
        value: read.gbPerSecond[impl],
        unit: 'GB/s',
      }),
    ),
    row({
      case: 'memory-read-bandwidth',
      impl: `wasm-simd-${threaded.threads}-threads`,
      size: Math.round(threaded.bytes / 2 ** 20),
      value: threaded.gbPerSecond,
      unit: 'GB/s',
    }),
  );
  console.log(
    `decode ${label}: bound ${bound.toFixed(2)} tokens/s (${(bytes / 1e9).toFixed(2)} GB/token at ${readRate.toFixed(1)} GB/s: ` +
      `one thread ${read.best.toFixed(1)}, ${threaded.threads} threads ${threaded.gbPerSecond.toFixed(1)}); load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  model.dispose();
}

/** Child process: load `dir` with storage `dtype`, print peak RSS growth and backend peak bytes as JSON. */
async function loadChild(dir: string, dtype: 'float32' | 'bfloat16') {
  await setBackend('cpu');
  const rssBefore = process.memoryUsage().rss;
  let sampled = rssBefore;
  const model = await Qwen3ForCausalLM.fromPretrained(dir, {
    dtype,
    progress: false,
    onProgress: () => {
      sampled = Math.max(sampled, process.memoryUsage().rss);
    },
  });
  // VmHWM: this process's own high-water mark (getrusage's maxRSS would include the parent's image from before exec).
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const peakRss = hwm ? Number(hwm[1]) * 1024 : sampled;
  console.log(
    JSON.stringify({
      peakRssGrowth: peakRss - rssBefore,
      rssAfter: process.memoryUsage().rss - rssBefore,
      params: model.parameters().length,
    }),
  );
}

async function load(c: Qwen3Config, rows: ResultRow[]) {
  const dir = mkdtempSync(join(tmpdir(), 'molrl-bench-load-'));
  try {
    const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 3 }));
    await model.savePretrained(dir, { dtype: 'bfloat16' });
    model.dispose();
    const f32Bytes = weightBytes(c, 'float32');
    const label = c.num_hidden_layers === 28 ? 'qwen3-0.6b' : `qwen3-0.6b-width-${c.num_hidden_layers}-layers`;
    for (const dtype of ['float32', 'bfloat16'] as const) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', '--conditions=@molrl/source', fileURLToPath(import.meta.url), '--load-child', dir, dtype],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      );
      const r = JSON.parse(out.trim().split('\n').pop()!) as { peakRssGrowth: number };
      rows.push(
        row({
          case: `load-bf16-checkpoint-${label}`,
          impl: `cpu-${dtype}-storage`,
          size: Math.round(f32Bytes / 2 ** 20),
          value: r.peakRssGrowth / 2 ** 20,
          unit: 'MiB peak',
        }),
        row({
          case: `load-bf16-checkpoint-${label}`,
          impl: `cpu-${dtype}-storage`,
          size: Math.round(f32Bytes / 2 ** 20),
          value: r.peakRssGrowth / f32Bytes,
          unit: 'x f32 size',
        }),
      );
      console.log(
        `load bf16 -> ${dtype}: peak RSS growth ${(r.peakRssGrowth / 2 ** 20).toFixed(0)} MiB = ${(r.peakRssGrowth / f32Bytes).toFixed(2)} x the f32 size`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const childAt = args.indexOf('--load-child');
  if (childAt >= 0) return loadChild(args[childAt + 1]!, args[childAt + 2] as 'float32' | 'bfloat16');
  await setBackend('cpu');
  const rows: ResultRow[] = [];
  if (cases.has('train')) {
    const rate = await matmulRate();
    rows.push(row({ case: 'matmul-f32', impl: 'cpu', size: 1024, value: rate, unit: 'GFLOP/s' }));
    console.log(`matmul 1024: ${rate.toFixed(2)} GFLOP/s`);
    await trainStep('tiny', TINY, 256, quick ? 2 : 5, rows, rate);
    if (!quick) await trainStep('qwen3-0.6b', QWEN3_0_6B_SHAPE, 128, 2, rows, rate);
  }
  if (cases.has('decode')) {
    const batches =
      batchesArg >= 0 ? args[batchesArg + 1]!.split(',').map(Number) : quick ? [1, 4] : [1, 4, 8, 16, 32, 64];
    await decode(MID, 'mid', batches, quick ? 4 : 9, rows);
    const label = quick ? 'qwen3-0.6b-width-2-layers' : 'qwen3-0.6b';
    await decode(QWEN3_0_6B_SHAPE, label, batches, quick ? 3 : 4, rows);
  }
  if (cases.has('load')) await load(QWEN3_0_6B_SHAPE, rows);
  console.log('');
  printTable(rows);
  // A --quick run's two-layer shapes would replace the committed rows of the same cases.
  if (!quick) console.log(`\nwrote ${writeResults('model', rows)}`);
}

await main();
