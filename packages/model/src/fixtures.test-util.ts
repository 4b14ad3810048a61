/** Paths of the committed PyTorch reference fixtures (fixtures/make_fixtures.py) and their expected values. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsFile } from './safetensors/reader.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export interface ExpectedMeta {
  input_ids: number[][];
  packed: { input_ids: number[][]; segment_ids: number[][]; position_ids: number[][] };
  padded: { input_ids: number[][]; attention_mask: number[][] };
  greedy: { prompt: number[]; new_tokens: number[]; min_margin: number }[];
  lora: { variant: string; r: number; alpha: number; use_rslora: boolean; loss: number }[];
}

export const expectedMeta = (): ExpectedMeta =>
  JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as ExpectedMeta;

/** Read one expected tensor from fixtures/expected.safetensors. */
export async function expectedTensor(name: string): Promise<{ data: Float32Array; shape: number[] }> {
  const f = await SafetensorsFile.open(join(FIXTURES, 'expected.safetensors'));
  try {
    return { data: await f.readFloat32(name), shape: f.entry(name).shape };
  } finally {
    await f.close();
  }
}

/** Largest absolute difference. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
