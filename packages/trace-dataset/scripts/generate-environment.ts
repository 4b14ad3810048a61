/**
 * Generate the code-agent environment's data set: traces really executed in the
 * Python sandbox, split train/validation/test, with the task list.
 *
 *   node --import tsx --conditions=@molrl/source packages/trace-dataset/scripts/generate-environment.ts \
 *     --out data/env --count 3300 --seed 0 [--format parquet] [--metrics data/env/metrics.jsonl]
 */
import { writeEnvironmentDataset } from '../src/index.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const format = arg('format', 'jsonl');
if (format !== 'jsonl' && format !== 'parquet') throw new Error(`--format: expected jsonl or parquet, got ${format}`);
const manifest = await writeEnvironmentDataset({
  outDir: arg('out'),
  count: Number(arg('count', '3300')),
  seed: Number(arg('seed', '0')),
  format,
  metricsPath: process.argv.includes('--metrics') ? arg('metrics') : undefined,
});
console.log(JSON.stringify(manifest.counts));
