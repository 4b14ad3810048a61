/**
 * Phase `mol`: MoL continual training of a LoRA adapter on the run's traces
 * (CE on feedback, KL to the adapter-off base on decisions, or the CE /
 * CE_NoKL ablations), resuming from the phase's latest checkpoint; the final
 * adapter goes to mol/adapter (PEFT format).
 */
import { applyLora } from '@molrl/lora';
import { trainMol, type TrainingRow } from '@molrl/mol-loss';
import type { Tokenizer } from '@molrl/tokenize';
import { labelTrace } from '@molrl/trace-dataset';
import type { PipelineConfig } from '../config.js';
import { compactTrace } from '../env-text.js';
import { loadBase } from '../load.js';
import type { RunFolder } from '../run-folder.js';
import type { TraceRecord } from './data.js';
import { readTraceRecords } from './data-records.js';
import type { PhaseRunOptions } from './run-options.js';

export type { ProgressMode } from '@molrl/progress';

/** Traces to labelled training rows, cut at maxTokens. */
export function traceRows(traces: readonly TraceRecord[], tokenizer: Tokenizer, maxTokens: number): TrainingRow[] {
  return traces.map((t) => {
    const labelled = labelTrace(compactTrace(t.messages), tokenizer);
    const n = Math.min(maxTokens, labelled.ids.length);
    return {
      ids: labelled.ids.slice(0, n),
      labels: labelled.labels.slice(0, n),
      emptyThink: labelled.emptyThink.slice(0, n),
    };
  });
}

export interface MolSummary {
  steps: number;
  trainRows: number;
  validationRows: number;
  lastLoss: number | null;
}

export async function runMol(
  run: RunFolder,
  config: PipelineConfig,
  options: PhaseRunOptions = {},
): Promise<MolSummary> {
  const { progress = 'auto', signal } = options;
  const { model, tokenizer } = await loadBase(config.model);
  const traces = readTraceRecords(run);
  const train = traceRows(
    traces.filter((t) => t.split === 'train'),
    tokenizer,
    config.data.maxTokens,
  );
  const validation = traceRows(
    traces.filter((t) => t.split === 'validation'),
    tokenizer,
    config.data.maxTokens,
  );
  const lora = applyLora(model, { ...config.lora, seed: config.seed, baseModelName: config.model });
  const m = config.mol;
  let result: Awaited<ReturnType<typeof trainMol>>;
  try {
    result = await trainMol({
      model,
      lora,
      train,
      validation,
      config: {
        outputDir: run.molDir,
        mode: m.mode,
        eetb: m.eetb,
        normalization: m.normalization,
        klWeight: m.klWeight,
        learningRate: m.learningRate,
        maxSteps: m.maxSteps,
        microBatchSize: m.microBatchSize,
        globalBatchSize: m.globalBatchSize,
        saveSteps: m.saveSteps,
        evalSteps: m.evalSteps,
        warmupRatio: 0.1,
        seed: config.seed,
        progress,
      },
      resumeFromCheckpoint: true,
      ...(signal ? { signal } : {}),
    });
    await lora.save(run.adapterDir('mol'));
  } finally {
    model.dispose();
  }
  const last = result.steps[result.steps.length - 1];
  return {
    steps: m.maxSteps,
    trainRows: train.length,
    validationRows: validation.length,
    lastLoss: last ? last.loss : null,
  };
}
