/**
 * report.md of a run: the evaluation in the paper's table shape (one row per
 * stage: Base, +MoL, +MoL+GRPO), the training summaries, and SVG plots of the
 * MoL loss parts, the GRPO reward and the completion lengths, all read back
 * from the run folder's files.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationReport } from '@molrl/bench-math';
import { readMetrics, writeFileAtomicSync, type MetricRecord } from '@molrl/progress';
import type { PipelineConfig } from '../config.js';
import type { Stage } from '../load.js';
import type { RunFolder } from '../run-folder.js';
import { STAGE_NAMES, stageReportPath } from '../phases/eval.js';
import { lineChartSvg, type Series } from './line-chart.js';

export const pct = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : (100 * v).toFixed(1));
const num = (v: unknown, digits = 3) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '–');

function metricsOf(path: string): MetricRecord[] {
  return existsSync(path) ? readMetrics(path) : [];
}

function series(records: MetricRecord[], x: string, y: string, name = y): Series {
  return {
    name,
    points: records
      .filter((r) => typeof r[x] === 'number' && typeof r[y] === 'number')
      .map((r) => [r[x] as number, r[y] as number]),
  };
}

/** One row per stage: CodeAgent-Test pass@1 and mean reward, MATH-500 pass@1. */
export function evaluationTable(reports: Array<[string, EvaluationReport]>): string {
  const suites = [...new Set(reports.flatMap(([, r]) => r.results.map((s) => s.suite)))];
  const head = [
    'Model',
    ...suites.flatMap((s) => (/CodeAgent/.test(s) ? [`${s} pass@1 (%)`, `${s} mean reward`] : [`${s} pass@1 (%)`])),
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '---:' : '---')).join('|')}|`];
  for (const [name, report] of reports) {
    const cells = suites.flatMap((s) => {
      const r = report.results.find((x) => x.suite === s);
      return /CodeAgent/.test(s) ? [pct(r?.pass1), num(r?.meanScore)] : [pct(r?.pass1)];
    });
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function readStageReports(run: RunFolder): Array<[Stage, EvaluationReport]> {
  return (['base', 'mol', 'grpo'] as Stage[])
    .filter((s) => existsSync(stageReportPath(run, s)))
    .map((s) => [s, JSON.parse(readFileSync(stageReportPath(run, s), 'utf8')) as EvaluationReport]);
}

export function writeRunReport(run: RunFolder, config: PipelineConfig): string {
  const plots = run.path('plots');
  mkdirSync(plots, { recursive: true });
  const mol = metricsOf(join(run.molDir, 'metrics.jsonl'));
  const molSteps = mol.filter((r) => typeof r.loss === 'number');
  const molEvals = mol.filter((r) => typeof r.eval_loss === 'number');
  const grpo = metricsOf(join(run.grpoDir, 'metrics.jsonl')).filter((r) => typeof r.reward === 'number');
  const rewardKey = config.grpo.reward === 'binary' ? 'rewards/binary/mean' : 'rewards/multi_stage/mean';

  writeFileAtomicSync(
    join(plots, 'mol-loss.svg'),
    lineChartSvg(
      [
        series(molSteps, 'step', 'loss', 'train loss'),
        series(molSteps, 'step', 'ce', 'train CE (feedback)'),
        series(molSteps, 'step', 'kl', 'train KL (decisions)'),
        series(molEvals, 'step', 'eval_ce', 'val CE'),
        series(molEvals, 'step', 'eval_kl', 'val KL'),
      ],
      { title: `MoL loss parts (mode ${config.mol.mode})`, xLabel: 'optimizer step', yLabel: 'loss' },
    ),
  );
  writeFileAtomicSync(
    join(plots, 'grpo-reward.svg'),
    lineChartSvg(
      [
        {
          ...series(grpo, 'step', 'reward', 'mean reward'),
          band: grpo.map((r) => [
            r.step as number,
            (r.reward as number) - (r.reward_std as number),
            (r.reward as number) + (r.reward_std as number),
          ]),
        },
        series(grpo, 'step', 'frac_reward_zero_std', 'groups with zero std'),
      ],
      {
        title: `GRPO reward (${config.grpo.lossType}, ${config.grpo.reward})`,
        xLabel: 'optimizer step',
        yLabel: 'reward',
      },
    ),
  );
  writeFileAtomicSync(
    join(plots, 'completion-lengths.svg'),
    lineChartSvg(
      [
        series(grpo, 'step', 'completions/mean_length', 'mean'),
        series(grpo, 'step', 'completions/min_length', 'min'),
        series(grpo, 'step', 'completions/max_length', 'max'),
      ],
      { title: 'GRPO completion lengths', xLabel: 'optimizer step', yLabel: 'tokens' },
    ),
  );

  const reports = readStageReports(run);
  const state = run.readState();
  const manifestPath = join(run.dataDir, 'manifest.json');
  const manifest = existsSync(manifestPath) ? JSON.parse(readFileSync(manifestPath, 'utf8')) : null;
  const lastMol = molSteps[molSteps.length - 1];
  const firstGrpo = grpo[0];
  const lastGrpo = grpo[grpo.length - 1];
  const seconds = Object.values(state.phases).reduce((a, p) => a + (p?.seconds ?? 0), 0);
  const md = [
    `# MoL-RL run`,
    '',
    `Model \`${config.model}\`, seed ${config.seed}. Phases finished: ${Object.keys(state.phases).join(', ') || 'none'} (${(seconds / 60).toFixed(1)} min in all). The resolved configuration is in \`config.json\`.`,
    '',
    "## Evaluation (pass@1, the paper's Table 1/2 shape)",
    '',
    reports.length ? evaluationTable(reports.map(([s, r]) => [STAGE_NAMES[s], r])) : '_No evaluation yet._',
    '',
    `Sampling: temperature ${config.eval.temperature}, top-p ${config.eval.topP}, top-k ${config.eval.topK}, presence penalty ${config.eval.presencePenalty}, at most ${config.eval.maxTokens} new tokens, ${config.eval.samples} sample(s) per item. CodeAgent-Test: ${config.data.evalTasks} held-out one-step tasks; their code runs in the sandbox and scores with the multi-stage reward (mean reward column); pass@1 counts only correct results.`,
    '',
    '## Data',
    '',
    manifest
      ? `${manifest.traces.train} training and ${manifest.traces.validation} validation agent traces (actions run in the sandbox; ${manifest.traces.correct} end with the right answer; ${manifest.traces.meanSteps.toFixed(1)} steps on average), ${manifest.grpoTasks.count} GRPO tasks, ${manifest.evalTasks.count} evaluation tasks.`
      : '_No data yet._',
    '',
    '## MoL continual training',
    '',
    lastMol
      ? `${molSteps.length} steps, mode \`${config.mol.mode}\`${config.mol.eetb ? ' + EETB' : ''}, LoRA r ${config.lora.r}. Last step: loss ${num(lastMol.loss)} (CE on feedback ${num(lastMol.ce)}, KL on decisions ${num(lastMol.kl)}).` +
        (molEvals.length
          ? ` Validation: CE ${num(molEvals[0]!.eval_ce)} → ${num(molEvals[molEvals.length - 1]!.eval_ce)}, KL ${num(molEvals[0]!.eval_kl)} → ${num(molEvals[molEvals.length - 1]!.eval_kl)}.`
          : '')
      : '_Not run._',
    '',
    '![MoL loss parts](plots/mol-loss.svg)',
    '',
    '## GRPO',
    '',
    lastGrpo && firstGrpo
      ? `${grpo.length} steps of ${config.grpo.lossType} with the ${config.grpo.reward} reward, ${config.grpo.numGenerations} completions per prompt, at most ${config.grpo.maxCompletionLength} tokens. Reward ${num(firstGrpo.reward)} (step ${firstGrpo.step}) → ${num(lastGrpo.reward)} (step ${lastGrpo.step}); ${rewardKey} ${num(lastGrpo[rewardKey])}; mean completion length ${num(firstGrpo['completions/mean_length'], 1)} → ${num(lastGrpo['completions/mean_length'], 1)} tokens.`
      : '_Not run._',
    '',
    '![GRPO reward](plots/grpo-reward.svg)',
    '',
    '![Completion lengths](plots/completion-lengths.svg)',
    '',
  ].join('\n');
  writeFileAtomicSync(run.path('report.md'), md);
  return md;
}
