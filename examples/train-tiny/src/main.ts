/**
 * npm run demo: train the tiny transformer and print the loss per step.
 *   --steps N --batch N --digits N --dim N --layers N --lr X --seed N
 *   --backend cpu|gpujs|webgpu --metrics path.jsonl
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, train, type StepMetrics } from './train.js';
import { createProgress } from './progress.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string' },
    batch: { type: 'string' },
    digits: { type: 'string' },
    dim: { type: 'string' },
    layers: { type: 'string' },
    lr: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    metrics: { type: 'string' },
  },
});

function num(name: keyof typeof values, fallback: number, integer = true): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v <= 0) {
    throw new Error(`--${name}: expected a positive ${integer ? 'integer' : 'number'}, got '${raw}'`);
  }
  return v;
}

const steps = num('steps', DEFAULTS.steps);
const metricsPath = values.metrics ?? 'out/train-tiny/metrics.jsonl';
const progress = createProgress(steps);
console.log(
  `train-tiny: reversing ${num('digits', DEFAULTS.digits)}-digit strings, ${steps} steps on backend '${values.backend ?? DEFAULTS.backend}'`,
);
const result = await train({
  steps,
  batch: num('batch', DEFAULTS.batch),
  digits: num('digits', DEFAULTS.digits),
  dim: num('dim', DEFAULTS.dim),
  layers: num('layers', DEFAULTS.layers),
  lr: num('lr', DEFAULTS.lr, false),
  seed: num('seed', DEFAULTS.seed),
  backend: values.backend ?? DEFAULTS.backend,
  metricsPath,
  onStep: (row: StepMetrics) => progress.step(row),
});
progress.stop();
console.log(
  `loss ${result.first.loss.toFixed(3)} -> ${result.last.loss.toFixed(3)}, token accuracy ${(result.last.tokenAccuracy * 100).toFixed(1)}%, ` +
    `held-out strings reversed exactly: ${(result.heldOutExact * 100).toFixed(1)}% (${result.parameters} parameters, ${result.seconds.toFixed(1)} s)`,
);
for (const e of result.examples) console.log(`  ${e.input.join('')} -> ${e.output.join('')}`);
console.log(`metrics: ${resolve(metricsPath)}`);
