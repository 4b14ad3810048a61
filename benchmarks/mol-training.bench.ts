/**
 * A whole MoL training step against a whole CE training step on the same
 * batch, as `MolTrainer` runs them: a Qwen3-shaped model with Qwen3's
 * 151,936-token vocabulary and a rank-64 LoRA adapter on every projection,
 * forward, fused loss, backward to the adapter (cpu backend).
 *
 * - `train-step` (ms), `size` = the vocabulary:
 *   - `ce`: mode `ce` (CE on decision and feedback rows);
 *   - `mol`: mode `mol` with the example's base distribution already made
 *     (every epoch after an example's first, `precomputeBase`);
 *   - `mol-first-epoch`: mode `mol` for an example met the first time: the
 *     base model (adapter off) runs, `baseDistribution` is made, then the step.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/mol-training.bench.ts [--quick]
 */
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import {
  baseDistribution,
  fusedMolLoss,
  makeMicroBatch,
  MOL_LORA_DEFAULTS,
  type BaseDistribution,
  type TokenLabel,
} from '@molrl/mol-loss';
import { kernelOp, noGrad, reshape, setBackend, tensor, tidy } from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { timeInterleaved } from './lib/interleaved.js';

const quick = process.argv.includes('--quick');
const vocab = quick ? 32768 : 151936;
const config = qwen3Config({
  vocab_size: vocab,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: quick ? 1 : 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 64,
  tie_word_embeddings: true,
});
const rowsPerBatch = 2;
const tokens = quick ? 64 : 128;

await setBackend('cpu');
const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
const lora = applyLora(model, { ...MOL_LORA_DEFAULTS, dropout: 0 });
model.train();

/** Trace-shaped rows: a prompt, then decision (24 tokens) and feedback (16 tokens) turns. */
const batch = makeMicroBatch(
  Array.from({ length: rowsPerBatch }, (_, r) => ({
    ids: Array.from({ length: tokens }, (_, i) => (i * 7919 + r * 104729) % vocab),
    labels: Array.from({ length: tokens }, (_, i): TokenLabel =>
      i < tokens / 8 ? 'prompt' : (i - Math.ceil(tokens / 8)) % 40 < 24 ? 'decision' : 'feedback',
    ),
  })),
);
const forward = { positionIds: batch.positionIds, segmentIds: batch.segmentIds };
const params = lora.parameters();

const decisionRows = Int32Array.from(batch.labels.flatMap((label, i) => (label === 'decision' ? [i] : [])));

/**
 * The base distribution of the batch's decision rows, as the trainer makes it: the base
 * model (adapter off), `baseDistribution` on those rows, placed at their rows of [N, H].
 */
function makeBase(): BaseDistribution {
  lora.disable();
  try {
    return noGrad(() =>
      tidy(() => {
        const hidden = model.hiddenSync(batch.ids, forward);
        const dist = baseDistribution({ baseHidden: hidden, lmHeadWeight: model.lmHeadWeight, rows: decisionRows });
        const idx = tensor(decisionRows);
        const n = batch.labels.length;
        return {
          meanHead: kernelOp('scatterAddRows', [dist.meanHead, idx], { numRows: n })[0]!,
          entropy: reshape(kernelOp('scatterAddRows', [reshape(dist.entropy, [-1, 1]), idx], { numRows: n })[0]!, [n]),
        };
      }),
    );
  } finally {
    lora.enable();
  }
}

async function trainStep(mode: 'ce' | 'mol', base: BaseDistribution | null): Promise<void> {
  const hidden = model.hiddenSync(batch.ids, forward);
  const out = fusedMolLoss({
    hidden,
    baseDistribution: base,
    lmHeadWeight: model.lmHeadWeight,
    targets: batch.targets,
    labels: batch.labels,
    mode,
  });
  out.loss.backward();
  await params[0]!.grad!.data();
  for (const p of params) p.zeroGrad();
  for (const t of [hidden, out.loss, out.ce, out.kl]) t.dispose();
}

const precomputed = makeBase();
const tasks: Record<string, () => Promise<void>> = {
  ce: () => trainStep('ce', null),
  mol: () => trainStep('mol', precomputed),
  'mol-first-epoch': async () => {
    const base = makeBase();
    await trainStep('mol', base);
    base.meanHead.dispose();
    base.entropy.dispose();
  },
};

const times = await timeInterleaved(tasks, quick ? 3 : 7);
const rows: ResultRow[] = Object.entries(times).map(([impl, ms]) =>
  row({ case: 'train-step', impl, size: vocab, value: ms, unit: 'ms' }),
);
printTable(rows);
const ms = (impl: string) => rows.find((r) => r.impl === impl)!.value;
console.log(
  `V=${vocab}: mol / ce ${(ms('mol') / ms('ce')).toFixed(2)}x; first epoch ${(ms('mol-first-epoch') / ms('ce')).toFixed(2)}x; ` +
    `over 3 epochs ${((ms('mol-first-epoch') + 2 * ms('mol')) / (3 * ms('ce'))).toFixed(2)}x (${rowsPerBatch} x ${tokens} tokens, hidden ${config.hidden_size}, ${config.num_hidden_layers} layers, LoRA r ${MOL_LORA_DEFAULTS.r})`,
);
if (!quick) console.log(`wrote ${writeResults('mol-training', rows)}`);
