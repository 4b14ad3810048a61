/**
 * molrl against PyTorch, side by side in one run: the same cases (cases.ts),
 * the same random-weight shapes, batch and token counting, run through
 * molrl's cpu backend in this process and through PyTorch (torch_side.py,
 * Debian's python3-torch, OpenBLAS, 2 threads) in a child process, one timed
 * iteration at a time, alternating which side goes first each round, so a
 * change of the machine's load hits both alike.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/vs-torch/vs-torch.bench.ts [--quick] [--cases a,b] [--rounds N] [--gemm native,wasm] [--python /usr/bin/python3]
 *
 * molrl runs on the cpu backend's default GEMM (the native one, @molrl/cpu-native,
 * where it is built) and, when that is the native one, also on the WebAssembly GEMM
 * (the same model, the GEMM switched per timed iteration): the three take turns.
 *
 * Rows (results/vs-torch.json): per case `pytorch`, `molrl` and `molrl-wasm` (tokens/s, or
 * GFLOP/s for matmul), `molrl/pytorch` and `molrl-wasm/pytorch` (x); for the bf16 0.6B decode also
 * `memory-read-bound` (tokens/s: one streaming read of a buffer the size of
 * the weights, an adapter's included, per decode step of `batch` tokens) and the read rates behind it (GB/s of a JS loop, a
 * wasm SIMD loop, numpy's sum); the load average at start and end.
 * --quick: small shapes, two rounds; writes nothing.
 */
import { loadavg } from 'node:os';
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM, qwen3Config, randomWeights, weightBytes, type Qwen3Config } from '@molrl/model';
import { AdamW, crossEntropy, getBackend, setBackend, tensor, tidy, type Tensor } from '@molrl/tensor';
import type { Backend, TensorInfo } from '@molrl/gpu-backend';
import { configureGemm, nativeGemmStatus } from '@molrl/gpu-backend/cpu';
import { measureMemoryRead, measureMemoryReadThreaded } from '../lib/memory-read.js';
import { printTable, row, writeResults, type ResultRow } from '../lib/results.js';
import { seededValues } from '../lib/seeded-values.js';
import { vsTorchCases, type CaseSpec, type ModelShape } from './cases.js';
import { TorchSide, type Side, type Timing } from './torch-side.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('--cases')?.split(',');
/** Weights below this size stay in the caches between tokens, so a memory read does not bound their decoding. */
const MEMORY_BOUND_MIN_BYTES = 256 * 2 ** 20;
const python = option('--python') ?? '/usr/bin/python3';
const threads = 2;

/** molrl's sides: the default GEMM ('molrl'), and WebAssembly beside it where the default is native. */
const native = nativeGemmStatus();
const gemms = (option('--gemm') ?? (native.available ? 'native,wasm' : 'wasm')).split(',');
for (const g of gemms) if (g !== 'native' && g !== 'wasm') throw new Error(`--gemm: '${g}' is not 'native' or 'wasm'`);
if (gemms.includes('native') && !native.available)
  throw new Error(`--gemm native: the native GEMM is not available: ${native.reason}`);
const MOLRL_IMPLS = gemms.map((gemm) => ({
  impl: gemm === 'wasm' && native.available ? 'molrl-wasm' : 'molrl',
  gemm: gemm as 'native' | 'wasm',
}));

function configOf(shape: ModelShape): Qwen3Config {
  return qwen3Config({ ...shape, tie_word_embeddings: true, max_position_embeddings: 40960 });
}

/** A full fine-tune or LoRA step: forward, mean cross-entropy over every position, backward, AdamW. */
function molrlTrain(spec: Extract<CaseSpec, { kind: 'train' }>): Side {
  const c = configOf(spec.config);
  const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 1 }));
  model.train();
  const lora = spec.lora ? applyLora(model, { r: spec.lora.r, alpha: spec.lora.alpha, dropout: 0 }) : null;
  if (!lora) model.requiresGrad(true);
  const params: Tensor[] = lora ? lora.parameters() : model.parameters();
  const opt = new AdamW(params, { lr: 1e-4, weightDecay: 0.1 });
  const v = c.vocab_size;
  const ids = Array.from({ length: spec.batch }, (_, b) =>
    Array.from({ length: spec.tokens }, (_, t) => ((b * spec.tokens + t) * 7919 + 13) % v),
  );
  const targets = tensor(new Int32Array(ids.flat().map((t) => (t + 1) % v)), [spec.batch, spec.tokens], {
    dtype: 'int32',
  }).keep();
  return {
    run: async () => {
      const t0 = performance.now();
      const loss = tidy(() => crossEntropy(model.module.logits(model.hiddenSync(ids)), targets));
      loss.backward();
      await loss.data();
      loss.dispose();
      opt.step();
      opt.zeroGrad();
      return { ms: performance.now() - t0, tokens: spec.batch * spec.tokens };
    },
    dispose: async () => {
      targets.dispose();
      for (const p of params) p.zeroGrad();
      lora?.remove();
      model.dispose();
    },
  };
}

/** Bytes of a float32 LoRA adapter of rank r on every projection of every layer (none without one). */
function adapterBytes(shape: ModelShape, lora: { r: number } | undefined): number {
  if (!lora) return 0;
  const {
    hidden_size: h,
    intermediate_size: f,
    num_attention_heads: heads,
    num_key_value_heads: kv,
    head_dim: d,
  } = shape;
  // (in + out) of q, k, v, o, gate, up, down.
  const perLayer = h + heads * d + 2 * (h + kv * d) + heads * d + h + 2 * (h + f) + f + h;
  return 4 * lora.r * perLayer * shape.num_hidden_layers;
}

/** Greedy decode with the KV cache; the prefill (first token) is not timed. */
function molrlDecode(spec: Extract<CaseSpec, { kind: 'decode' }>): Side {
  const c = configOf(spec.config);
  const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 2, dtype: spec.dtype }));
  // An adapter in float32 over the stored base, unmerged (as GRPO samples through the adapter it trains).
  if (spec.lora) applyLora(model, { r: spec.lora.r, alpha: spec.lora.alpha, dropout: 0 });
  const prompt = Array.from({ length: spec.batch }, (_, b) =>
    Array.from({ length: spec.prompt }, (_, t) => ((b * spec.prompt + t) * 31 + 100) % c.vocab_size),
  );
  return {
    run: async () => {
      const stamps: number[] = [];
      await model.generate(prompt, {
        maxNewTokens: spec.newTokens,
        temperature: 0,
        stopTokenIds: [],
        onStep: () => stamps.push(performance.now()),
      });
      return { ms: stamps[stamps.length - 1]! - stamps[0]!, tokens: spec.batch * (stamps.length - 1) };
    },
    dispose: async () => model.dispose(),
  };
}

/** The backend's matmul on two n x n f32 matrices, C allocated and released per call. */
function molrlMatmul(spec: Extract<CaseSpec, { kind: 'matmul' }>): Side {
  const backend: Backend = getBackend();
  const n = spec.n;
  const data = (seed: number) => seededValues(n * n, seed);
  const a: TensorInfo = { storage: backend.upload(data(1), 'float32'), shape: [n, n], dtype: 'float32' };
  const b: TensorInfo = { storage: backend.upload(data(2), 'float32'), shape: [n, n], dtype: 'float32' };
  const attrs = { transposeA: spec.transposeA === true, transposeB: spec.transposeB === true };
  return {
    run: async () => {
      const t0 = performance.now();
      const [c] = backend.run('matmul', [a, b], attrs);
      await backend.sync();
      const ms = performance.now() - t0;
      backend.release(c!.storage);
      return { ms, flop: 2 * n ** 3 };
    },
    dispose: async () => {
      backend.release(a.storage);
      backend.release(b.storage);
    },
  };
}

function molrlSide(spec: CaseSpec): Side {
  if (spec.kind === 'train') return molrlTrain(spec);
  if (spec.kind === 'decode') return molrlDecode(spec);
  return molrlMatmul(spec);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Rounds per case: more for the quick ones, so their medians settle. */
function roundsFor(spec: CaseSpec): number {
  const given = option('--rounds');
  if (given) return Number(given);
  if (quick) return 2;
  if (spec.kind === 'matmul') return 15;
  if (spec.name.includes('0.6b')) return 3;
  return 5;
}

/** Rate of one timing: tokens/s, or GFLOP/s for matmul. */
function rate(t: Timing): number {
  return t.flop !== undefined ? t.flop / (t.ms / 1000) / 1e9 : t.tokens! / (t.ms / 1000);
}

async function runCase(spec: CaseSpec, torch: TorchSide, rows: ResultRow[]): Promise<void> {
  const unit = spec.kind === 'matmul' ? 'GFLOP/s' : 'tokens/s';
  const size = spec.kind === 'matmul' ? spec.n : spec.kind === 'train' ? spec.batch * spec.tokens : spec.batch;
  console.log(`\n${spec.name}: setting up`);
  // The machine's load when the case ran, beside its figures (runs of single cases replace rows case by case).
  rows.push(row({ case: spec.name, impl: 'load-average-1min', size, value: loadavg()[0]!, unit: 'tasks' }));
  const torchSide = await torch.side(spec);
  // One molrl side for every GEMM: the same model, the GEMM chosen before each timed iteration.
  const molrl = molrlSide(spec);
  const impls = ['pytorch', ...MOLRL_IMPLS.map((m) => m.impl)];
  const runOnce = async (impl: string): Promise<Timing> => {
    if (impl === 'pytorch') return torchSide.run();
    await configureGemm({ implementation: MOLRL_IMPLS.find((m) => m.impl === impl)!.gemm });
    return molrl.run();
  };
  try {
    const rates = new Map<string, number[]>(impls.map((impl) => [impl, []]));
    // One warm-up iteration each (allocations, code paths, caches), then rounds in turn, each starting one later.
    for (const impl of impls) await runOnce(impl);
    const rounds = roundsFor(spec);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < impls.length; i++) {
        const impl = impls[(r + i) % impls.length]!;
        rates.get(impl)!.push(rate(await runOnce(impl)));
      }
    }
    const torchRate = median(rates.get('pytorch')!);
    rows.push(row({ case: spec.name, impl: 'pytorch', size, value: torchRate, unit }));
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
    console.log(`  pytorch ${unit}: ${fmt(rates.get('pytorch')!)}`);
    for (const { impl, gemm } of MOLRL_IMPLS) {
      const molrlRate = median(rates.get(impl)!);
      rows.push(
        row({ case: spec.name, impl, size, value: molrlRate, unit }),
        row({ case: spec.name, impl: `${impl}/pytorch`, size, value: molrlRate / torchRate, unit: 'x' }),
      );
      console.log(`  ${impl} (${gemm} GEMM) ${unit}: ${fmt(rates.get(impl)!)}`);
      console.log(
        `  medians: pytorch ${torchRate.toFixed(1)}, ${impl} ${molrlRate.toFixed(1)} (${(molrlRate / torchRate).toFixed(2)}x)`,
      );
    }
  } finally {
    await configureGemm({ implementation: 'auto' });
    await molrl.dispose();
    await torchSide.dispose();
  }
  const bytes =
    spec.kind === 'decode' ? weightBytes(configOf(spec.config), spec.dtype) + adapterBytes(spec.config, spec.lora) : 0;
  // Weights that fit the caches (the deep, narrow case) are not read from memory: no bound there.
  if (spec.kind === 'decode' && spec.dtype === 'bfloat16' && bytes >= MEMORY_BOUND_MIN_BYTES) {
    // The bound: each decode step reads every weight once (bf16; an adapter's float32) and gives a token per
    // sequence, so tokens/s <= batch x read rate / weight bytes.
    const read = measureMemoryRead(bytes);
    const threaded = await measureMemoryReadThreaded(bytes);
    const readRate = Math.max(read.best, threaded.gbPerSecond);
    const numpy: number[] = [];
    for (let i = 0; i < 5; i++) numpy.push(((await torch.request({ cmd: 'read', bytes })) as { ms: number }).ms);
    await torch.request({ cmd: 'dispose' });
    const numpyGb = read.bytes / (median(numpy) / 1000) / 1e9;
    const gb = Math.round(bytes / 2 ** 20);
    rows.push(
      row({ case: spec.name, impl: 'memory-read-bound', size, value: (spec.batch * readRate * 1e9) / bytes, unit }),
      row({ case: 'memory-read', impl: 'wasm-simd', size: gb, value: read.gbPerSecond['wasm-simd'], unit: 'GB/s' }),
      row({ case: 'memory-read', impl: 'js-loop', size: gb, value: read.gbPerSecond['js-loop'], unit: 'GB/s' }),
      row({
        case: 'memory-read',
        impl: `wasm-simd-${threaded.threads}-threads`,
        size: gb,
        value: threaded.gbPerSecond,
        unit: 'GB/s',
      }),
      row({ case: 'memory-read', impl: 'numpy-sum', size: gb, value: numpyGb, unit: 'GB/s' }),
    );
    console.log(
      `  memory read of ${(bytes / 1e9).toFixed(2)} GB: wasm SIMD ${read.gbPerSecond['wasm-simd'].toFixed(1)} GB/s ` +
        `(${threaded.threads} threads ${threaded.gbPerSecond.toFixed(1)}), JS loop ${read.gbPerSecond['js-loop'].toFixed(1)} GB/s, ` +
        `numpy ${numpyGb.toFixed(1)} GB/s; bound ${((readRate * 1e9) / bytes).toFixed(2)} tokens/s`,
    );
  }
}

async function main(): Promise<void> {
  await setBackend('cpu');
  const torch = new TorchSide(python, threads);
  const rows: ResultRow[] = [];
  try {
    const info = await torch.request({ cmd: 'info' });
    console.log(
      `pytorch ${String(info.torch)}, numpy ${String(info.numpy)}, ${String(info.threads)} threads, BLAS: ${String(info.blas)}`,
    );
    console.log(
      `molrl GEMM: ${native.available ? `native (${native.isa}, ${native.threads} threads)` : `WebAssembly (native: ${native.reason})`}; sides: ${MOLRL_IMPLS.map((m) => `${m.impl} = ${m.gemm}`).join(', ')}`,
    );
    const loadStart = loadavg()[0]!;
    console.log(
      `load average at start: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const cases = vsTorchCases(quick).filter((c) => !only || only.includes(c.name));
    if (only && cases.length === 0) throw new Error(`--cases: none of ${only.join(', ')} is a case`);
    for (const spec of cases) await runCase(spec, torch, rows);
    const loadEnd = loadavg()[0]!;
    console.log(
      `\nload average at end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    rows.push(
      row({ case: 'load-average-1min', impl: 'start', size: 0, value: loadStart, unit: 'tasks' }),
      row({ case: 'load-average-1min', impl: 'end', size: 0, value: loadEnd, unit: 'tasks' }),
    );
  } finally {
    await torch.close();
  }
  console.log('');
  printTable(rows);
  if (!quick) console.log(`\nwrote ${writeResults('vs-torch', rows)}`);
}

await main();
