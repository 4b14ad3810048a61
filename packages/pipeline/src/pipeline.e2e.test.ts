/**
 * A miniature run of the real pipeline on the embedded model (tiny sizes):
 * the CLI in a child process is interrupted with SIGINT once MoL has written
 * its first checkpoint, then the same command resumes the run to the end;
 * the run folder must then hold every file of the documented format, and the
 * resumed MoL phase must have continued (not restarted) its metrics.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '@molrl/progress';
import { main } from './cli.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const TINY = {
  data: {
    traces: 3,
    validation: 1,
    maxSteps: 3,
    maxTokens: 640,
    grpoTasks: 2,
    evalTasks: 2,
    mathProblems: 1,
    probeDocuments: 3,
  },
  mol: { maxSteps: 3, microBatchSize: 1, globalBatchSize: 1, saveSteps: 1, evalSteps: 2 },
  grpo: { numGenerations: 2, globalBatchSize: 2, microBatchSize: 2, maxSteps: 2, maxCompletionLength: 12 },
  eval: { maxTokens: 12, batchSize: 2 },
};

function runUntil(args: string[], ready: () => boolean): Promise<number | null> {
  return new Promise((resolve, reject) => {
    // The TypeScript source (not bin/, which prefers a possibly stale dist/).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', join(root, 'src', 'cli-main.ts'), ...args],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: root },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      if (ready()) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 200);
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code !== 130) reject(new Error(`exit ${code}: ${stderr}`));
      else resolve(code);
    });
  });
}

describe('molrl run (miniature)', () => {
  it('is interrupted during MoL, resumes, and writes the run folder', { timeout: 240_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'molrl-e2e-'));
    const out = join(tmp, 'run');
    const configFile = join(tmp, 'tiny.json');
    writeFileSync(configFile, JSON.stringify(TINY));
    const args = ['run', '--out', out, '--config', configFile, '--progress', 'lines'];

    const code = await runUntil(args, () => existsSync(join(out, 'mol', 'checkpoint-1', 'trainer_state.json')));
    expect(code).toBe(130);
    const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(Object.keys(state.phases)).toEqual(['data']);

    const lines: string[] = [];
    const { code: resumed } = await main(args, (l) => lines.push(l));
    expect(resumed).toBe(0);
    expect(lines).toContain('data: done already (' + out + '/state.json)');

    for (const f of [
      'config.json',
      'state.json',
      'report.md',
      'data/traces.jsonl',
      'data/grpo-tasks.jsonl',
      'data/eval-tasks.jsonl',
      'data/manifest.json',
      'mol/metrics.jsonl',
      'mol/adapter/adapter_config.json',
      'mol/adapter/adapter_model.safetensors',
      'mol/checkpoint-3/trainer_state.json',
      'grpo/metrics.jsonl',
      'grpo/adapter/adapter_model.safetensors',
      'eval/base/report.json',
      'eval/mol/report.json',
      'eval/grpo/report.json',
      'eval/grpo/samples.jsonl',
      'eval/grpo/tasks.jsonl',
      'eval/base/probe.json',
      'plots/mol-loss.svg',
      'plots/grpo-reward.svg',
      'plots/completion-lengths.svg',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const molSteps = readMetrics(join(out, 'mol', 'metrics.jsonl'))
      .filter((r) => typeof r.loss === 'number')
      .map((r) => r.step);
    expect(molSteps).toEqual([1, 2, 3]);
    const molLoss = readMetrics(join(out, 'mol', 'metrics.jsonl')).filter((r) => typeof r.ce === 'number');
    expect(molLoss.some((r) => (r.feedback_tokens as number) > 0 && (r.ce as number) > 0)).toBe(true);
    expect(readMetrics(join(out, 'grpo', 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2]);
    const adapter = JSON.parse(readFileSync(join(out, 'mol', 'adapter', 'adapter_config.json'), 'utf8'));
    expect(adapter.peft_type).toBe('LORA');
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\| Base \| \d+\.\d \[\d+\.\d, \d+\.\d\] \|/);
    expect(report).toMatch(/\| \+MoL \| [-+]\d+\.\d \[/); // paired against Base
    expect(report).toMatch(/\| \+MoL\+GRPO \|/);
    const final = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
    expect(Object.keys(final.phases)).toEqual(['data', 'mol', 'grpo', 'eval']);
    expect(
      JSON.parse(readFileSync(join(out, 'eval', 'grpo', 'report.json'), 'utf8')).results.map(
        (r: { suite: string }) => r.suite,
      ),
    ).toEqual(['CodeAgent-Test', 'MATH-500']);
  });
});
