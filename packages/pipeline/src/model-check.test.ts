/**
 * A base model that cannot be loaded is found before any phase runs (and so is
 * never recorded in a run's config.json): what loading checks before it reads
 * the weights' data is checked here too.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsCheckpoint, writeSafetensorsCheckpoint } from '@molrl/model';
import { DEFAULT_MODEL_DIR } from './config.js';
import { modelProblem } from './model-check.js';

/** A copy of the embedded model, changed by `change(dir)`. */
async function changedModel(change: (dir: string) => void | Promise<void>): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), 'molrl-model-check-')), 'model');
  cpSync(DEFAULT_MODEL_DIR, dir, { recursive: true });
  await change(dir);
  return dir;
}

const editJson = (path: string, edit: (json: Record<string, unknown>) => void) => {
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
};

describe('modelProblem', () => {
  it('finds nothing wrong with the embedded model', async () => {
    expect(await modelProblem(DEFAULT_MODEL_DIR)).toBeNull();
  });

  it('names a weight whose shape config.json contradicts', async () => {
    const dir = await changedModel((d) => editJson(join(d, 'config.json'), (c) => (c.intermediate_size = 256)));
    expect(await modelProblem(dir)).toMatch(
      /tensor 'model\.layers\.0\.mlp\.gate_proj\.weight' has shape \[512, 192\], config\.json implies \[256, 192\]/,
    );
  });

  it('names weights a model of this config does not use (fewer layers)', async () => {
    const dir = await changedModel((d) => editJson(join(d, 'config.json'), (c) => (c.num_hidden_layers = 2)));
    expect(await modelProblem(dir)).toMatch(/tensor\(s\) a Qwen3 model does not use: model\.layers\.2\./);
  });

  it('names an integer weight', async () => {
    const dir = await changedModel(async (d) => {
      const ckpt = await SafetensorsCheckpoint.open(d);
      const tensors = await Promise.all(
        ckpt.names().map(async (name) => {
          const entry = ckpt.entry(name);
          const values = await ckpt.readFloat32(name);
          return name === 'model.norm.weight'
            ? { name, dtype: 'I32' as const, shape: entry.shape, data: Int32Array.from(values) }
            : { name, dtype: 'F32' as const, shape: entry.shape, data: values };
        }),
      );
      await ckpt.close();
      await writeSafetensorsCheckpoint(d, tensors);
    });
    expect(await modelProblem(dir)).toMatch(/tensor 'model\.norm\.weight' is I32 in the checkpoint/);
  });

  it('names generation_config.json when it is not JSON, or stops on an id outside the vocabulary', async () => {
    const broken = await changedModel((d) =>
      writeFileSync(join(d, 'generation_config.json'), '{"eos_token_id": [1842,}'),
    );
    expect(await modelProblem(broken)).toMatch(/generation_config\.json:1:\d+: not valid JSON/);
    const outside = await changedModel((d) =>
      editJson(join(d, 'generation_config.json'), (g) => (g.eos_token_id = [1842, 99999])),
    );
    expect(await modelProblem(outside)).toMatch(/generation_config\.json.*99999/);
  });

  it('names a tokenizer with more ids than the embedding has rows', async () => {
    const dir = await changedModel((d) =>
      editJson(join(d, 'tokenizer.json'), (t) =>
        (t.added_tokens as unknown[]).push({
          id: 1900,
          content: '<|extra|>',
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: false,
          special: true,
        }),
      ),
    );
    expect(await modelProblem(dir)).toMatch(
      /tokenizer\.json: the tokenizer has 1901 ids, more than config\.json's vocab_size 1845/,
    );
  });
});
