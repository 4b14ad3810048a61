/**
 * LoRA overhead on the cpu backend: forward tokens/s of a Qwen3-shaped model
 * (hidden 512, 4 layers) without an adapter, with a rank-64 adapter on
 * q/k/v/o/gate/up/down (the paper's setting), and with the adapter merged;
 * and the time merge() takes.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/lora.bench.ts [--quick]
 */
import { Bench } from 'tinybench';
import { qwen3Config, Qwen3ForCausalLM, randomWeights } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import { noGrad, setBackend, tidy } from '@molrl/tensor';
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
console.log('');
printTable(rows);
console.log(`\nwrote ${writeResults('lora', rows)}`);
