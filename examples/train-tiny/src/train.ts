/** The training loop: AdamW with warmup + cosine, gradient clipping, metrics JSONL, greedy decoding at the end. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { MetricsWriter } from '@molrl/progress';
import {
  AdamW,
  argmax,
  clipGradNorm,
  crossEntropy,
  equal,
  mul,
  noGrad,
  setBackend,
  sum,
  tensor,
  tidy,
  warmupCosine,
} from '@molrl/tensor';
import { TinyTransformer } from './model.js';
import { VOCAB, digitStream, makeBatch, makeSequence } from './task.js';

export interface TrainOptions {
  steps: number;
  batch: number;
  /** Digits per string. */
  digits: number;
  dim: number;
  heads: number;
  layers: number;
  lr: number;
  seed: number;
  backend: string;
  /** JSONL file, one line per step (started afresh, appended as training goes). */
  metricsPath: string | null;
  /** Called after every step with the metrics row. */
  onStep?: (row: StepMetrics) => void;
}

export interface StepMetrics {
  step: number;
  loss: number;
  /** Fraction of reversed-half tokens predicted right (teacher forcing), this batch. */
  tokenAccuracy: number;
  lr: number;
  gradNorm: number;
  ms: number;
}

export interface TrainResult {
  first: StepMetrics;
  last: StepMetrics;
  /** Fraction of held-out strings reversed exactly by greedy decoding. */
  heldOutExact: number;
  examples: { input: number[]; output: number[] }[];
  seconds: number;
  parameters: number;
}

export const DEFAULTS: TrainOptions = {
  steps: 200,
  batch: 32,
  digits: 5,
  dim: 48,
  heads: 4,
  layers: 2,
  lr: 3e-3,
  seed: 1,
  backend: 'cpu',
  metricsPath: null,
};

export async function train(options: Partial<TrainOptions> = {}): Promise<TrainResult> {
  const o = { ...DEFAULTS, ...options };
  await setBackend(o.backend);
  const start = performance.now();
  const length = 2 * o.digits;
  const model = new TinyTransformer({
    vocab: VOCAB,
    maxLength: length,
    dim: o.dim,
    heads: o.heads,
    layers: o.layers,
    seed: o.seed,
  });
  const optimizer = new AdamW(model, {
    lr: warmupCosine(o.lr, Math.round(o.steps * 0.05), o.steps, { minLr: o.lr * 0.1 }),
    betas: [0.9, 0.98],
    weightDecay: 0.01,
    decayFilter: (name) => !name.endsWith('norm.weight'),
  });
  const next = digitStream(o.seed);
  let metrics: MetricsWriter | null = null;
  if (o.metricsPath) {
    mkdirSync(dirname(o.metricsPath), { recursive: true });
    writeFileSync(o.metricsPath, '');
    metrics = new MetricsWriter(o.metricsPath);
  }

  let first: StepMetrics | null = null;
  let last: StepMetrics | null = null;
  for (let step = 1; step <= o.steps; step++) {
    const t0 = performance.now();
    const batch = makeBatch(next, o.batch, o.digits);
    const lr = optimizer.lr;
    const { loss, correct } = tidy(() => {
      const ids = tensor(batch.inputs, [batch.batch, batch.length]);
      const targets = tensor(batch.targets, [batch.batch, batch.length]);
      const mask = tensor(batch.mask, [batch.batch, batch.length]);
      const logits = model.forward(ids);
      const loss = crossEntropy(logits, targets, { mask });
      const correct = noGrad(() => sum(mul(equal(argmax(logits, -1).cast('float32'), targets.cast('float32')), mask)));
      return { loss, correct };
    });
    loss.backward();
    const norm = clipGradNorm(model, 1);
    optimizer.step();
    optimizer.zeroGrad();
    const row: StepMetrics = {
      step,
      loss: await loss.item(),
      tokenAccuracy: (await correct.item()) / (batch.batch * o.digits),
      lr,
      gradNorm: await norm.item(),
      ms: performance.now() - t0,
    };
    loss.dispose();
    correct.dispose();
    norm.dispose();
    first ??= row;
    last = row;
    metrics?.write({ ...row });
    o.onStep?.(row);
  }

  // Held-out strings, decoded greedily one token at a time.
  const heldOut = digitStream(o.seed + 9999);
  const examples: { input: number[]; output: number[] }[] = [];
  let exact = 0;
  const trials = 64;
  for (let i = 0; i < trials; i++) {
    const digits = Array.from({ length: o.digits }, heldOut);
    const seq = makeSequence(digits).slice(0, o.digits + 1);
    for (let k = 0; k < o.digits; k++) {
      const nextToken = tidy(() => {
        const logits = noGrad(() => model.forward(tensor(Int32Array.from(seq), [1, seq.length])));
        return argmax(logits.slice([0, seq.length - 1, 0], [1, 1, VOCAB]), -1);
      });
      seq.push((await nextToken.intData())[0]!);
      nextToken.dispose();
    }
    const output = seq.slice(o.digits + 1);
    if (output.join() === digits.slice().reverse().join()) exact++;
    if (examples.length < 3) examples.push({ input: digits, output });
  }
  const parameters = model.numParameters();
  model.dispose();
  optimizer.dispose();
  return {
    first: first!,
    last: last!,
    heldOutExact: exact / trials,
    examples,
    seconds: (performance.now() - start) / 1000,
    parameters,
  };
}
