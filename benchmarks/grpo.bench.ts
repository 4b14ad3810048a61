/**
 * One GRPO step of @molrl/grpo's trainer on the cpu backend, split into its
 * parts: rollout (KV-cache sampling of G completions per prompt by the model
 * with its LoRA adapter), reward (the sandboxed multi-stage reward plus a
 * plain function, all completions at once), and update (old/reference
 * log-probs when needed, forward + backward of the GRPO loss over the
 * micro-batches, AdamW on the adapter).
 *
 * - `rollout-tokens-per-s`: generated tokens per second of rollout time.
 * - `step-rollout`, `step-reward`, `step-update`, `step-total` (ms): medians over the timed steps.
 * - `share-rollout`, `share-reward`, `share-update` (%): each part's share of the step.
 *
 * The model has the shape of the model benchmark's tiny config (4 layers,
 * hidden 256, vocabulary 4096) with random weights, so completions run to the
 * length limit and hold no code: the sandbox finds nothing to run, and the
 * reward time is the reward pipeline's own overhead, not code execution
 * (benchmarks/sandbox.bench.ts measures that).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/grpo.bench.ts [--quick]
 *
 * --quick: one prompt, short completions, writes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { GrpoTrainer, sandboxReward, type GrpoStepMetrics, type TextCodec } from '@molrl/grpo';
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { createSandbox } from '@molrl/sandbox-reward';
import { setBackend } from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { median } from './lib/stats.js';

const quick = process.argv.includes('--quick');
const VOCAB = 4096;
const EOS = VOCAB - 1;
const config = qwen3Config({
  vocab_size: VOCAB,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  tie_word_embeddings: true,
  rope_theta: 1e6,
  eos_token_id: EOS,
});

/** Bytes are ids 0..255; higher ids decode as a placeholder character (random-model output). */
const byteCodec: TextCodec = {
  encode: (text) => [...new TextEncoder().encode(text)],
  decode: (ids) => ids.map((id) => (id < 128 ? String.fromCharCode(id) : id === EOS ? '' : '~')).join(''),
};

const numGenerations = 8;
const prompts = quick ? 1 : 2;
const maxCompletionLength = quick ? 16 : 48;
const timedSteps = quick ? 2 : 3;

await setBackend('cpu');
const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
const lora = applyLora(model, { r: 16, alpha: 32, dropout: 0, seed: 2 });
const sandbox = await createSandbox({ workers: 2, warmPython: false, pythonStandby: false });
const outputDir = mkdtempSync(join(tmpdir(), 'grpo-bench-'));
const train = [
  'What is 6 * 7? Answer with code.',
  'Sum the integers from 1 to 100 in code.',
  'Print the 10th prime.',
].map((prompt, i) => ({
  prompt,
  answer: ['42', '5050', '29'][i],
}));
const trainer = new GrpoTrainer({
  model,
  lora,
  codec: byteCodec,
  train,
  rewardFunctions: [
    sandboxReward('multi-stage', { sandbox, language: 'javascript' }),
    { name: 'length', score: ({ completionIds }) => completionIds.map((ids) => ids.length / maxCompletionLength) },
  ],
  config: {
    outputDir,
    numGenerations,
    globalBatchSize: numGenerations * prompts,
    microBatchSize: numGenerations,
    maxCompletionLength,
    beta: 0.04,
    numIterations: 1,
    maxSteps: 1000,
    progress: 'silent',
  },
});

const records: GrpoStepMetrics[] = [];
const bench = new Bench({ time: 0, iterations: timedSteps, warmupIterations: 1 });
bench.add('grpo-step', async () => {
  records.push(...(await trainer.step()));
});
await bench.run();
await sandbox.close();
rmSync(outputDir, { recursive: true, force: true });

const timed = records.slice(-timedSteps);
const part = (key: string) => median(timed.map((r) => r[key]! * 1000));
const rollout = part('timing/rollout_s');
const reward = part('timing/reward_s');
const update = part('timing/update_s');
const total = rollout + reward + update;
const size = numGenerations * prompts * maxCompletionLength;
const impl = `cpu-tiny-g${numGenerations}x${prompts}-len${maxCompletionLength}`;
const rows: ResultRow[] = [
  row({
    case: 'rollout-tokens-per-s',
    impl,
    size,
    value: median(timed.map((r) => r.rollout_tokens_per_s!)),
    unit: 'tokens/s',
  }),
  row({ case: 'step-rollout', impl, size, value: rollout, unit: 'ms' }),
  row({ case: 'step-reward', impl, size, value: reward, unit: 'ms' }),
  row({ case: 'step-update', impl, size, value: update, unit: 'ms' }),
  row({ case: 'step-total', impl, size, value: total, unit: 'ms' }),
  row({ case: 'share-rollout', impl, size, value: (100 * rollout) / total, unit: '%' }),
  row({ case: 'share-reward', impl, size, value: (100 * reward) / total, unit: '%' }),
  row({ case: 'share-update', impl, size, value: (100 * update) / total, unit: '%' }),
];
printTable(rows);
// Other work on the machine skews every number above: say how busy it was.
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`,
);
// A --quick run's shorter completions would replace the committed rows of the same cases.
if (!quick) console.log(`results: ${writeResults('grpo', rows)}`);
