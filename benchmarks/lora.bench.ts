/**
 * LoRA overhead on the cpu backend: forward tokens/s of a Qwen3-shaped model
 * (hidden 512, 4 layers) without an adapter, with a rank-64 adapter on
 * q/k/v/o/gate/up/down (the paper's setting), and with the adapter merged;
 * and the time merge() takes. Then greedy decoding (a GRPO rollout) of the
 * same shape with bfloat16 weights at batch 1 and 8: without an adapter,
 * with the adapter as the fused loraLinear op, and with the adapter as its
 * composition (three matmuls, a scale and an add per layer), beside the
 * kernel calls per decoded token each makes (what a GPU's decode pays per
 * launch).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/lora.bench.ts [--quick]
 *
 * --quick: smaller shapes, a few rounds, writes nothing.
 */
import { Bench } from 'tinybench';
import { qwen3Config, Qwen3ForCausalLM, randomWeights } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import { noGrad, randn, setBackend, tidy } from '@molrl/tensor';
import type { LoraHandle } from '@molrl/lora';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

const quick = process.argv.includes('--quick');
const config = qwen3Config({
  vocab_size: 8192,
  hidden_size: 512,
  intermediate_size: 1536,
  num_hidden_layers: quick ? 2 : 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 64,
  tie_word_embeddings: true,
});
const tokens = quick ? 64 : 256;

await setBackend('cpu');
const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
const ids = [Array.from({ length: tokens }, (_, i) => (i * 31) % config.vocab_size)];
const forward = async () => {
  const logits = noGrad(() => tidy(() => model.module.logits(model.hiddenSync(ids))));
  await logits.data();
  logits.dispose();
};

async function time(name: string, fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const bench = new Bench({ time: quick ? 200 : 2000, iterations: 3, warmupIterations: 1 });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`${name}: benchmark ${r.state}`);
  return r.latency.p50;
}

const rows: ResultRow[] = [];
const record = (impl: string, ms: number) => {
  rows.push(row({ case: 'lora-forward', impl, size: tokens, value: tokens / (ms / 1000), unit: 'tokens/s' }));
  console.log(`${impl.padEnd(10)} ${ms.toFixed(1)} ms/forward`);
};
record('base', await time('base', forward));
const lora = applyLora(model, { r: 64, alpha: 128 });
record('adapter', await time('adapter', forward));
const mergeMs = await time('merge+unmerge', () => {
  lora.merge();
  lora.unmerge();
});
lora.merge();
record('merged', await time('merged', forward));
rows.push(row({ case: 'lora-merge-unmerge', impl: 'cpu', size: lora.adapters.size, value: mergeMs, unit: 'ms' }));

/** Decoded tokens/s (summed over the batch, after the prefill) and kernel calls per decode step. */
async function decodeRate(m: Qwen3ForCausalLM, batch: number, newTokens: number) {
  const prompt = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: 8 }, (_, t) => ((b * 8 + t) * 31 + 100) % config.vocab_size),
  );
  const options = { maxNewTokens: newTokens, temperature: 0, stopTokenIds: [] };
  await m.generate(prompt, { ...options, maxNewTokens: 2 });
  const stamps: number[] = [];
  profiled.resetKernelProfile();
  await m.generate(prompt, { ...options, onStep: () => stamps.push(performance.now()) });
  const calls = profiled.kernelProfile().reduce((n, p) => n + p.calls, 0);
  // The first step is the prefill; the rest are single-token decode steps (their calls alike).
  const perStep = (stamps[stamps.length - 1]! - stamps[0]!) / (stamps.length - 1);
  return { rate: (1000 * batch) / perStep, callsPerStep: calls / newTokens };
}

const profiled = (await setBackend('cpu', { profile: true })) as unknown as {
  kernelProfile(): { kernel: string; calls: number }[];
  resetKernelProfile(): void;
};
const decoder = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 2, dtype: 'bfloat16' }));
const newTokens = quick ? 8 : 32;
const decodeRows = async (impl: string, setup?: (handle: LoraHandle) => void) => {
  let handle: LoraHandle | undefined;
  if (setup) {
    handle = applyLora(decoder, { r: 64, alpha: 128 });
    setup(handle);
  }
  for (const batch of [1, 8]) {
    const { rate, callsPerStep } = await decodeRate(decoder, batch, newTokens);
    rows.push(row({ case: 'lora-decode-bf16', impl, size: batch, value: rate, unit: 'tokens/s' }));
    rows.push(row({ case: 'lora-decode-kernel-calls', impl, size: batch, value: callsPerStep, unit: 'calls/step' }));
    console.log(
      `decode ${impl.padEnd(17)} batch ${batch}: ${rate.toFixed(1)} tokens/s, ${callsPerStep.toFixed(0)} kernel calls/step`,
    );
  }
  handle?.remove();
};
await decodeRows('base');
// The adapter as it trains: B starts at zero, so give it values (a trained adapter's decode costs the same).
const trained = (handle: LoraHandle) =>
  noGrad(() => {
    for (const adapter of handle.adapters.values())
      adapter.loraB.assign(randn(adapter.loraB.shape, { seed: 7, std: 0.01 }));
  });
await decodeRows('adapter-fused', trained);
await decodeRows('adapter-composed', (handle) => {
  trained(handle);
  for (const adapter of handle.adapters.values()) adapter.forwardLinear = () => null;
});

console.log('');
printTable(rows);
// A --quick run's smaller shapes would replace the committed rows of the same cases.
if (!quick) console.log(`\nwrote ${writeResults('lora', rows)}`);
