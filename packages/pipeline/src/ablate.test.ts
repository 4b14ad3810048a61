import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TABLE1_ROWS,
  ablationPlan,
  finalReward,
  formatCells,
  meanStd,
  middleCheckpoint,
  readAblationMeta,
  runAblation,
  writeAblationReport,
} from './ablate.js';
import { stopsAtSafePoints } from './cli.js';
import { DEFAULT_CONFIG } from './config.js';
import type { Stage } from './load.js';
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
  it('the figure starts GRPO from the saved MoL step nearest the middle; every variant comes after its source', () => {
    expect(middleCheckpoint({ ...DEFAULT_CONFIG, mol: { ...DEFAULT_CONFIG.mol, maxSteps: 24, saveSteps: 4 } })).toBe(
      12,
    );
    expect(middleCheckpoint({ ...DEFAULT_CONFIG, mol: { ...DEFAULT_CONFIG.mol, maxSteps: 30, saveSteps: 8 } })).toBe(
      16,
    );
    const plan = ablationPlan(12);
    plan.forEach((v, i) => {
      if (v.from) expect(plan.findIndex((p) => p.name === v.from)).toBeLessThan(i);
    });
    for (const row of TABLE1_ROWS)
      expect(plan.some((p) => p.name === row.variant && p.stages.includes(row.stage))).toBe(true);
  });
});

/** A finished variant stage: its report, per-task results and probe, as runEval writes them. */
function fakeStage(run: RunFolder, stage: Stage, correct: number[], nll: number[], reward?: number[], known = 3) {
  const dir = join(run.evalDir, stage);
  mkdirSync(dir, { recursive: true });
  const tasks = correct.map((c, i) => ({
    id: `t${i}`,
    kind: i % 2 ? 'depot-postage' : 'digit-sum',
    ...(i % 2 ? { library: 'depot' } : {}),
    correct: c,
    score: c ? 1 : 0.4,
  }));
  writeFileSync(join(dir, 'tasks.jsonl'), tasks.map((t) => JSON.stringify(t)).join('\n') + '\n');
  writeFileSync(
    join(dir, 'probe.json'),
    JSON.stringify({ documents: nll.length, tokens: 10, nll: nll[0], perDocument: nll }),
  );
  const depot = tasks.filter((t) => t.library);
  writeFileSync(
    join(dir, 'knowledge.json'),
    JSON.stringify({
      documents: depot.length,
      tokens: 4 * depot.length,
      ids: depot.map((t) => t.id),
      perDocument: depot.map((_, i) => known + (i % 3) * 0.1),
      nll: known,
    }),
  );
  const pass1 = correct.reduce((a, b) => a + b, 0) / correct.length;
  writeFileSync(
    join(dir, 'report.json'),
    JSON.stringify({
      model: stage,
      results: [
        { suite: 'CodeAgent-Test', items: correct.length, pass1, meanScore: 0.5 },
        { suite: 'MATH-500', items: 8, pass1: 0, meanScore: 0 },
      ],
    }),
  );
  if (reward) {
    mkdirSync(run.grpoDir, { recursive: true });
    writeFileSync(
      join(run.grpoDir, 'metrics.jsonl'),
      reward.map((r, i) => JSON.stringify({ step: i + 1, reward: r })).join('\n') + '\n',
    );
  }
}

describe('the ablation report', () => {
  it('shows intervals, paired differences against Base and +MoL, the probe for every model, and what did not run', () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ablate-'));
    const seeds = [0, 1, 2];
    writeFileSync(join(out, 'ablate.json'), JSON.stringify({ seeds, checkpointStep: 12, config: DEFAULT_CONFIG }));
    const n = 60;
    const base = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
    for (const seed of seeds) {
      const v = (name: string) => new RunFolder(join(out, `seed-${seed}`, name));
      fakeStage(v('mol'), 'base', base, [1, 1.2, 0.8]);
      // +MoL solves every depot task (odd ids) as well: a resolved gain.
      fakeStage(
        v('mol'),
        'mol',
        base.map((c, i) => (i % 2 ? 1 : c)),
        [1, 1.2, 0.8],
        undefined,
        0.5,
      );
      fakeStage(v('ce_nokl'), 'mol', base, [2, 2.2, 1.8]);
      fakeStage(v('dr_grpo'), 'grpo', base, [1, 1.2, 0.8], [0.2, 0.3, 0.4, 0.5]);
    }
    const md = writeAblationReport(out);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toBe(md);
    const line = (label: string, from = md) => from.split('\n').find((l) => l.startsWith(`| ${label} |`))!;
    expect(line('Base')).toMatch(/^\| Base \| 0, 1, 2 \| 33\.3 \[\d+\.\d, \d+\.\d\] \| – \|/);
    // +MoL against Base: +50 points on the depot half, resolved and bold; against itself: –.
    expect(line('+MoL')).toMatch(/\| \*\*\+\d+\.\d \[\+\d+\.\d, \+\d+\.\d\] ↑\*\* \| – \|/);
    expect(line('+CE')).toMatch(/^\| \+CE \| not run \| – \|/);
    expect(line('+CE_NoKL')).toMatch(/\| \+0\.0 \[\+0\.0, \+0\.0\] \|/);
    const probe = md.slice(md.indexOf('## General-ability probe'));
    expect(line('+CE_NoKL', probe)).toMatch(
      /\| 2\.000 \[\d\.\d{3}, \d\.\d{3}\] \| \*\*\+1\.000 \[\+1\.000, \+1\.000\] ↑\*\* \|/,
    );
    // The knowledge probe: +MoL predicts the depot answers better than Base, resolved.
    expect(line('+MoL', probe)).toMatch(
      /\| 0\.600 \[\d\.\d{3}, \d\.\d{3}\] \| \*\*-2\.500 \[-2\.500, -2\.500\] ↓\*\* \| – \|$/,
    );
    // Every model has a probe row, the figure's intermediate checkpoint too ('–' until it runs).
    expect(line('MoL step 12 + Dr.GRPO', probe)).toMatch(/^\| MoL step 12 \+ Dr\.GRPO \| – \|/);
    expect(md).toContain('+MoL+Dr.GRPO 0.500 ± 0.000 (s0: 0.500, s1: 0.500, s2: 0.500)');
    // The comparisons each table is for, paired; a row that did not run says so.
    expect(md).toContain('- +MoL+Dr.GRPO − +Dr.GRPO: not both run yet');
    expect(md).toMatch(/^- \+MoL\+Dr\.GRPO − \+MoL\+GRPO: not both run yet$/m);
  });

  it('pairs the rows a table compares, over the tasks and seeds both have', () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ablate-'));
    const seeds = [0, 1];
    writeFileSync(join(out, 'ablate.json'), JSON.stringify({ seeds, checkpointStep: 12, config: DEFAULT_CONFIG }));
    const n = 40;
    const base = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
    for (const seed of seeds) {
      const v = (name: string) => new RunFolder(join(out, `seed-${seed}`, name));
      fakeStage(v('mol'), 'base', base, [1, 1, 1]);
      fakeStage(v('grpo'), 'grpo', base, [1, 1, 1]);
      // Dr.GRPO solves every classic task (even ids), half of which GRPO misses: +25 points over all tasks, resolved.
      fakeStage(
        v('dr_grpo'),
        'grpo',
        base.map((c, i) => (i % 2 ? c : 1)),
        [1, 1, 1],
      );
    }
    const md = writeAblationReport(out);
    const pair = md.split('\n').find((l) => l.startsWith('- +MoL+Dr.GRPO − +MoL+GRPO:'))!;
    expect(pair).toMatch(/pass@1 \*\*\+25\.0 \[\+\d+\.\d, \+\d+\.\d\] ↑\*\*/);
    expect(pair).toMatch(/probe NLL \+0\.000 \[\+0\.000, \+0\.000\]/);
  });

  it('says so when no GRPO run has finished', () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ablate-'));
    writeFileSync(join(out, 'ablate.json'), JSON.stringify({ seeds: [0], checkpointStep: 12, config: DEFAULT_CONFIG }));
    fakeStage(new RunFolder(join(out, 'seed-0', 'mol')), 'base', [1, 0, 0, 1], [1, 1.2, 0.8]);
    const md = writeAblationReport(out);
    expect(md).toContain('not comparable): no GRPO run has finished yet.');
    expect(md).toMatch(/^\| \+MoL \| not run \|/m);
  });
});

describe('ablate.json', () => {
  it('reads the seeds, checkpoint step and config; a record from before backends were a field ran on the cpu', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'molrl-ablate-meta-')), 'ablate.json');
    const { backend: _backend, ...older } = DEFAULT_CONFIG;
    writeFileSync(path, JSON.stringify({ seeds: [0, 1], checkpointStep: 12, config: older }));
    expect(readAblationMeta(path)).toEqual({ seeds: [0, 1], checkpointStep: 12, config: { ...older, backend: 'cpu' } });
  });

  it.each([
    ['not an object', [], 'not an ablation record (a JSON object), got []'],
    [
      'no seeds',
      { seeds: [], checkpointStep: 12, config: DEFAULT_CONFIG },
      'seeds must be a non-empty array of integers >= 0, got []',
    ],
    [
      'a checkpoint step of text',
      { seeds: [0], checkpointStep: '12', config: DEFAULT_CONFIG },
      'checkpointStep must be an integer >= 1, got "12"',
    ],
    [
      'no config',
      { seeds: [0], checkpointStep: 12 },
      'config must be an object (the base run configuration), got undefined',
    ],
    [
      'a config with a bad field',
      { seeds: [0], checkpointStep: 12, config: { ...DEFAULT_CONFIG, seed: -1 } },
      'config: seed',
    ],
  ])('one with %s is refused naming the file and field', (_name, bad, message) => {
    const path = join(mkdtempSync(join(tmpdir(), 'molrl-ablate-meta-')), 'ablate.json');
    writeFileSync(path, JSON.stringify(bad));
    expect(() => readAblationMeta(path)).toThrow(`${path}: ${message}`);
    expect(() => writeAblationReport(join(path, '..'))).toThrow(`${path}: ${message}`);
  });
});

describe('stopping an ablation', () => {
  it('an aborted signal stops it before any phase runs, rejecting with the reason', async () => {
    const out = mkdtempSync(join(tmpdir(), 'molrl-ablate-stop-'));
    const controller = new AbortController();
    controller.abort(new Error('stopped by the test'));
    await expect(
      runAblation(out, DEFAULT_CONFIG, { seeds: [0], progress: 'silent', log: () => {}, signal: controller.signal }),
    ).rejects.toThrow('stopped by the test');
    expect(existsSync(join(out, 'seed-0'))).toBe(false);
  });

  it('a first Ctrl-C on molrl ablate stops at a safe point, as on run', () => {
    expect(stopsAtSafePoints(['ablate', '--seeds', '0'])).toBe(true);
  });
});
