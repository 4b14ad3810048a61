/**
 * molrl ablate: the paper's comparisons on the embedded default, each a run
 * folder of its own under OUT/seed-<s>/<variant>/, repeated over seeds:
 *
 *  - Table 1: Base / +MoL / +CE / +CE_NoKL (MoL mode ablation, evaluated after MoL);
 *  - Table 2: +MoL+GRPO / +MoL+Dr.GRPO (both from the +MoL adapter);
 *  - Table 3: multi-stage vs binary reward (Dr.GRPO from the +MoL adapter);
 *  - the figure: GRPO started from MoL checkpoints of growing step, its final reward.
 *
 * The variants of one seed share its data (copied, so each folder stands on
 * its own); tables show the mean over seeds ± the standard deviation and the
 * per-seed values. Every number is read back from the variants' own files.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationReport } from '@molrl/bench-math';
import { readMetrics, writeFileAtomicSync } from '@molrl/progress';
import { useBackend } from './backend.js';
import { mergeConfig, validateConfig, type PipelineConfig } from './config.js';
import type { Stage } from './load.js';
import { runEval, stageReportPath } from './phases/eval.js';
import type { ProgressMode } from './phases/mol.js';
import { runPhase } from './pipeline.js';
import { lineChartSvg } from './report/line-chart.js';
import { RunFolder } from './run-folder.js';

export interface AblationOptions {
  seeds: number[];
  progress?: ProgressMode;
  log?: (line: string) => void;
  /** MoL steps whose checkpoints start a GRPO run for the figure (default: every saveSteps up to maxSteps, at most 3). */
  checkpointSteps?: number[];
}

interface Cell {
  seed: number;
  value: number;
}

export function meanStd(values: number[]): { mean: number; std: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std };
}

/** "mean ± std (s0: v0, s1: v1)" in percent or as a plain number. */
export function formatCells(cells: Cell[], percent: boolean): string {
  if (!cells.length) return '–';
  const f = (v: number) => (percent ? (100 * v).toFixed(1) : v.toFixed(3));
  const { mean, std } = meanStd(cells.map((c) => c.value));
  return `${f(mean)} ± ${f(std)} (${cells.map((c) => `s${c.seed}: ${f(c.value)}`).join(', ')})`;
}

function suiteResult(report: EvaluationReport, pattern: RegExp) {
  return report.results.find((r) => pattern.test(r.suite));
}

function readReport(run: RunFolder, stage: Stage): EvaluationReport | null {
  const path = stageReportPath(run, stage);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as EvaluationReport) : null;
}

/** Mean GRPO reward over the last quarter of the steps (at least one). */
export function finalReward(run: RunFolder): number | null {
  const path = join(run.grpoDir, 'metrics.jsonl');
  if (!existsSync(path)) return null;
  const rewards = readMetrics(path)
    .filter((r) => typeof r.reward === 'number')
    .map((r) => r.reward as number);
  if (!rewards.length) return null;
  const tail = rewards.slice(-Math.max(1, Math.floor(rewards.length / 4)));
  return tail.reduce((a, b) => a + b, 0) / tail.length;
}

export async function runAblation(outDir: string, base: PipelineConfig, options: AblationOptions): Promise<string> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const progress = options.progress ?? 'auto';
  await useBackend(base.backend);
  const root = new RunFolder(outDir);
  mkdirSync(root.dir, { recursive: true });
  writeFileAtomicSync(root.path('ablate.json'), JSON.stringify({ seeds: options.seeds, config: base }, null, 2) + '\n');
  const steps = options.checkpointSteps ?? defaultCheckpointSteps(base);

  const table1: Record<string, { code: Cell[]; reward: Cell[]; math: Cell[] }> = {};
  const table2: Record<string, { code: Cell[]; reward: Cell[]; train: Cell[] }> = {};
  const figure: Record<number, Cell[]> = {};
  const add1 = (row: string, seed: number, report: EvaluationReport | null) => {
    const r = (table1[row] ??= { code: [], reward: [], math: [] });
    const code = report && suiteResult(report, /CodeAgent/);
    const math = report && suiteResult(report, /MATH/);
    if (code) {
      r.code.push({ seed, value: code.pass1 });
      r.reward.push({ seed, value: code.meanScore });
    }
    if (math) r.math.push({ seed, value: math.pass1 });
  };
  const add2 = (row: string, seed: number, run: RunFolder) => {
    const r = (table2[row] ??= { code: [], reward: [], train: [] });
    const report = readReport(run, 'grpo');
    const code = report && suiteResult(report, /CodeAgent/);
    if (code) {
      r.code.push({ seed, value: code.pass1 });
      r.reward.push({ seed, value: code.meanScore });
    }
    const fr = finalReward(run);
    if (fr !== null) r.train.push({ seed, value: fr });
  };

  for (const seed of options.seeds) {
    const seedDir = root.path(`seed-${seed}`);
    const variant = async (name: string, patch: unknown, from: RunFolder | null, copy: Array<'data' | 'mol'>) => {
      const config = validateConfig(mergeConfig(structuredClone({ ...base, seed }), patch), `ablate variant ${name}`);
      const run = new RunFolder(join(seedDir, name));
      if (!run.exists()) run.writeConfig(config);
      if (from) {
        for (const phase of copy) {
          if (run.isDone(phase)) continue;
          const src = phase === 'data' ? from.dataDir : from.molDir;
          const dst = phase === 'data' ? run.dataDir : run.molDir;
          cpSync(src, dst, { recursive: true });
          run.markDone(phase, { seconds: 0, copiedFrom: src });
        }
      }
      return { run, config };
    };
    const phase = async (v: { run: RunFolder; config: PipelineConfig }, p: 'data' | 'mol' | 'grpo') => {
      log(`ablate seed ${seed}: ${v.run.dir.slice(root.dir.length + 1)} ${p}`);
      await runPhase(v.run, v.config, p, { progress, log });
    };
    const evaluate = async (v: { run: RunFolder; config: PipelineConfig }, stages: Stage[]) => {
      const todo = stages.filter((s) => !existsSync(stageReportPath(v.run, s)));
      if (todo.length) {
        log(`ablate seed ${seed}: ${v.run.dir.slice(root.dir.length + 1)} eval ${todo.join(', ')}`);
        await runEval(v.run, v.config, { stages: todo, progress });
      }
    };

    // Table 1.
    const mol = await variant('mol', { mol: { mode: 'mol' } }, null, []);
    await phase(mol, 'data');
    await phase(mol, 'mol');
    await evaluate(mol, ['base', 'mol']);
    add1('Base', seed, readReport(mol.run, 'base'));
    add1('+MoL', seed, readReport(mol.run, 'mol'));
    for (const [row, mode] of [
      ['+CE', 'ce'],
      ['+CE_NoKL', 'ce_nokl'],
    ] as const) {
      const v = await variant(mode, { mol: { mode } }, mol.run, ['data']);
      await phase(v, 'mol');
      await evaluate(v, ['mol']);
      add1(row, seed, readReport(v.run, 'mol'));
    }
    // Tables 2 and 3.
    for (const [row, name, patch] of [
      ['+MoL+GRPO', 'grpo', { grpo: { lossType: 'grpo', reward: 'multi-stage' } }],
      ['+MoL+Dr.GRPO', 'dr_grpo', { grpo: { lossType: 'dr_grpo', reward: 'multi-stage' } }],
      ['+MoL+Dr.GRPO, binary reward', 'dr_grpo-binary', { grpo: { lossType: 'dr_grpo', reward: 'binary' } }],
    ] as const) {
      const v = await variant(name, patch, mol.run, ['data', 'mol']);
      await phase(v, 'grpo');
      await evaluate(v, ['grpo']);
      add2(row, seed, v.run);
    }
    // The figure: GRPO from earlier MoL checkpoints (the last one is the Dr.GRPO run above).
    for (const step of steps) {
      const name = `dr_grpo-from-mol-${step}`;
      const last = step === base.mol.maxSteps;
      const v = last
        ? await variant('dr_grpo', {}, mol.run, [])
        : await variant(name, { grpo: { lossType: 'dr_grpo', reward: 'multi-stage' } }, mol.run, ['data']);
      if (!last && !v.run.isDone('mol')) {
        const checkpoint = join(mol.run.molDir, `checkpoint-${step}`);
        if (!existsSync(checkpoint))
          throw new Error(
            `ablate: no MoL checkpoint at ${checkpoint} (choose steps that are multiples of mol.saveSteps)`,
          );
        mkdirSync(v.run.adapterDir('mol'), { recursive: true });
        for (const f of ['adapter_config.json', 'adapter_model.safetensors'])
          copyFileSync(join(checkpoint, f), join(v.run.adapterDir('mol'), f));
        v.run.markDone('mol', { seconds: 0, copiedFrom: checkpoint });
      }
      if (!last) await phase(v, 'grpo');
      const fr = finalReward(v.run);
      if (fr !== null) (figure[step] ??= []).push({ seed, value: fr });
    }
  }

  const figureSeries = Object.entries(figure).map(([step, cells]) => ({
    step: Number(step),
    ...meanStd(cells.map((c) => c.value)),
  }));
  mkdirSync(root.path('plots'), { recursive: true });
  writeFileAtomicSync(
    root.path('plots', 'mol-checkpoint-vs-rl-reward.svg'),
    lineChartSvg(
      [
        {
          name: 'final GRPO reward',
          points: figureSeries.map((p) => [p.step, p.mean]),
          band: figureSeries.map((p) => [p.step, p.mean - p.std, p.mean + p.std]),
        },
      ],
      {
        title: 'MoL checkpoint vs later RL reward (Dr.GRPO)',
        xLabel: 'MoL step the GRPO run started from',
        yLabel: 'mean reward, last quarter of GRPO',
      },
    ),
  );
  const md = [
    '# molrl ablate',
    '',
    `Seeds ${options.seeds.join(', ')}; each cell is the mean ± standard deviation over seeds, then each seed's value. Sizes: ${base.data.traces} traces, MoL ${base.mol.maxSteps} steps, GRPO ${base.grpo.maxSteps} steps x ${base.grpo.globalBatchSize} completions, ${base.data.evalTasks} evaluation tasks. Run folders: \`seed-<s>/<variant>/\`.`,
    '',
    '## Table 1: MoL and its ablations (pass@1 %, CodeAgent-Test mean reward)',
    '',
    '| Model | CodeAgent-Test pass@1 | CodeAgent-Test mean reward | MATH-500 pass@1 |',
    '|---|---:|---:|---:|',
    ...Object.entries(table1).map(
      ([row, r]) =>
        `| ${row} | ${formatCells(r.code, true)} | ${formatCells(r.reward, false)} | ${formatCells(r.math, true)} |`,
    ),
    '',
    '## Table 2 and 3: GRPO vs Dr.GRPO, multi-stage vs binary reward',
    '',
    '| Model | CodeAgent-Test pass@1 | CodeAgent-Test mean reward | final training reward |',
    '|---|---:|---:|---:|',
    ...Object.entries(table2).map(
      ([row, r]) =>
        `| ${row} | ${formatCells(r.code, true)} | ${formatCells(r.reward, false)} | ${formatCells(r.train, false)} |`,
    ),
    '',
    "The training reward is each run's own reward (the binary run's is 0/1, so compare its pass@1 and evaluation reward, which are scored alike for every row).",
    '',
    '## Figure: MoL checkpoints vs later RL reward',
    '',
    '| MoL step | final GRPO reward |',
    '|---:|---:|',
    ...Object.entries(figure).map(([step, cells]) => `| ${step} | ${formatCells(cells, false)} |`),
    '',
    '![MoL checkpoint vs RL reward](plots/mol-checkpoint-vs-rl-reward.svg)',
    '',
  ].join('\n');
  writeFileAtomicSync(root.path('report.md'), md);
  return md;
}

function defaultCheckpointSteps(c: PipelineConfig): number[] {
  const every = c.mol.saveSteps > 0 ? c.mol.saveSteps : c.mol.maxSteps;
  const all: number[] = [];
  for (let s = every; s <= c.mol.maxSteps; s += every) all.push(s);
  if (!all.includes(c.mol.maxSteps)) all.push(c.mol.maxSteps);
  // At most three: the first, the middle and the last.
  return all.length <= 3 ? all : [all[0]!, all[Math.floor(all.length / 2)]!, all[all.length - 1]!];
}
