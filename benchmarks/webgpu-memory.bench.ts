/**
 * Peak device memory of real LoRA MoL training steps (bfloat16 weights, gradient
 * checkpointing, AdamW on the adapter) on `webgpu` and `cpu`, beside what
 * `molStepMemory` predicts from the shape; then the predicted peaks at Qwen3-0.6B
 * and Qwen3-8B shapes for the sequence lengths that fit 8 GB and 80 GB.
 *
 * A step's peak is the backend's own `memory().peakBytes` over the second step (the
 * first fills the base-distribution cache and compiles pipelines). Memory does not
 * depend on the machine's load, so these figures are exact on a shared machine.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/webgpu-memory.bench.ts \
 *     [--backends webgpu,cpu] [--qwen3-0.6b 64]   # the latter: a real 0.6B step of that many tokens (minutes on lavapipe)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLora } from '@molrl/lora';
import { QWEN3_0_6B, QWEN3_8B, Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { MolTrainer, molStepMemory, type MemoryModelShape, type TrainingRow } from '@molrl/mol-loss';
import { getBackend, setBackend } from '@molrl/tensor';
import { backendMachine, printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { flagValue } from './lib/args.js';

/** Small shapes: one bound by a block's activations, one by the vocabulary, one wide. */
const SMALL: { name: string; shape: MemoryModelShape; tokens: number; rank: number }[] = [
  {
    name: 'h96-l2-v500',
    shape: {
      ...QWEN3_0_6B,
      vocab_size: 500,
      hidden_size: 96,
      intermediate_size: 320,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 32,
    },
    tokens: 256,
    rank: 8,
  },
  {
    name: 'h64-l2-v20000',
    shape: {
      ...QWEN3_0_6B,
      vocab_size: 20000,
      hidden_size: 64,
      intermediate_size: 256,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      head_dim: 16,
    },
    tokens: 128,
    rank: 8,
  },
  {
    name: 'h256-l2-v4096',
    shape: {
      ...QWEN3_0_6B,
      vocab_size: 4096,
      hidden_size: 256,
      intermediate_size: 768,
      num_hidden_layers: 2,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      head_dim: 32,
    },
    tokens: 128,
    rank: 32,
  },
];

const backends = (flagValue('--backends') ?? 'webgpu,cpu').split(',');
const cases = [...SMALL];
const qwenTokens = flagValue('--qwen3-0.6b');
if (qwenTokens !== undefined) {
  const tokens = Number(qwenTokens);
  if (!Number.isInteger(tokens) || tokens < 4)
    throw new Error(`--qwen3-0.6b: expected a token count >= 4, got ${qwenTokens}`);
  cases.push({ name: 'qwen3-0.6b', shape: QWEN3_0_6B, tokens, rank: 64 });
}

/** The peak of one LoRA MoL step (the second) on the current backend, in bytes above what was in use before the model. */
async function measure(shape: MemoryModelShape, tokens: number, rank: number): Promise<number> {
  const backend = getBackend();
  const outputDir = mkdtempSync(join(tmpdir(), 'memory-bench-'));
  try {
    const before = backend.memory().bytesInUse;
    const config = qwen3Config({ ...shape });
    const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1, dtype: 'bfloat16' }));
    const lora = applyLora(model, { r: rank, alpha: 2 * rank, dropout: 0 });
    model.gradientCheckpointingEnable();
    model.train();
    const third = Math.floor(tokens / 3);
    const train: TrainingRow[] = [
      {
        ids: Array.from({ length: tokens }, (_, i) => (i * 7919) % shape.vocab_size),
        labels: [
          ...Array<'prompt'>(third).fill('prompt'),
          ...Array<'decision'>(third).fill('decision'),
          ...Array<'feedback'>(tokens - 2 * third).fill('feedback'),
        ],
      },
    ];
    const trainer = new MolTrainer({
      model,
      lora,
      train,
      config: { outputDir, maxSteps: 4, microBatchSize: 1, globalBatchSize: 1, progress: 'silent', saveSteps: 1000 },
    });
    await trainer.trainer.step();
    backend.resetPeak();
    await trainer.trainer.step();
    return backend.memory().peakBytes - before;
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}

const MiB = 2 ** 20;
const rows: ResultRow[] = [];
for (const c of cases) {
  const third = Math.floor(c.tokens / 3);
  const predicted = molStepMemory(c.shape, {
    tokens: c.tokens,
    rank: c.rank,
    dropout: 0,
    lossTokens: c.tokens - third - 1,
    decisionTokens: third,
  }).peak;
  rows.push(
    row({
      case: `mol-lora-step-peak-${c.name}`,
      impl: 'predicted',
      size: c.tokens,
      value: predicted / MiB,
      unit: 'MiB',
      machine: 'molStepMemory',
    }),
  );
  for (const name of backends) {
    await setBackend(name);
    const backend = getBackend();
    const machine = backendMachine(backend);
    const t0 = performance.now();
    const peak = await measure(c.shape, c.tokens, c.rank);
    console.log(
      `${c.name} on ${name}: ${(peak / MiB).toFixed(2)} MiB measured, ${(predicted / MiB).toFixed(2)} predicted (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
    rows.push(
      row({
        case: `mol-lora-step-peak-${c.name}`,
        impl: name,
        size: c.tokens,
        value: peak / MiB,
        unit: 'MiB',
        machine,
      }),
    );
  }
}
for (const [name, shape] of [
  ['qwen3-0.6b', QWEN3_0_6B],
  ['qwen3-8b', QWEN3_8B],
] as const)
  for (const tokens of [1024, 4096, 8192, 16384, 32768])
    rows.push(
      row({
        case: `mol-lora-step-peak-${name}`,
        impl: 'predicted',
        size: tokens,
        value: molStepMemory(shape, { tokens }).peak / MiB,
        unit: 'MiB',
        machine: 'molStepMemory',
      }),
    );

printTable(rows);
console.log(`results: ${writeResults('webgpu-memory', rows)}`);
// The webgpu device's threads keep the event loop alive after the last case: release it and leave.
await getBackend().dispose();
process.exit(0);
