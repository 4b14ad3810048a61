/**
 * One forward + backward of a pre-norm transformer block (hidden 512, 8
 * heads, SwiGLU MLP 1536, sequence 256, batch 1) through @molrl/tensor on a
 * backend: the time, the achieved GFLOP/s, and that rate as a fraction of the
 * backend's matmul rate measured in the same run at the block's largest
 * matmul shape ([256 x 512] x [512 x 1536]ᵀ, through the same tensor op).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/transformer-block.bench.ts [--backend cpu|gpujs|webgpu] [--mode webasm] [--quick]
 *
 * --mode is passed to the backend as its `mode` option (gpujs: webasm, cpu, webgpu,
 * headlessgl); the rows' impl is then `<backend>-<mode>` (e.g. gpujs-webasm).
 *
 * FLOPs counted: the matmuls of the forward (q/k/v/o projections, the three
 * MLP matmuls, and the causal half of QKᵀ and PV), times 3 for forward plus
 * backward (the backward does two matmuls per forward matmul). Elementwise
 * work, norms, softmax and rotary embeddings are not counted, so the figure is
 * a lower bound of the work done. Each timed iteration reads a gradient back,
 * so asynchronous backends are timed to completion.
 * --quick: sequence 64, short timings, writes nothing.
 */
import { Bench } from 'tinybench';
import {
  TransformerBlock,
  getBackend,
  matmul,
  memory,
  mul,
  noGrad,
  randn,
  setBackend,
  sum,
  tensor,
  tidy,
  type Tensor,
} from '@molrl/tensor';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';
import { flagValue } from './lib/args.js';

const backendName = flagValue('--backend') ?? 'cpu';
const mode = flagValue('--mode');
const quick = process.argv.includes('--quick');
const DIM = 512;
const HEADS = 8;
const MLP = 1536;
const SEQ = quick ? 64 : 256;
const TIME_MS = quick ? 200 : 3000;

await setBackend(backendName, mode ? { mode } : undefined);
console.log(
  `transformer block: dim ${DIM}, ${HEADS} heads, MLP ${MLP}, seq ${SEQ}, backend '${getBackend().name}'${mode ? ` (mode ${mode})` : ''}`,
);

const block = new TransformerBlock({ dim: DIM, heads: HEADS, mlpHidden: MLP, seed: 7 });
const x = randn([1, SEQ, DIM], { seed: 11 }).keep();
x.requiresGrad = true;
const weights = randn([1, SEQ, DIM], { seed: 12 }).keep();
const positions = tensor(
  Int32Array.from({ length: SEQ }, (_, i) => i),
  [1, SEQ],
).keep();
const probe = block.down.weight;

async function forwardBackward(): Promise<void> {
  const loss = tidy(() => sum(mul(block.forward(x, positions), weights)));
  loss.backward();
  loss.dispose();
  await probe.grad!.data(); // waits for the whole backward on asynchronous devices
  block.zeroGrad();
  x.zeroGrad();
}

async function forwardOnly(): Promise<void> {
  const y = noGrad(() => tidy(() => block.forward(x, positions)));
  await y.data();
  y.dispose();
}

// The reference matmul: the MLP's gate projection shape, as Linear runs it.
const a = randn([SEQ, DIM], { seed: 13 }).keep();
const w = randn([MLP, DIM], { seed: 14 }).keep();
async function referenceMatmul(): Promise<void> {
  const y: Tensor = noGrad(() => matmul(a, w, { transposeB: true }));
  await y.data();
  y.dispose();
}

// Correctness smoke check before timing: finite loss and gradients.
await forwardBackward();
const memAfterWarmup = memory();

const bench = new Bench({ time: TIME_MS, iterations: 3, warmupTime: quick ? 50 : 500 });
bench.add('fwd-bwd', forwardBackward).add('fwd', forwardOnly).add('matmul', referenceMatmul);
await bench.run();

const median = (name: string): number => {
  const task = bench.getTask(name);
  const r = task?.result as { latency?: { p50?: number } } | undefined;
  const v = r?.latency?.p50;
  if (v === undefined) throw new Error(`benchmark task '${name}' produced no timing`);
  return v;
};
const fwdBwdMs = median('fwd-bwd');
const fwdMs = median('fwd');
const matmulMs = median('matmul');
const flops = 3 * block.forwardFlops(1, SEQ);
const gflops = flops / (fwdBwdMs * 1e6);
const matmulGflops = (2 * SEQ * DIM * MLP) / (matmulMs * 1e6);

const impl = mode ? `${getBackend().name}-${mode}` : getBackend().name;
const rows: ResultRow[] = [
  row({ case: 'transformer-block-fwd-bwd', impl, size: SEQ, value: fwdBwdMs, unit: 'ms' }),
  row({ case: 'transformer-block-fwd', impl, size: SEQ, value: fwdMs, unit: 'ms' }),
  row({ case: 'transformer-block-fwd-bwd', impl, size: SEQ, value: gflops, unit: 'GFLOP/s' }),
  row({ case: 'transformer-block-matmul-ref', impl, size: SEQ, value: matmulGflops, unit: 'GFLOP/s' }),
  row({ case: 'transformer-block-fwd-bwd', impl, size: SEQ, value: gflops / matmulGflops, unit: 'fraction-of-matmul' }),
];
printTable(rows);
console.log(
  `counted ${(flops / 1e9).toFixed(2)} GFLOP per forward+backward; peak memory ${(memAfterWarmup.peakBytes / 2 ** 20).toFixed(1)} MiB`,
);
if (!quick) console.log(`wrote ${writeResults('transformer-block', rows)}`);
await getBackend().dispose();
process.exit(0);
