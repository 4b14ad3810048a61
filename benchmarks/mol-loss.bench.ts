/**
 * The MoL loss against a plain CE loss on the same batch, from final hidden
 * states through a frozen LM head (as in LoRA training), on the cpu backend:
 *
 * - `loss-step` (ms): forward + backward of `fusedMolLoss` in mode `mol`
 *   (CE on feedback rows, KL to the base on decision rows; the base hidden
 *   states are an input, as the trainer computes them with the adapter off)
 *   and in mode `ce` (CE on the same decision + feedback rows).
 * - `loss-peak-memory` (MB): the backend's peak bytes during that step above
 *   what was allocated before it (inputs and LM head excluded), at a fixed
 *   vocabulary chunk. `mol-logits` is the unfused path for contrast
 *   (full [N, V] logits, then `molLoss`), measured where it fits.
 *
 * The batch is trace-shaped: a prompt block (no loss), then alternating
 * decision and feedback turns.
 *
 *   node --import tsx --conditions=source benchmarks/mol-loss.bench.ts [--quick]
 */
import { Bench } from 'tinybench';
import { fusedMolLoss, molLoss, type TokenLabel } from '@molrl/mol-loss';
import { getBackend, matmul, randn, setBackend, tidy, type Tensor } from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

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

/**
 * Median latency of each task, the tasks interleaved over several rounds so
 * that a load change on the machine hits both alike.
 */
async function timeInterleaved(tasks: Record<string, () => Promise<unknown>>, rounds: number): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(tasks).map((k) => [k, []]));
  for (const fn of Object.values(tasks)) await fn();
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(tasks)) {
      const bench = new Bench({ time: 0, iterations: 1, warmupIterations: 0 });
      bench.add(name, fn);
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (result.state !== 'completed') throw new Error(`${name}: benchmark ${result.state}`);
      samples[name]!.push(result.latency.p50);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
}

const rows: ResultRow[] = [];
for (const vocab of vocabSizes) {
  const weight = randn([vocab, hiddenSize], { seed: 1, std: 0.05 }).keep();
  const hidden = randn([tokens, hiddenSize], { seed: 2, requiresGrad: true }).keep();
  const baseHidden = randn([tokens, hiddenSize], { seed: 3 }).keep();
  const targets = Array.from({ length: tokens }, (_, i) => (i * 7919) % vocab);
  const step = (mode: 'mol' | 'ce') => async () => {
    const out = fusedMolLoss({ hidden, baseHidden: mode === 'mol' ? baseHidden : null, lmHeadWeight: weight, targets, labels, mode, vocabChunk });
    out.loss.backward();
    await hidden.grad!.data();
    hidden.zeroGrad();
    for (const t of [out.loss, out.ce, out.kl]) t.dispose();
  };
  const peak = async (fn: () => Promise<void>) => {
    await fn();
    backend.resetPeak();
    const before = backend.memory().bytesInUse;
    await fn();
    return (backend.memory().peakBytes - before) / 2 ** 20;
  };
  const times = await timeInterleaved({ mol: step('mol'), ce: step('ce') }, quick ? 3 : 7);
  for (const mode of ['mol', 'ce'] as const) {
    rows.push(row({ case: 'loss-step', impl: mode, size: vocab, value: times[mode]!, unit: 'ms' }));
    rows.push(row({ case: 'loss-peak-memory', impl: mode, size: vocab, value: await peak(step(mode)), unit: 'MB' }));
    console.log(`${mode.padEnd(4)} V=${vocab}: ${times[mode]!.toFixed(1)} ms`);
  }
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
    rows.push(row({ case: 'loss-peak-memory', impl: 'mol-logits', size: vocab, value: await peak(unfused), unit: 'MB' }));
  }
  for (const t of [weight, hidden, baseHidden]) t.dispose();
}

printTable(rows);
const ratio = (v: number) => {
  const get = (impl: string) => rows.find((r) => r.case === 'loss-step' && r.impl === impl && r.size === v)!.value;
  return get('mol') / get('ce');
};
for (const v of vocabSizes) console.log(`mol / ce step time at V=${v}: ${ratio(v).toFixed(2)}x (decision share of trained rows ${(decisionShare * 100).toFixed(0)}%)`);
console.log(`tokens ${tokens}, hidden ${hiddenSize}, vocabulary chunk ${vocabChunk}`);
if (!quick) console.log(`wrote ${writeResults('mol-loss', rows)}`);
