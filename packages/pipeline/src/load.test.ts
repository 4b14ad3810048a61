import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from './config.js';
import { loadTokenizer } from './load.js';

describe('loadTokenizer', () => {
  it("reads a local model folder's tokenizer, and names the folder when it has none", async () => {
    const tokenizer = await loadTokenizer(DEFAULT_MODEL_DIR);
    expect(tokenizer.decode(tokenizer.encode('def f(x):'))).toBe('def f(x):');
    const bare = mkdtempSync(join(tmpdir(), 'molrl-model-'));
    for (const file of readdirSync(DEFAULT_MODEL_DIR).filter((f) => !f.startsWith('tokenizer')))
      cpSync(join(DEFAULT_MODEL_DIR, file), join(bare, file), { recursive: true });
    await expect(loadTokenizer(bare)).rejects.toThrow(`${bare}: the model folder has no tokenizer.json`);
  });
});
