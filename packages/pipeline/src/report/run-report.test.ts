/** The run report shows a phase's charts only once the phase has metrics: no empty or stale chart. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config.js';
import { openRun } from '../pipeline.js';
import { writeRunReport } from './run-report.js';

describe('writeRunReport', () => {
  it('links and writes a chart only for a phase with metrics, and removes one left from before', () => {
    const { run, config } = openRun(join(mkdtempSync(join(tmpdir(), 'molrl-report-')), 'run'), resolveConfig());
    // A chart from an earlier MoL phase, since run again from its start.
    mkdirSync(run.path('plots'), { recursive: true });
    writeFileSync(run.path('plots', 'mol-loss.svg'), '<svg>old</svg>');
    let md = writeRunReport(run, config);
    expect(md).not.toContain('![');
    for (const plot of ['mol-loss.svg', 'grpo-reward.svg', 'completion-lengths.svg'])
      expect(existsSync(run.path('plots', plot)), plot).toBe(false);

    mkdirSync(run.molDir, { recursive: true });
    writeFileSync(join(run.molDir, 'metrics.jsonl'), JSON.stringify({ step: 1, loss: 2, ce: 1.5, kl: 0.5 }) + '\n');
    md = writeRunReport(run, config);
    expect(md).toContain('![MoL loss parts](plots/mol-loss.svg)');
    expect(md).not.toContain('![GRPO reward]');
    expect(existsSync(run.path('plots', 'mol-loss.svg'))).toBe(true);
    expect(existsSync(run.path('plots', 'grpo-reward.svg'))).toBe(false);
  });
});
