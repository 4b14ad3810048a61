/**
 * Build MoL training splits from CodeAgent-Traces-style data: a local file or
 * folder, or a Hub data set repo.
 *
 *   node --import tsx --conditions=@molrl/source packages/trace-dataset/scripts/build-dataset.ts \
 *     --source smolagents/codeagent-traces --hub [--hub-url URL] --out data/codeagent \
 *     [--think clear|insert-empty|keep] [--max-length 8192] [--over-length drop|truncate] [--seed 0] [--format parquet]
 */
import { Tokenizer } from '@molrl/tokenize';
import { buildDataset, type ThinkMode } from '../src/index.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : fallback;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

const sourceArg = arg('source');
const source = process.argv.includes('--hub')
  ? { repo: sourceArg, hubUrl: process.argv.includes('--hub-url') ? arg('hub-url') : undefined }
  : sourceArg;
const overLength = arg('over-length', 'drop');
if (overLength !== 'drop' && overLength !== 'truncate')
  throw new Error(`--over-length: expected drop or truncate, got ${overLength}`);
const think = arg('think', 'clear');
if (think !== 'clear' && think !== 'insert-empty' && think !== 'keep')
  throw new Error(`--think: expected clear, insert-empty or keep, got ${think}`);
const format = arg('format', 'jsonl');
if (format !== 'jsonl' && format !== 'parquet') throw new Error(`--format: expected jsonl or parquet, got ${format}`);
const manifest = await buildDataset(source, {
  tokenizer: Tokenizer.qwen3(),
  outDir: arg('out'),
  think: think as ThinkMode,
  context: { maxLength: Number(arg('max-length', '8192')), overLength },
  seed: Number(arg('seed', '0')),
  format,
});
console.log(JSON.stringify(manifest.counts));
