import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finalReward, formatCells, meanStd } from './ablate.js';
import { RunFolder } from './run-folder.js';

describe('ablation tables', () => {
  it('mean and sample standard deviation over seeds', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1 });
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0 });
  });
  it('cells show mean ± std and each seed', () => {
    expect(
      formatCells(
        [
          { seed: 0, value: 0.25 },
          { seed: 1, value: 0.75 },
        ],
        true,
      ),
    ).toBe('50.0 ± 35.4 (s0: 25.0, s1: 75.0)');
    expect(formatCells([], false)).toBe('–');
  });
  it('final reward is the mean over the last quarter of the GRPO steps', () => {
    const run = new RunFolder(mkdtempSync(join(tmpdir(), 'molrl-ab-')));
    expect(finalReward(run)).toBeNull();
    mkdirSync(run.grpoDir, { recursive: true });
    writeFileSync(
      join(run.grpoDir, 'metrics.jsonl'),
      [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.9].map((r, i) => JSON.stringify({ step: i + 1, reward: r })).join('\n') +
        '\n',
    );
    expect(finalReward(run)).toBeCloseTo(0.8);
  });
});
