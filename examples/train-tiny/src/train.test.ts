import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from './train.js';
import { makeBatch, makeSequence, digitStream, SEP } from './task.js';

describe('task', () => {
  it('targets are the inputs shifted by one and only the reversed half counts', () => {
    expect(makeSequence([1, 2, 3])).toEqual([1, 2, 3, SEP, 3, 2, 1]);
    const b = makeBatch(digitStream(3), 2, 3);
    expect(Array.from(b.mask.slice(0, 6))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(b.inputs[1]).toBe(b.targets[0]);
    expect(b.inputs[3]).toBe(SEP);
  });
});

describe('train', () => {
  it('the loss falls within a few dozen steps and every step is logged to JSONL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'train-tiny-'));
    const metricsPath = join(dir, 'metrics.jsonl');
    const result = await train({ steps: 30, metricsPath });
    expect(result.last.loss).toBeLessThan(result.first.loss * 0.6);
    const rows = readFileSync(metricsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(30);
    expect(rows[29]).toMatchObject({ step: 30 });
    expect(Number.isFinite(rows[0].gradNorm)).toBe(true);
  });
});
