/**
 * molrl against PyTorch, side by side in one run: the same cases (cases.ts),
 * the same random-weight shapes, batch and token counting, run through
 * molrl's cpu backend in this process and through PyTorch (torch_side.py,
 * Debian's python3-torch, OpenBLAS, 2 threads) in a child process, one timed
 * iteration at a time, alternating which side goes first each round, so a
 * change of the machine's load hits both alike.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/vs-torch/vs-torch.bench.ts [--quick] [--cases a,b] [--rounds N] [--python /usr/bin/python3]
 *
 * Rows (results/vs-torch.json): per case `pytorch` and `molrl` (tokens/s, or
 * GFLOP/s for matmul) and `molrl/pytorch` (x); for the bf16 0.6B decode also
 * `memory-read-bound` (tokens/s: one streaming read of a buffer the size of
 * the weights per token) and the read rates behind it (GB/s of a JS loop, a
 * wasm SIMD loop, numpy's sum); the load average at start and end.
 * --quick: small shapes, two rounds; writes nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM, qwen3Config, randomWeights, weightBytes, type Qwen3Config } from '@molrl/model';
import { AdamW, crossEntropy, getBackend, setBackend, tensor, tidy, type Tensor } from '@molrl/tensor';
import type { Backend, TensorInfo } from '@molrl/gpu-backend';
import { measureMemoryRead } from '../lib/memory-read.js';
import { printTable, row, writeResults, type ResultRow } from '../lib/results.js';
import { vsTorchCases, type CaseSpec, type ModelShape } from './cases.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('--cases')?.split(',');
const python = option('--python') ?? '/usr/bin/python3';
const threads = 2;

/** One timed iteration's result: milliseconds and the work it did. */
interface Timing {
  ms: number;
  tokens?: number;
  flop?: number;
}

interface Side {
  run(): Promise<Timing>;
  dispose(): Promise<void>;
}

/** The PyTorch child: one JSON request and one JSON answer per line. */
class TorchSide {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly answers: string[] = [];
  private waiting: ((line: string) => void) | null = null;
  private stderr = '';

  constructor() {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'torch_side.py');
    this.child = spawn(python, [script, '--threads', String(threads)], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting;
      this.waiting = null;
      if (w) w(line);
      else this.answers.push(line);
    });
  }

  async request(msg: Record<string, unknown>): Promise<Record<string, unknown>> {
    this.child.stdin.write(JSON.stringify(msg) + '\n');
    const line = this.answers.shift() ?? (await this.nextLine(msg));
    const out = JSON.parse(line) as Record<string, unknown>;
    if (typeof out.error === 'string') throw new Error(`torch_side.py (${String(msg.cmd)}): ${out.error}`);
    return out;
  }

  private nextLine(msg: Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`torch_side.py exited (${code}) during '${String(msg.cmd)}':\n${this.stderr}`));
      this.child.once('exit', onExit);
      this.waiting = (line) => {
        this.child.off('exit', onExit);
        resolve(line);
      };
    });
  }

  async side(spec: CaseSpec): Promise<Side> {
    await this.request({ cmd: 'setup', case: spec });
    return {
      run: async () => (await this.request({ cmd: 'run' })) as unknown as Timing,
      dispose: async () => void (await this.request({ cmd: 'dispose' })),
    };
  }

  async close(): Promise<void> {
    this.child.stdin.write(JSON.stringify({ cmd: 'quit' }) + '\n');
    this.child.stdin.end();
    if (this.child.exitCode === null) await new Promise((r) => this.child.once('exit', r));
  }
}

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

/** Greedy decode with the KV cache; the prefill (first token) is not timed. */
function molrlDecode(spec: Extract<CaseSpec, { kind: 'decode' }>): Side {
  const c = configOf(spec.config);
  const model = Qwen3ForCausalLM.fromWeights(c, randomWeights(c, { seed: 2, dtype: spec.dtype }));
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
  const data = (seed: number) => {
    let s = seed;
    return Float32Array.from({ length: n * n }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return (s / 2 ** 32) * 2 - 1;
    });
  };
  const a: TensorInfo = { storage: backend.upload(data(1), 'float32'), shape: [n, n], dtype: 'float32' };
  const b: TensorInfo = { storage: backend.upload(data(2), 'float32'), shape: [n, n], dtype: 'float32' };
  return {
    run: async () => {
      const t0 = performance.now();
      const [c] = backend.run('matmul', [a, b]);
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
  const sides: Record<'pytorch' | 'molrl', Side> = {
    pytorch: await torch.side(spec),
    molrl: molrlSide(spec),
  };
  try {
    const rates: Record<'pytorch' | 'molrl', number[]> = { pytorch: [], molrl: [] };
    // One warm-up iteration each (allocations, code paths, caches), then alternating rounds.
    await sides.pytorch.run();
    await sides.molrl.run();
    const rounds = roundsFor(spec);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['pytorch', 'molrl'] as const) : (['molrl', 'pytorch'] as const);
      for (const impl of order) rates[impl].push(rate(await sides[impl].run()));
    }
    const torchRate = median(rates.pytorch);
    const molrlRate = median(rates.molrl);
    rows.push(
      row({ case: spec.name, impl: 'pytorch', size, value: torchRate, unit }),
      row({ case: spec.name, impl: 'molrl', size, value: molrlRate, unit }),
      row({ case: spec.name, impl: 'molrl/pytorch', size, value: molrlRate / torchRate, unit: 'x' }),
    );
    const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
    console.log(`  pytorch ${unit}: ${fmt(rates.pytorch)}\n  molrl   ${unit}: ${fmt(rates.molrl)}`);
    console.log(
      `  medians: pytorch ${torchRate.toFixed(1)}, molrl ${molrlRate.toFixed(1)} (${(molrlRate / torchRate).toFixed(2)}x)`,
    );
  } finally {
    await sides.molrl.dispose();
    await sides.pytorch.dispose();
  }
  if (spec.kind === 'decode' && spec.dtype === 'bfloat16') {
    // The bound: each decode step reads every weight once (bf16), so tokens/s <= read rate / weight bytes.
    const bytes = weightBytes(configOf(spec.config), 'bfloat16');
    const read = measureMemoryRead(bytes);
    const numpy: number[] = [];
    for (let i = 0; i < 5; i++) numpy.push(((await torch.request({ cmd: 'read', bytes })) as { ms: number }).ms);
    await torch.request({ cmd: 'dispose' });
    const numpyGb = read.bytes / (median(numpy) / 1000) / 1e9;
    const gb = Math.round(bytes / 2 ** 20);
    rows.push(
      row({ case: spec.name, impl: 'memory-read-bound', size, value: (read.best * 1e9) / bytes, unit }),
      row({ case: 'memory-read', impl: 'wasm-simd', size: gb, value: read.gbPerSecond['wasm-simd'], unit: 'GB/s' }),
      row({ case: 'memory-read', impl: 'js-loop', size: gb, value: read.gbPerSecond['js-loop'], unit: 'GB/s' }),
      row({ case: 'memory-read', impl: 'numpy-sum', size: gb, value: numpyGb, unit: 'GB/s' }),
    );
    console.log(
      `  memory read of ${(bytes / 1e9).toFixed(2)} GB: wasm SIMD ${read.gbPerSecond['wasm-simd'].toFixed(1)} GB/s, JS loop ${read.gbPerSecond['js-loop'].toFixed(1)} GB/s, numpy ${numpyGb.toFixed(1)} GB/s; bound ${((read.best * 1e9) / bytes).toFixed(2)} tokens/s`,
    );
  }
}

async function main(): Promise<void> {
  await setBackend('cpu');
  const torch = new TorchSide();
  const rows: ResultRow[] = [];
  try {
    const info = await torch.request({ cmd: 'info' });
    console.log(
      `pytorch ${String(info.torch)}, numpy ${String(info.numpy)}, ${String(info.threads)} threads, BLAS: ${String(info.blas)}`,
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
