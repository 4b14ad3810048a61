/**
 * A miniature run of the real pipeline on the embedded model (tiny sizes):
 * the CLI in a child process is interrupted with SIGINT once MoL has written
 * its first checkpoint, then the same command resumes the run to the end;
 * the run folder must then hold every file of the documented format, and the
 * resumed MoL phase must have continued (not restarted) its metrics.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
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

interface Interrupted {
  code: number | null;
  stderr: string;
  /** Milliseconds from the first signal to the exit (logged, not asserted: the machine may be loaded). */
  latencyMs: number;
}

/**
 * Run the CLI until `ready()`, then send `signals` of `signal` (50 ms apart); resolves when it exits with
 * the code that signal leaves (130 for SIGINT, 143 for SIGTERM).
 */
function runUntil(
  args: string[],
  ready: () => boolean,
  signals = 1,
  signal: 'SIGINT' | 'SIGTERM' = 'SIGINT',
): Promise<Interrupted> {
  const expected = signal === 'SIGINT' ? 130 : 143;
  return new Promise((resolve, reject) => {
    // The TypeScript source (not bin/, which prefers a possibly stale dist/).
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@molrl/source', join(root, 'src', 'cli-main.ts'), ...args],
      { stdio: ['ignore', 'ignore', 'pipe'], cwd: root },
    );
    let stderr = '';
    let sentAt = 0;
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      if (ready()) {
        clearInterval(timer);
        sentAt = performance.now();
        for (let i = 0; i < signals; i++) setTimeout(() => child.kill(signal), 50 * i);
      }
    }, 100);
    child.on('exit', (code) => {
      clearInterval(timer);
      const latencyMs = performance.now() - sentAt;
      if (process.env.MOLRL_TEST_VERBOSE)
        console.log(`${signal} x${signals} -> exit ${code} in ${latencyMs.toFixed(0)} ms`);
      if (code !== expected) reject(new Error(`exit ${code}: ${stderr}`));
      else resolve({ code, stderr, latencyMs });
    });
  });
}

/** Temporaries an interrupted write left, and checkpoint folders without their trainer state. */
function leftovers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(
    (n) => n.includes('.tmp-') || (n.startsWith('checkpoint-') && !existsSync(join(dir, n, 'trainer_state.json'))),
  );
}

/** A new folder for a miniature run, and the `molrl run` command line for it. */
function tinyRun(): { out: string; args: string[] } {
  const tmp = mkdtempSync(join(tmpdir(), 'molrl-e2e-'));
  const out = join(tmp, 'run');
  const configFile = join(tmp, 'tiny.json');
  writeFileSync(configFile, JSON.stringify(TINY));
  return { out, args: ['run', '--out', out, '--config', configFile, '--progress', 'lines'] };
}

describe('molrl run (miniature)', () => {
  it('is interrupted during MoL, resumes, and writes the run folder', { timeout: 240_000 }, async () => {
    const { out, args } = tinyRun();

    const stopped = await runUntil(args, () => existsSync(join(out, 'mol', 'checkpoint-1', 'trainer_state.json')));
    expect(stopped.code).toBe(130);
    // The first Ctrl-C stops at the next safe point: every checkpoint is whole, no temporary is left.
    expect(stopped.stderr).toContain('interrupt: stopping at the next safe point');
    expect(stopped.stderr).toContain('interrupted: every phase resumes from its last checkpoint');
    expect(leftovers(join(out, 'mol'))).toEqual([]);
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

    // --force trains the phase again from its start (not from its last checkpoint) and forgets what came after.
    const forcedAt = Date.now();
    const forced: string[] = [];
    expect((await main(['grpo', '--out', out, '--force', '--progress', 'lines'], (l) => forced.push(l))).code).toBe(0);
    expect(forced).toContain('grpo: --force: removed grpo/, eval/');
    const again = readMetrics(join(out, 'grpo', 'metrics.jsonl'));
    expect(again.map((r) => r.step)).toEqual([1, 2]);
    for (const r of again) expect(Date.parse(r.time as string)).toBeGreaterThanOrEqual(forcedAt - 1000);
    expect(existsSync(join(out, 'eval'))).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).phases)).toEqual([
      'data',
      'mol',
      'grpo',
    ]);
    expect(readdirSync(out).filter((n) => n.includes('.removed-'))).toEqual([]);
  });

  it(
    'Ctrl-C during the data phase stops at once; a second Ctrl-C during training does not wait',
    { timeout: 240_000 },
    async () => {
      const { out, args } = tinyRun();

      await runUntil(args, () => existsSync(join(out, 'data')));
      expect(
        existsSync(join(out, 'state.json')) && JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).phases.data,
      ).toBeFalsy();
      expect(leftovers(join(out, 'data'))).toEqual([]);

      const twice = await runUntil(args, () => existsSync(join(out, 'mol', 'metrics.jsonl')), 2);
      expect(twice.stderr).toContain('interrupt: stopping at the next safe point');
      expect(twice.stderr).toContain('interrupted: every phase resumes from its last checkpoint');
      const state = JSON.parse(readFileSync(join(out, 'state.json'), 'utf8'));
      expect(Object.keys(state.phases)).toEqual(['data']);
    },
  );

  it(
    'SIGTERM during training stops at the next safe point too, with status 143; the folder is locked meanwhile',
    { timeout: 240_000 },
    async () => {
      const { out, args } = tinyRun();

      // While it trains, a second command on the same folder is refused (it would interleave checkpoints).
      let concurrent: Promise<unknown> | undefined;
      const ready = () => {
        if (!existsSync(join(out, 'mol', 'checkpoint-1', 'trainer_state.json'))) return false;
        concurrent = main(['mol', '--out', out, '--progress', 'silent']).catch((e: unknown) => e);
        return true;
      };
      const stopped = await runUntil(args, ready, 1, 'SIGTERM');
      expect(((await concurrent) as Error).message).toMatch(
        new RegExp(`^${out}: the run folder is in use by process \\d+ on .* \\(molrl run --out ${out} `),
      );
      expect(stopped.code).toBe(143);
      expect(existsSync(join(out, '.lock'))).toBe(false);
      expect(stopped.stderr).toContain('SIGTERM: stopping at the next safe point');
      expect(stopped.stderr).toContain('interrupted: every phase resumes from its last checkpoint');
      expect(leftovers(join(out, 'mol'))).toEqual([]);
      expect(Object.keys(JSON.parse(readFileSync(join(out, 'state.json'), 'utf8')).phases)).toEqual(['data']);
    },
  );
});
