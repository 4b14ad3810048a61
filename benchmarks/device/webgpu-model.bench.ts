/**
 * The whole model on one backend (webgpu by default), at Qwen3-0.6B and Qwen3-8B
 * shapes with random bfloat16 weights: a LoRA MoL training step (tokens/s and
 * peak device memory beside `molStepMemory`'s prediction), decoding at batch 1
 * and 64 (tokens/s), and a GRPO step split into rollout / reward / update. Each
 * speed has a row of the fp32 roofline of the same work beside it (`roofline-*`:
 * the rate the device's fp32 peak, or its memory bandwidth for decoding, allows),
 * so a row reads as a fraction of what the chip could do. The two bounds come
 * from `--peak-tflops` and `--hbm-tbs`: webgpu-h100.sh passes the ones
 * `webgpu-bounds.bench.ts` measured on the same device (an FMA loop, a streaming
 * read); without them, the H100/H200 SXM spec-sheet figures stand in.
 * Decoding is greedy: the device picks each row's token and a step reads one id per row;
 * `decode-b<batch>-topk` rows sample as the paper evaluates (top-k 20, top-p 0.95,
 * presence penalty 1): the device selects each row's top-k candidates and a step
 * reads those.
 * Decoding also has a `decode-b<batch>-host` row: the tokens/s were the device
 * instant (its time less the waits on device reads), with the kernel launches per
 * step printed: where it is close to the measured rate, the host bounds decoding.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/device/webgpu-model.bench.ts \
 *     [--smoke] [--shapes 0.6b,8b] [--backend webgpu] [--seq 1024] [--peak-tflops 67] [--hbm-tbs 4.8]
 *
 * `--smoke` runs a tiny model with the same code (a dry run on lavapipe); its rows
 * are printed, not written. The reward of the GRPO step is a plain function of the
 * completion (random weights write no code for a sandbox to run): its time is the
 * reward pipeline's own, the rollout and update are the device's work.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GrpoTrainer, type GrpoStepMetrics, type TextCodec } from '@molrl/grpo';
import { applyLora } from '@molrl/lora';
import { QWEN3_0_6B, QWEN3_8B, Qwen3ForCausalLM, qwen3Config, randomWeights, type Qwen3Config } from '@molrl/model';
import { MolTrainer, molStepMemory, type MemoryModelShape, type TrainingRow } from '@molrl/mol-loss';
import { getBackend, setBackend } from '@molrl/tensor';
import { backendMachine, printTable, row, writeResults, type ResultRow } from '../lib/results.js';
import { printKernelProfiles } from '../lib/kernel-profile.js';
import { flagValue } from '../lib/args.js';

function positive(name: string, fallback: number): number {
  const v = Number(flagValue(name) ?? fallback);
  if (!(v > 0)) throw new Error(`${name}: expected a positive number, got ${flagValue(name)}`);
  return v;
}

const smoke = process.argv.includes('--smoke');
const backendName = flagValue('--backend') ?? 'webgpu';
const peakFlops = positive('--peak-tflops', 67) * 1e12; // spec-sheet default: H100/H200 SXM plain fp32
const hbmBytes = positive('--hbm-tbs', 4.8) * 1e12; // spec-sheet default: H200 HBM3e

interface Plan {
  name: string;
  shape: MemoryModelShape;
  /** Tokens of the MoL micro-batch (one sequence). */
  seq: number;
  steps: number;
  decodeTokens: number;
  decodeBatches: number[];
  grpo: { generations: number; prompts: number; length: number };
}

const SHAPES: Record<string, Omit<Plan, 'seq'> & { seq: number }> = {
  '0.6b': {
    name: 'qwen3-0.6b',
    shape: QWEN3_0_6B,
    seq: 1024,
    steps: 3,
    decodeTokens: 32,
    decodeBatches: [1, 64],
    grpo: { generations: 8, prompts: 2, length: 64 },
  },
  '8b': {
    name: 'qwen3-8b',
    shape: QWEN3_8B,
    seq: 1024,
    steps: 2,
    decodeTokens: 16,
    decodeBatches: [1, 64],
    grpo: { generations: 4, prompts: 1, length: 32 },
  },
  smoke: {
    name: 'smoke',
    shape: {
      vocab_size: 512,
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      tie_word_embeddings: true,
    },
    seq: 32,
    steps: 1,
    decodeTokens: 3,
    decodeBatches: [1, 4],
    grpo: { generations: 2, prompts: 1, length: 3 },
  },
};

const plans: Plan[] = (smoke ? ['smoke'] : (flagValue('--shapes') ?? '0.6b,8b').split(',')).map((key) => {
  const p = SHAPES[key];
  if (!p) throw new Error(`--shapes: unknown shape '${key}' (0.6b, 8b)`);
  return { ...p, seq: smoke ? p.seq : positive('--seq', p.seq) };
});

/** Parameters that multiply a token's vector: every block's linears and the LM head. */
function linearParams(s: MemoryModelShape): { blocks: number; head: number } {
  const H = s.hidden_size;
  const q = s.num_attention_heads * s.head_dim;
  const kv = s.num_key_value_heads * s.head_dim;
  const block = H * q + 2 * H * kv + q * H + 3 * H * s.intermediate_size;
  return { blocks: s.num_hidden_layers * block, head: s.vocab_size * H };
}

/** Attention FLOPs of one token's forward over a causal context of `seq` (the mean half). */
function attentionFlops(s: MemoryModelShape, seq: number): number {
  return s.num_hidden_layers * 2 * 2 * s.num_attention_heads * s.head_dim * (seq / 2);
}

/**
 * FLOPs per token of a LoRA MoL step with checkpointing: the forward, the blocks'
 * forward again in the backward, and the backward through frozen weights (input
 * gradients only, 1x the forward for linears; 2.5x for attention, which recomputes
 * its scores). The adapter's own products are under 3% at rank 64 and left out.
 */
function molStepFlopsPerToken(s: MemoryModelShape, seq: number): number {
  const { blocks, head } = linearParams(s);
  return 2 * (blocks + head) + 2 * blocks + 2 * (blocks + head) + (1 + 1 + 2.5) * attentionFlops(s, seq);
}

const byteCodec = (eos: number): TextCodec => ({
  encode: (text) => [...new TextEncoder().encode(text)],
  decode: (ids) => ids.map((id) => (id < 128 ? String.fromCharCode(id) : id === eos ? '' : '~')).join(''),
});

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

type Backend = ReturnType<typeof getBackend>;

/**
 * Count the kernels run and time the waits on device reads until stop(): what a
 * decode step costs the host is its time minus those waits.
 */
function countLaunches(b: Backend): { runs: number; readMs: number; stop(): void } {
  const counter = { runs: 0, readMs: 0, stop: () => undefined as void };
  const run = b.run;
  const read = b.read;
  b.run = function (this: Backend, ...args: Parameters<Backend['run']>) {
    counter.runs++;
    return run.apply(this, args);
  } as Backend['run'];
  b.read = async function (this: Backend, storage) {
    const t0 = performance.now();
    try {
      return await read.call(this, storage);
    } finally {
      counter.readMs += performance.now() - t0;
    }
  };
  counter.stop = () => {
    b.run = run;
    b.read = read;
  };
  return counter;
}

await setBackend(backendName);
const backend = getBackend();
const machine = backendMachine(backend);
console.log(`backend ${backendName} on ${machine}`);
console.log(
  `rooflines: fp32 ${(peakFlops / 1e12).toPrecision(4)} TFLOP/s, memory read ${(hbmBytes / 1e12).toPrecision(4)} TB/s (${
    flagValue('--peak-tflops') && flagValue('--hbm-tbs') ? 'as given' : 'spec-sheet defaults where not given'
  })`,
);
const rows: ResultRow[] = [];
const failures: string[] = [];

/** Where the rows were last written (after each case). */
let resultsPath: string | undefined;

/**
 * Run one case; a failure (e.g. out of device memory) is reported and the rest still run.
 * The rows so far are written after every case, so a run stopped at a time limit keeps them.
 */
async function attempt(what: string, body: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await body();
    console.log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failures.push(`${what}: ${(e as Error).message}`);
    console.log(`${what} FAILED: ${(e as Error).stack ?? String(e)}`);
  }
  if (!smoke && rows.length > 0) resultsPath = writeResults('webgpu-model', rows);
}

for (const plan of plans) {
  const s = plan.shape;
  const eos = s.vocab_size - 1;
  const config: Qwen3Config = qwen3Config({ ...s, rope_theta: 1e6, eos_token_id: eos });
  const impl = `${backendName}-${plan.name}-bf16`;
  let model: Qwen3ForCausalLM | undefined;
  await attempt(`${plan.name} weights`, async () => {
    model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1, dtype: 'bfloat16' }));
    await backend.sync();
  });
  if (!model) continue;
  const m = model;
  const { blocks, head } = linearParams(s);
  const weightBytes = 2 * (blocks + head + (s.tie_word_embeddings ? 0 : s.vocab_size * s.hidden_size));

  // Decoding first: the model without an adapter, as a sampler uses it.
  for (const batch of plan.decodeBatches) {
    await attempt(`${plan.name} decode batch ${batch}`, async () => {
      const prompts = Array.from({ length: batch }, (_, b) =>
        Array.from({ length: 8 }, (_, i) => (b * 31 + i * 7) % eos),
      );
      const opts = { maxNewTokens: plan.decodeTokens, temperature: 0, stopTokenIds: [] };
      await m.generate(prompts, { ...opts, maxNewTokens: 2 }); // this batch's pipelines compiled
      const launches = countLaunches(backend);
      const before = backend.memory();
      const t0 = performance.now();
      await m.generate(prompts, opts);
      const seconds = (performance.now() - t0) / 1000;
      launches.stop();
      const after = backend.memory();
      const tokens = batch * plan.decodeTokens;
      // Host time: all but the waits on the device's reads. Were the device instant, a step would take this long.
      const hostMsPerStep = (seconds * 1000 - launches.readMs) / plan.decodeTokens;
      const hits = (after.bindGroupHits ?? 0) - (before.bindGroupHits ?? 0);
      const misses = (after.bindGroupMisses ?? 0) - (before.bindGroupMisses ?? 0);
      console.log(
        `  ${(launches.runs / plan.decodeTokens).toFixed(1)} kernel launches per step, host ${hostMsPerStep.toFixed(2)} ms per step (${((hostMsPerStep * 1000 * plan.decodeTokens) / launches.runs).toFixed(1)} us per launch)` +
          (hits + misses > 0 ? `, bind groups reused ${((100 * hits) / (hits + misses)).toFixed(0)}%` : ''),
      );
      rows.push(
        row({
          case: `decode-b${batch}-host`,
          impl,
          size: plan.decodeTokens,
          value: (batch * 1000) / hostMsPerStep,
          unit: 'tokens/s',
          machine,
        }),
      );
      rows.push(
        row({
          case: `decode-b${batch}`,
          impl,
          size: plan.decodeTokens,
          value: tokens / seconds,
          unit: 'tokens/s',
          machine,
        }),
      );
      // Where a decode step's device time goes: kernels per token and each one's share, beside the
      // launches-per-step figure above (not at the 8B shape; two new tokens past the prompt's step).
      if (plan.name !== 'qwen3-8b')
        await printKernelProfiles(
          backend,
          `  decode batch ${batch}, prompt and two steps,`,
          () => m.generate(prompts, { ...opts, maxNewTokens: 3 }),
          10,
        );
      // Each decode step reads every weight once and does 2 FLOPs per parameter per sequence.
      const stepSeconds = Math.max(weightBytes / hbmBytes, (2 * (blocks + head) * batch) / peakFlops);
      rows.push(
        row({
          case: `decode-b${batch}`,
          impl: `roofline-${plan.name}`,
          size: plan.decodeTokens,
          value: batch / stepSeconds,
          unit: 'tokens/s',
          machine,
        }),
      );
    });
  }

  // Sampling as the paper evaluates (top-k 20, top-p 0.95, presence penalty): the device selects each row's
  // candidates (`selectTopK`) and a step reads a few numbers per row instead of [batch, V] logits.
  for (const batch of plan.decodeBatches) {
    await attempt(`${plan.name} decode batch ${batch}, top-k sampling`, async () => {
      const prompts = Array.from({ length: batch }, (_, b) =>
        Array.from({ length: 8 }, (_, i) => (b * 31 + i * 7) % eos),
      );
      const opts = {
        maxNewTokens: plan.decodeTokens,
        temperature: 0.6,
        topP: 0.95,
        topK: 20,
        presencePenalty: 1,
        stopTokenIds: [],
        seed: 1,
      };
      await m.generate(prompts, { ...opts, maxNewTokens: 2 });
      const t0 = performance.now();
      await m.generate(prompts, opts);
      const seconds = (performance.now() - t0) / 1000;
      rows.push(
        row({
          case: `decode-b${batch}-topk`,
          impl,
          size: plan.decodeTokens,
          value: (batch * plan.decodeTokens) / seconds,
          unit: 'tokens/s',
          machine,
        }),
      );
    });
  }

  const lora = applyLora(m, { r: smoke ? 8 : 64, alpha: smoke ? 16 : 128, dropout: 0.05, seed: 2 });
  m.gradientCheckpointingEnable();

  await attempt(`${plan.name} MoL LoRA step, ${plan.seq} tokens`, async () => {
    const third = Math.floor(plan.seq / 3);
    const train: TrainingRow[] = [
      {
        ids: Array.from({ length: plan.seq }, (_, i) => (i * 7919) % s.vocab_size),
        labels: [
          ...Array<'prompt'>(third).fill('prompt'),
          ...Array<'decision'>(third).fill('decision'),
          ...Array<'feedback'>(plan.seq - 2 * third).fill('feedback'),
        ],
      },
    ];
    const outputDir = mkdtempSync(join(tmpdir(), 'device-mol-'));
    try {
      m.train();
      const trainer = new MolTrainer({
        model: m,
        lora,
        train,
        config: {
          outputDir,
          maxSteps: 100,
          microBatchSize: 1,
          globalBatchSize: 1,
          progress: 'silent',
          saveSteps: 1000,
        },
      });
      await trainer.trainer.step(); // the base distribution cached, pipelines compiled
      const times: number[] = [];
      backend.resetPeak();
      const before = backend.memory().bytesInUse;
      for (let i = 0; i < plan.steps; i++) {
        const t0 = performance.now();
        await trainer.trainer.step();
        await backend.sync();
        times.push((performance.now() - t0) / 1000);
      }
      const peak = backend.memory().peakBytes;
      // Where a step's device time goes (not at the 8B shape, whose steps are long enough as they are).
      if (plan.name !== 'qwen3-8b')
        await printKernelProfiles(backend, "  one step's device time", () => trainer.trainer.step());
      trainer.releaseBaseCache();
      const perStep = median(times);
      rows.push(
        row({ case: 'mol-lora-step', impl, size: plan.seq, value: plan.seq / perStep, unit: 'tokens/s', machine }),
      );
      rows.push(
        row({
          case: 'mol-lora-step',
          impl: `roofline-${plan.name}`,
          size: plan.seq,
          value: peakFlops / molStepFlopsPerToken(s, plan.seq),
          unit: 'tokens/s',
          machine,
        }),
      );
      rows.push(
        row({
          case: 'mol-lora-step-achieved',
          impl,
          size: plan.seq,
          value: (plan.seq * molStepFlopsPerToken(s, plan.seq)) / perStep / 1e9,
          unit: 'GFLOP/s',
          machine,
        }),
      );
      rows.push(
        row({ case: 'mol-lora-step-peak-memory', impl, size: plan.seq, value: peak / 2 ** 20, unit: 'MiB', machine }),
      );
      const third2 = Math.floor(plan.seq / 3);
      const predicted = molStepMemory(s, {
        tokens: plan.seq,
        rank: smoke ? 8 : 64,
        lossTokens: plan.seq - third2 - 1,
        decisionTokens: third2,
      }).peak;
      rows.push(
        row({
          case: 'mol-lora-step-peak-memory',
          impl: `predicted-${plan.name}`,
          size: plan.seq,
          value: predicted / 2 ** 20,
          unit: 'MiB',
          machine,
        }),
      );
      console.log(
        `  peak ${(peak / 2 ** 20).toFixed(0)} MiB (in use before the timed steps ${(before / 2 ** 20).toFixed(0)} MiB), predicted ${(predicted / 2 ** 20).toFixed(0)} MiB`,
      );
    } finally {
      rmSync(outputDir, { recursive: true, force: true });
    }
  });

  await attempt(`${plan.name} GRPO step`, async () => {
    const { generations, prompts, length } = plan.grpo;
    const outputDir = mkdtempSync(join(tmpdir(), 'device-grpo-'));
    try {
      const trainer = new GrpoTrainer({
        model: m,
        lora,
        codec: byteCodec(eos),
        train: ['What is 6 * 7?', 'Sum 1 to 100.'].map((prompt, i) => ({ prompt, answer: ['42', '5050'][i] })),
        rewardFunctions: [
          { name: 'length', score: ({ completionIds }) => completionIds.map((ids) => ids.length / length) },
        ],
        config: {
          outputDir,
          numGenerations: generations,
          globalBatchSize: generations * prompts,
          microBatchSize: generations,
          maxCompletionLength: length,
          beta: 0.04,
          numIterations: 1,
          maxSteps: 100,
          progress: 'silent',
        },
      });
      await trainer.step(); // pipelines compiled
      const records: GrpoStepMetrics[] = [];
      for (let i = 0; i < (smoke ? 1 : 2); i++) records.push(...(await trainer.step()));
      const part = (key: string) => median(records.map((r) => r[key]! * 1000));
      const size = generations * prompts * length;
      for (const key of ['rollout', 'reward', 'update'])
        rows.push(row({ case: `grpo-step-${key}`, impl, size, value: part(`timing/${key}_s`), unit: 'ms', machine }));
      rows.push(
        row({
          case: 'grpo-rollout',
          impl,
          size,
          value: median(records.map((r) => r.rollout_tokens_per_s!)),
          unit: 'tokens/s',
          machine,
        }),
      );
    } finally {
      rmSync(outputDir, { recursive: true, force: true });
    }
  });
}

printTable(rows);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
if (resultsPath) console.log(`results: ${resultsPath}`);
// The device keeps the process alive until it is released.
await backend.dispose();
if (failures.length > 0) {
  console.log(`${failures.length} case(s) failed:\n  ${failures.join('\n  ')}`);
  process.exitCode = 1;
}
