/**
 * The MoL loss against a plain CE loss on the same batch, from final hidden
 * states through a frozen LM head (as in LoRA training), on the cpu backend:
 *
 * - `loss-step` (ms): forward + backward of `fusedMolLoss`:
 *   - `mol`: mode `mol` (CE on feedback rows, KL to the base on decision
 *     rows) as the trainer runs every step: the base distribution of the
 *     decision rows (a mean LM-head row and an entropy each) was computed once
 *     by `baseDistribution` and is reused (`precomputeBase`, the default);
 *   - `mol-base-hidden`: mode `mol` with the base given as hidden states, so
 *     the step also makes the base distribution (what an example's first
 *     step costs, and every step with `precomputeBase: false`);
 *   - `ce`: mode `ce` (CE on the same decision + feedback rows).
 *   `base-distribution` is `baseDistribution` alone on the decision rows:
 *   the once-per-example cost that `mol` leaves out.
 * - `loss-peak-memory` (MB): the backend's peak bytes during a step above
 *   what was allocated before it (inputs and LM head excluded), at a fixed
 *   vocabulary chunk. `mol-logits` is the unfused path for contrast
 *   (full [N, V] logits, then `molLoss`), measured where it fits.
 *
 * The batch is trace-shaped: a prompt block (no loss), then alternating
 * decision and feedback turns.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/mol-loss.bench.ts [--quick]
 */
import { baseDistribution, fusedMolLoss, molLoss, type BaseDistribution, type TokenLabel } from '@molrl/mol-loss';
import { getBackend, matmul, randn, setBackend, tidy, type Tensor } from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { timeInterleaved } from './lib/interleaved.js';

const quick = process.argv.includes('--quick');
const hiddenSize = quick ? 64 : 256;
const tokens = quick ? 64 : 128;
const vocabChunk = 8192;
const vocabSizes = quick ? [8192, 32768] : [8192, 32768, 65536, 151936];

await setBackend('cpu');
const backend = getBackend();

/** 1/8 prompt, then turns of decision (24 tokens) and feedback (16 tokens). */
function traceLabels(n: number): TokenLabel[] {
  const labels: TokenLabel[] = [];
  for (let i = 0; i < n; i++) {
    if (i < n / 8) labels.push('prompt');
    else labels.push((i - Math.ceil(n / 8)) % 40 < 24 ? 'decision' : 'feedback');
  }
  return labels;
}

const labels = traceLabels(tokens);
const decisionShare = labels.filter((l) => l === 'decision').length / labels.filter((l) => l !== 'prompt').length;

const rows: ResultRow[] = [];
for (const vocab of vocabSizes) {
  const weight = randn([vocab, hiddenSize], { seed: 1, std: 0.05 }).keep();
  const hidden = randn([tokens, hiddenSize], { seed: 2, requiresGrad: true }).keep();
  const baseHidden = randn([tokens, hiddenSize], { seed: 3 }).keep();
  const targets = Array.from({ length: tokens }, (_, i) => (i * 7919) % vocab);
  const decisionRows = labels.flatMap((l, i) => (l === 'decision' ? [i] : []));
  const makeBase = () => baseDistribution({ baseHidden, lmHeadWeight: weight, rows: decisionRows, vocabChunk });
  // Rows aligned with `hidden`, as the trainer assembles them from its per-example cache.
  const precomputed: BaseDistribution = (() => {
    const all = baseDistribution({ baseHidden, lmHeadWeight: weight, vocabChunk });
    return { meanHead: all.meanHead.keep(), entropy: all.entropy.keep() };
  })();
  const step = (impl: 'mol' | 'mol-base-hidden' | 'ce') => async () => {
    const base = impl === 'mol' ? { baseDistribution: precomputed } : impl === 'mol-base-hidden' ? { baseHidden } : {};
    const mode = impl === 'ce' ? 'ce' : 'mol';
    const out = fusedMolLoss({ hidden, ...base, lmHeadWeight: weight, targets, labels, mode, vocabChunk });
    out.loss.backward();
    await hidden.grad!.data();
    hidden.zeroGrad();
    for (const t of [out.loss, out.ce, out.kl]) t.dispose();
  };
  const baseOnly = async () => {
    const d = makeBase();
    await d.entropy.data();
    d.meanHead.dispose();
    d.entropy.dispose();
  };
  const peak = async (fn: () => Promise<void>) => {
    await fn();
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    await fn();
    return (backend.memory().peakBytes - before) / 2 ** 20;
  };
  const impls = ['mol', 'mol-base-hidden', 'ce'] as const;
  const times = await timeInterleaved(
    { ...Object.fromEntries(impls.map((impl) => [impl, step(impl)])), 'base-distribution': baseOnly },
    quick ? 3 : 7,
  );
  for (const impl of impls) {
    rows.push(row({ case: 'loss-step', impl, size: vocab, value: times[impl]!, unit: 'ms' }));
    rows.push(row({ case: 'loss-peak-memory', impl, size: vocab, value: await peak(step(impl)), unit: 'MB' }));
    console.log(`${impl.padEnd(16)} V=${vocab}: ${times[impl]!.toFixed(1)} ms`);
  }
  rows.push(
    row({ case: 'loss-step', impl: 'base-distribution', size: vocab, value: times['base-distribution']!, unit: 'ms' }),
  );
  if (vocab <= 65536) {
    const unfused = async () => {
      const out = tidy(() => {
        const logits = matmul(hidden, weight, { transposeB: true });
        const baseLogits = matmul(baseHidden, weight, { transposeB: true });
        return molLoss({ logits, baseLogits, targets, labels, vocabChunk });
      });
      out.loss.backward();
      await hidden.grad!.data();
      hidden.zeroGrad();
      for (const t of [out.loss, out.ce, out.kl] as Tensor[]) t.dispose();
    };
    rows.push(
      row({ case: 'loss-peak-memory', impl: 'mol-logits', size: vocab, value: await peak(unfused), unit: 'MB' }),
    );
  }
  for (const t of [weight, hidden, baseHidden, precomputed.meanHead, precomputed.entropy]) t.dispose();
}

printTable(rows);
const stepMs = (impl: string, v: number) =>
  rows.find((r) => r.case === 'loss-step' && r.impl === impl && r.size === v)!.value;
console.log(`decision share of trained rows ${(decisionShare * 100).toFixed(0)}%`);
for (const v of vocabSizes) {
  const ce = stepMs('ce', v);
  // Three epochs (the paper's MoL run): the base distribution is made once, the step runs three times.
  const threeEpochs = (3 * stepMs('mol', v) + stepMs('base-distribution', v)) / (3 * ce);
  console.log(
    `V=${v}: mol / ce ${(stepMs('mol', v) / ce).toFixed(2)}x; with the base made in the step ${(stepMs('mol-base-hidden', v) / ce).toFixed(2)}x; over 3 epochs ${threeEpochs.toFixed(2)}x`,
  );
}
console.log(`tokens ${tokens}, hidden ${hiddenSize}, vocabulary chunk ${vocabChunk}`);
if (!quick) console.log(`wrote ${writeResults('mol-loss', rows)}`);
