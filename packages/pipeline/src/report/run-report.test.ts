/** The run report shows a phase's charts only once the phase has metrics: no empty or stale chart. */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { stageReportPath } from '../phases/eval.js';
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

  it('summarises GRPO by the means of the first and last quarter of its steps, not by two single steps', () => {
    const { run, config } = openRun(join(mkdtempSync(join(tmpdir(), 'molrl-report-')), 'run'), resolveConfig());
    mkdirSync(run.grpoDir, { recursive: true });
    // Eight steps: a high first step and a low last one inside a rising trend.
    const rewards = [0.8, 0.1, 0.3, 0.4, 0.6, 0.7, 0.9, 0.5];
    const lengths = [40, 44, 42, 38, 30, 32, 28, 36];
    writeFileSync(
      join(run.grpoDir, 'metrics.jsonl'),
      rewards
        .map((reward, i) =>
          JSON.stringify({
            step: i + 1,
            reward,
            reward_std: 0.1,
            'rewards/multi_stage/mean': reward,
            'completions/mean_length': lengths[i],
          }),
        )
        .join('\n') + '\n',
    );
    const md = writeRunReport(run, config);
    expect(md).toContain(
      'Mean reward 0.450 over steps 1–2 → 0.700 over steps 7–8 (rewards/multi_stage/mean 0.700); mean completion length 42.0 → 32.0 tokens.',
    );
  });

  it('a damaged state.json, report.json or manifest fails before anything is written', () => {
    const { run, config } = openRun(join(mkdtempSync(join(tmpdir(), 'molrl-report-')), 'run'), resolveConfig());
    mkdirSync(run.molDir, { recursive: true });
    writeFileSync(join(run.molDir, 'metrics.jsonl'), JSON.stringify({ step: 1, loss: 2, ce: 1.5, kl: 0.5 }) + '\n');
    const report = stageReportPath(run, 'base');
    mkdirSync(join(run.evalDir, 'base'), { recursive: true });
    writeFileSync(
      report,
      JSON.stringify({ model: 'm', results: [{ suite: 'CodeAgent-Test', items: 2, pass1: '50%' }] }),
    );
    expect(() => writeRunReport(run, config)).toThrow(
      `${report}: results[0]: field "pass1" must be a fraction in [0, 1], got "50%"`,
    );
    writeFileSync(report, JSON.stringify({ model: 'm', results: [] }));
    mkdirSync(run.dataDir, { recursive: true });
    writeFileSync(join(run.dataDir, 'manifest.json'), '{"traces": ');
    expect(() => writeRunReport(run, config)).toThrow(`${join(run.dataDir, 'manifest.json')}:1:12: not valid JSON`);
    writeFileSync(join(run.dataDir, 'manifest.json'), '{}');
    writeFileSync(run.stateFile, JSON.stringify({ version: 1, phases: { data: { finished: 'now', seconds: 1 } } }));
    expect(() => writeRunReport(run, config)).toThrow(`${run.stateFile}: phases.data.finished must be a date`);
    // Nothing was written: no plots folder, no report.
    expect(existsSync(run.path('plots'))).toBe(false);
    expect(existsSync(run.path('report.md'))).toBe(false);
  });
});
