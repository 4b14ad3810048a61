/**
 * report.md of a run: the evaluation in the paper's table shape (one row per
 * stage: Base, +MoL, +MoL+GRPO) with 95% intervals, the classic / depot
 * split, the general-ability probe, each stage against Base as a paired
 * difference over the same tasks, the training summaries, and SVG plots of
 * the MoL loss parts, the GRPO reward and the completion lengths, all read
 * back from the run folder's files.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { wilsonInterval, type EvaluationReport } from '@molrl/bench-math';
import { readMetrics, writeFileAtomicSync, type MetricRecord } from '@molrl/progress';
import type { PipelineConfig } from '../config.js';
import type { Stage } from '../load.js';
import type { RunFolder } from '../run-folder.js';
import { readDataManifest } from '../phases/data-records.js';
import { STAGE_NAMES } from '../phases/eval.js';
import { readStageReport } from '../phases/eval-records.js';
import { formatDifference, formatInterval, pairedDifference, rateInterval, stageResults } from './intervals.js';
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

/**
 * The evaluation with intervals, one row per evaluated stage: CodeAgent-Test
 * pass@1 (all tasks, classic kinds, depot kinds) with 95% intervals, the mean
 * reward, MATH-500 pass@1, and the probe's held-out NLL; then each later stage
 * against Base, paired task by task.
 */
export function intervalTables(run: RunFolder, reports: Array<[Stage, EvaluationReport]>): string {
  const rows = reports.map(([stage, report]) => {
    const results = stageResults([run], stage);
    const math = report.results.find((r) => /MATH/.test(r.suite));
    const code = report.results.find((r) => /CodeAgent/.test(r.suite));
    return {
      stage,
      report,
      all: results.all,
      classic: results.classic,
      depot: results.depot,
      meanReward: code?.meanScore,
      math,
      probe: results.probes[0] ?? null,
      knowledge: results.knowledge,
    };
  });
  const head =
    '| Model | CodeAgent-Test pass@1 (%) | classic kinds | depot kinds | mean reward | MATH-500 pass@1 (%) | probe NLL | depot answer NLL |';
  const lines = [head, '|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const r of rows) {
    const mathCell = r.math
      ? formatInterval(wilsonInterval(Math.round(r.math.pass1 * r.math.items), Math.max(1, r.math.items)), true)
      : '–';
    lines.push(
      `| ${STAGE_NAMES[r.stage]} | ${r.all ? formatInterval(rateInterval(r.all), true) : pct(r.report.results.find((x) => /CodeAgent/.test(x.suite))?.pass1)} | ${r.classic ? formatInterval(rateInterval(r.classic), true) : '–'} | ${r.depot ? formatInterval(rateInterval(r.depot), true) : '–'} | ${num(r.meanReward)} | ${mathCell} | ${r.probe ? r.probe.nll.toFixed(3) : '–'} | ${r.knowledge ? formatInterval(rateInterval(r.knowledge), false) : '–'} |`,
    );
  }
  const base = rows.find((r) => r.stage === 'base');
  const later = rows.filter((r) => r.stage !== 'base');
  if (base?.all && later.length) {
    lines.push(
      '',
      'Against Base, paired over the same tasks (a difference in bold with ↑ or ↓ is resolved: its 95% interval excludes 0):',
      '',
      '| Model | Δ pass@1 (points) | Δ classic | Δ depot | Δ probe NLL | Δ depot answer NLL |',
      '|---|---:|---:|---:|---:|---:|',
    );
    for (const r of later) {
      const probe =
        r.probe && base.probe && r.probe.perDocument.length === base.probe.perDocument.length
          ? formatDifference(
              pairedDifference(
                { ids: r.probe.perDocument.map((_, i) => String(i)), values: r.probe.perDocument.map((v) => [v]) },
                {
                  ids: base.probe.perDocument.map((_, i) => String(i)),
                  values: base.probe.perDocument.map((v) => [v]),
                },
              ),
              false,
            )
          : '–';
      lines.push(
        `| ${STAGE_NAMES[r.stage]} | ${formatDifference(r.all && pairedDifference(r.all, base.all), true)} | ${formatDifference(r.classic && base.classic && pairedDifference(r.classic, base.classic), true)} | ${formatDifference(r.depot && base.depot && pairedDifference(r.depot, base.depot), true)} | ${probe} | ${formatDifference(r.knowledge && base.knowledge && pairedDifference(r.knowledge, base.knowledge), false)} |`,
      );
    }
  }
  return lines.join('\n');
}

export function readStageReports(run: RunFolder): Array<[Stage, EvaluationReport]> {
  return (['base', 'mol', 'grpo'] as Stage[]).flatMap((s): Array<[Stage, EvaluationReport]> => {
    const report = readStageReport(run, s);
    return report ? [[s, report]] : [];
  });
}

/**
 * Write plots/<name> when its phase has metrics, and return its path for the
 * report; otherwise remove one left from before (a phase run again with
 * --force) and return null: a report shows no empty or stale chart.
 */
function writePlot(plots: string, name: string, hasData: boolean, svg: () => string): string | null {
  const path = join(plots, name);
  if (!hasData) {
    rmSync(path, { force: true });
    return null;
  }
  writeFileAtomicSync(path, svg());
  return `plots/${name}`;
}

export function writeRunReport(run: RunFolder, config: PipelineConfig): string {
  // Every file is read (and checked) before anything is written: a damaged one leaves no half-made report.
  const state = run.readState();
  const reports = readStageReports(run);
  const manifest = readDataManifest(run);
  const mol = metricsOf(join(run.molDir, 'metrics.jsonl'));
  const molSteps = mol.filter((r) => typeof r.loss === 'number');
  const molEvals = mol.filter((r) => typeof r.eval_loss === 'number');
  const grpo = metricsOf(join(run.grpoDir, 'metrics.jsonl')).filter((r) => typeof r.reward === 'number');
  const rewardKey = config.grpo.reward === 'binary' ? 'rewards/binary/mean' : 'rewards/multi_stage/mean';
  const evaluation = reports.length ? intervalTables(run, reports) : '_No evaluation yet._';
  const plots = run.path('plots');
  mkdirSync(plots, { recursive: true });

  const molPlot = writePlot(plots, 'mol-loss.svg', molSteps.length > 0, () =>
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
  const rewardPlot = writePlot(plots, 'grpo-reward.svg', grpo.length > 0, () =>
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
  const lengthsPlot = writePlot(plots, 'completion-lengths.svg', grpo.length > 0, () =>
    lineChartSvg(
      [
        series(grpo, 'step', 'completions/mean_length', 'mean'),
        series(grpo, 'step', 'completions/min_length', 'min'),
        series(grpo, 'step', 'completions/max_length', 'max'),
      ],
      { title: 'GRPO completion lengths', xLabel: 'optimizer step', yLabel: 'tokens' },
    ),
  );

  const lastMol = molSteps[molSteps.length - 1];
  // A GRPO step's reward is over one batch of prompts (a few groups), so the text compares the
  // means of the first and last quarter of the steps rather than two single steps.
  const window = Math.max(1, Math.ceil(grpo.length / 4));
  const firstSteps = grpo.slice(0, window);
  const lastSteps = grpo.slice(-window);
  const stepRange = (rs: readonly MetricRecord[]) =>
    rs.length > 1 ? `steps ${rs[0]!.step}–${rs[rs.length - 1]!.step}` : `step ${rs[0]!.step}`;
  const meanOf = (rs: readonly MetricRecord[], key: string) => {
    const xs = rs.map((r) => r[key]).filter((x): x is number => typeof x === 'number');
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined;
  };
  const seconds = Object.values(state.phases).reduce((a, p) => a + (p?.seconds ?? 0), 0);
  const md = [
    `# MoL-RL run`,
    '',
    `Model \`${config.model}\`, seed ${config.seed}. Phases finished: ${Object.keys(state.phases).join(', ') || 'none'} (${(seconds / 60).toFixed(1)} min in all). The resolved configuration is in \`config.json\`.`,
    '',
    "## Evaluation (pass@1, the paper's Table 1/2 shape)",
    '',
    evaluation,
    '',
    `Sampling: temperature ${config.eval.temperature}, top-p ${config.eval.topP}, top-k ${config.eval.topK}, presence penalty ${config.eval.presencePenalty}, at most ${config.eval.maxTokens} new tokens, ${config.eval.samples} sample(s) per item. CodeAgent-Test: ${config.data.evalTasks} held-out one-step tasks of the ${config.data.evalSet} set (classic and depot kinds); the model writes \`solve\`, the harness calls it on the task's input in the sandbox, and the multi-stage reward scores it (mean reward column); pass@1 counts only correct results. Intervals are 95%: Wilson's for one sample per task, else a bootstrap over tasks. Probe NLL: mean negative log-likelihood per answer token (nats) of ${config.data.probeDocuments} held-out documents of the pretraining distribution, text no phase trains on (lower is better; a rise is general ability lost). Depot answer NLL: the same for the correct answer of each depot evaluation task (the library's current API), how much of the API the model has taken in even where its samples still fail.`,
    '',
    '## Data',
    '',
    manifest
      ? `${manifest.traces.train} training and ${manifest.traces.validation} validation agent traces (actions run in the sandbox; ${manifest.traces.depot ?? 0} of depot tasks, whose feedback states the library's current API; ${manifest.traces.correct} end with the right answer; ${manifest.traces.meanSteps.toFixed(1)} steps on average), ${manifest.grpoTasks.count} GRPO tasks, ${manifest.evalTasks.count} evaluation tasks.`
      : '_No data yet._',
    '',
    '## MoL continual training',
    '',
    lastMol
      ? `${molSteps.length} steps, mode \`${config.mol.mode}\`${config.mol.eetb ? ' + EETB' : ''}${config.mol.normalization !== 'separate' || config.mol.klWeight !== 1 ? `, normalisation \`${config.mol.normalization}\`, KL weight ${config.mol.klWeight}` : ''}, LoRA r ${config.lora.r}. Last step: loss ${num(lastMol.loss)} (CE on feedback ${num(lastMol.ce)}, KL on decisions ${num(lastMol.kl)}).` +
        (molEvals.length
          ? ` Validation: CE ${num(molEvals[0]!.eval_ce)} → ${num(molEvals[molEvals.length - 1]!.eval_ce)}, KL ${num(molEvals[0]!.eval_kl)} → ${num(molEvals[molEvals.length - 1]!.eval_kl)}.`
          : '')
      : '_Not run._',
    '',
    ...(molPlot ? [`![MoL loss parts](${molPlot})`, ''] : []),
    '## GRPO',
    '',
    grpo.length
      ? `${grpo.length} steps of ${config.grpo.lossType} with the ${config.grpo.reward} reward, ${config.grpo.numGenerations} completions per prompt, at most ${config.grpo.maxCompletionLength} tokens. Mean reward ${num(meanOf(firstSteps, 'reward'))} over ${stepRange(firstSteps)} → ${num(meanOf(lastSteps, 'reward'))} over ${stepRange(lastSteps)} (${rewardKey} ${num(meanOf(lastSteps, rewardKey))}); mean completion length ${num(meanOf(firstSteps, 'completions/mean_length'), 1)} → ${num(meanOf(lastSteps, 'completions/mean_length'), 1)} tokens. Each step scores a new batch of prompts, so single steps vary widely (the plot).`
      : '_Not run._',
    '',
    ...(rewardPlot ? [`![GRPO reward](${rewardPlot})`, ''] : []),
    ...(lengthsPlot ? [`![Completion lengths](${lengthsPlot})`, ''] : []),
  ].join('\n');
  writeFileAtomicSync(run.path('report.md'), md);
  return md;
}
