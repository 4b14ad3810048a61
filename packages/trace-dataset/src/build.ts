/**
 * From a trace source to written splits: read (streaming), parse, filter out
 * traces that need external APIs, handle think blocks, label with the model's
 * tokenizer, apply the context policy, split by seed, write each split (JSONL or
 * Parquet) with `manifest.json` (counts, token statistics, options), the
 * Figure 2 statistics as SVG, and optionally `rejects.jsonl`.
 *
 * Memory: the kept traces (their messages and counts) are held until the
 * splits are written; the source files themselves are streamed. A trace's
 * length is counted before it is labelled, stopping past the context length,
 * so an over-long row costs its text, not its tokenization.
 */
import { join } from 'node:path';
import type { Tokenizer } from '@molrl/tokenize';
import { MetricsWriter, startProgress, writeFileAtomic, type ProgressOptions } from '@molrl/progress';
import { validateBuildOptions } from './build-options.js';
import { DEFAULT_MAX_LENGTH, fitContext, type ContextPolicy } from './context.js';
import { DEFAULT_EXTERNAL_API_RULE, externalApiUse, type ExternalApiRule } from './external-api.js';
import { labelCounts, labelTrace, renderTrace, type LabelTraceOptions } from './label.js';
import { splitEmbeddedObservations } from './messages.js';
import { readTraces, type TraceSource } from './read.js';
import { assignSplits, splitSizes, type SplitName, type SplitSizes } from './splits.js';
import { histogramSvg } from './svg.js';
import { applyThinkMode, type ThinkMode } from './think.js';
import type { TraceSchema } from './parse-trace.js';
import type { Trace } from './types.js';
import { writeJsonlAtomic, writeTraceRows, type TraceRow } from './write.js';

export interface BuildOptions {
  tokenizer: Tokenizer;
  outDir: string;
  schema?: TraceSchema;
  /** The external-API rule, or false to keep every trace (default: DEFAULT_EXTERNAL_API_RULE). */
  externalApi?: ExternalApiRule | false;
  /** Split observations written inside assistant turns into tool-response messages (default false). */
  splitObservations?: boolean;
  /** Default 'clear' (reasoning models); 'insert-empty' for non-reasoning ones; 'keep'. */
  think?: ThinkMode;
  label?: LabelTraceOptions;
  context?: ContextPolicy;
  splits?: Parameters<typeof splitSizes>[1];
  seed?: number;
  format?: 'jsonl' | 'parquet';
  /** 'skip' (default): count bad rows and go on; 'fail': stop at the first, naming its file, row and reason. */
  badRows?: 'skip' | 'fail';
  /** Write rejected rows (file, row, reason) to rejects.jsonl (default true). */
  writeRejects?: boolean;
  progress?: ProgressOptions;
  /** Append JSONL metrics here. */
  metricsPath?: string;
}

export interface TokenStats {
  traces: number;
  tokens: number;
  mean: number;
  median: number;
  p95: number;
  max: number;
  prompt: number;
  decision: number;
  feedback: number;
  glue: number;
  emptyThink: number;
  turnsMean: number;
}

export interface Manifest {
  format: 'jsonl' | 'parquet';
  files: Record<SplitName, string>;
  counts: {
    rows: number;
    rejected: number;
    external: number;
    overLengthDropped: number;
    truncated: number;
    kept: number;
    /** Content parts of the kept traces left out for carrying no text (images), by type. */
    nonTextParts: Record<string, number>;
  } & SplitSizes;
  rejectedReasons: Record<string, number>;
  tokens: Record<SplitName | 'all', TokenStats>;
  options: Record<string, unknown>;
}

interface Kept {
  trace: Trace;
  tokens: number;
  turns: number;
  counts: ReturnType<typeof labelCounts>;
}

/** The non-text parts the kept traces left out, summed by type. */
function nonTextPartCounts(kept: readonly Kept[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of kept)
    for (const [type, n] of Object.entries(k.trace.nonTextParts ?? {})) out[type] = (out[type] ?? 0) + n;
  return out;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function stats(items: Kept[]): TokenStats {
  const lengths = items.map((k) => k.tokens).sort((a, b) => a - b);
  const sum = (f: (k: Kept) => number) => items.reduce((a, k) => a + f(k), 0);
  const tokens = sum((k) => k.tokens);
  return {
    traces: items.length,
    tokens,
    mean: items.length ? tokens / items.length : 0,
    median: quantile(lengths, 0.5),
    p95: quantile(lengths, 0.95),
    max: lengths[lengths.length - 1] ?? 0,
    prompt: sum((k) => k.counts.prompt),
    decision: sum((k) => k.counts.decision),
    feedback: sum((k) => k.counts.feedback),
    glue: sum((k) => k.counts.glue),
    emptyThink: sum((k) => k.counts.emptyThink),
    turnsMean: items.length ? sum((k) => k.turns) / items.length : 0,
  };
}

/** A short class for a reject reason, for the manifest's counts ("messages[3].role: ..." -> "messages[].role"). */
function reasonClass(reason: string): string {
  return reason
    .replace(/\[\d+\]/g, '[]')
    .replace(/\(.*\)$/, '')
    .replace(/"[^"]*"/g, '"…"')
    .trim();
}

function toRow(k: Kept): TraceRow {
  const metaText = k.trace.meta.meta;
  let meta: Record<string, unknown> = { ...k.trace.meta };
  if (typeof metaText === 'string') {
    try {
      const parsed = JSON.parse(metaText) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        delete meta.meta;
        meta = { ...meta, ...(parsed as Record<string, unknown>) };
      }
    } catch {
      // not ours: keep as it is
    }
  }
  delete meta.id;
  return {
    id: k.trace.id,
    messages: k.trace.messages.map((m) => ({ role: m.role, content: m.content })),
    ...meta,
    n_tokens: k.tokens,
    n_turns: k.turns,
  };
}

export async function buildDataset(source: TraceSource, options: BuildOptions): Promise<Manifest> {
  validateBuildOptions(source, options);
  // Checked here too: fitContext would only see it after the first row was labelled.
  if (options.splits) splitSizes(0, options.splits, { checkOnly: true });
  const maxLength = options.context?.maxLength ?? DEFAULT_MAX_LENGTH;
  const overLength = options.context?.overLength ?? 'drop';
  const rule = options.externalApi === undefined ? DEFAULT_EXTERNAL_API_RULE : options.externalApi;
  const think = options.think ?? 'clear';
  const format = options.format ?? 'jsonl';
  const seed = options.seed ?? 0;
  const metrics = options.metricsPath ? new MetricsWriter(options.metricsPath) : null;
  const decisionRoles = options.schema?.decisionRoles ?? ['assistant', 'tool-call'];
  const progress = startProgress('traces', 0, { unit: 'rows', ...options.progress });

  const kept: Kept[] = [];
  const rejects: Array<{ file: string; row: number; reason: string }> = [];
  const reasons: Record<string, number> = {};
  let rows = 0;
  let external = 0;
  let dropped = 0;
  let truncated = 0;
  for await (const event of readTraces(source, options.schema)) {
    rows++;
    try {
      if (event.kind === 'rejected') {
        if (options.badRows === 'fail') throw new Error(`${event.file}: row ${event.row}: ${event.reason}`);
        rejects.push({ file: event.file, row: event.row, reason: event.reason });
        const c = reasonClass(event.reason);
        reasons[c] = (reasons[c] ?? 0) + 1;
        continue;
      }
      const trace = event.trace;
      if (rule) {
        const verdict = externalApiUse(trace, rule);
        if (verdict.external) {
          external++;
          continue;
        }
      }
      const assistantRoles = decisionRoles.filter((r) => r !== 'tool-call');
      const split = options.splitObservations
        ? splitEmbeddedObservations(trace.messages, assistantRoles)
        : trace.messages;
      const messages = applyThinkMode(split, think, assistantRoles);
      let labelled;
      let overLong = false;
      try {
        // The length first, without labelling: counting stops past maxLength, and a text too long to fit
        // is known from its bytes without being tokenized, so memory follows the limit, not the row.
        const tokens = options.tokenizer.countTokens(renderTrace(messages, options.tokenizer, options.label), {
          limit: maxLength,
          addSpecialTokens: false,
        });
        overLong = tokens > maxLength;
        if (overLong && overLength === 'drop') {
          dropped++;
          continue;
        }
        labelled = labelTrace(
          messages,
          options.tokenizer,
          overLong ? { ...options.label, maxTokens: maxLength } : options.label,
        );
      } catch (err) {
        const reason = `cannot render: ${(err as Error).message}`;
        if (options.badRows === 'fail') throw new Error(`${event.file}: row ${event.row}: ${reason}`, { cause: err });
        rejects.push({ file: event.file, row: event.row, reason });
        reasons[reasonClass(reason)] = (reasons[reasonClass(reason)] ?? 0) + 1;
        continue;
      }
      const fitted = fitContext(labelled, options.context);
      if (!fitted) {
        dropped++;
        continue;
      }
      if (overLong || fitted !== labelled) truncated++;
      kept.push({
        trace: { ...trace, messages },
        tokens: fitted.ids.length,
        turns: trace.steps.length,
        counts: labelCounts(fitted),
      });
    } finally {
      // The total grows as the stream is read (its length is not known up front).
      progress.setTotal(rows);
      progress.update(rows, `kept ${kept.length}`);
    }
  }
  progress.stop();

  let sizes: SplitSizes;
  try {
    sizes = splitSizes(kept.length, options.splits);
  } catch (error) {
    // The count the sizes are short of is what the build kept: say what the rest became.
    throw new RangeError(
      `buildDataset: ${(error as Error).message}: ${kept.length} of ${rows} rows kept (${rejects.length} rejected, ${external} using external APIs, ${dropped} over maxLength dropped)`,
      { cause: error },
    );
  }
  const assignment = assignSplits(kept.length, sizes, seed);
  const bySplit: Record<SplitName, Kept[]> = { train: [], validation: [], test: [] };
  assignment.forEach((s, i) => {
    if (s) bySplit[s].push(kept[i]!);
  });
  const ext = format === 'parquet' ? 'parquet' : 'jsonl';
  const files = { train: `train.${ext}`, validation: `validation.${ext}`, test: `test.${ext}` };
  for (const name of ['train', 'validation', 'test'] as const) {
    await writeTraceRows(join(options.outDir, files[name]), bySplit[name].map(toRow), format);
  }
  if (options.writeRejects ?? true) await writeJsonlAtomic(join(options.outDir, 'rejects.jsonl'), rejects);

  const all = kept;
  await writeFileAtomic(
    join(options.outDir, 'token-counts.svg'),
    histogramSvg(
      all.map((k) => k.tokens),
      { title: 'Token count per trace', xLabel: 'tokens', bins: 30 },
    ),
  );
  await writeFileAtomic(
    join(options.outDir, 'dialogue-turns.svg'),
    histogramSvg(
      all.map((k) => k.turns),
      { title: 'Dialogue turns per trace', xLabel: 'turns (decision + feedback steps)', integerBins: true },
    ),
  );
  const manifest: Manifest = {
    format,
    files,
    counts: {
      rows,
      rejected: rejects.length,
      external,
      overLengthDropped: dropped,
      truncated,
      kept: kept.length,
      nonTextParts: nonTextPartCounts(kept),
      ...sizes,
    },
    rejectedReasons: reasons,
    tokens: {
      all: stats(all),
      train: stats(bySplit.train),
      validation: stats(bySplit.validation),
      test: stats(bySplit.test),
    },
    options: {
      source:
        typeof source === 'string'
          ? source
          : {
              repo: source.repo,
              revision: source.revision ?? 'main',
              files: typeof source.files === 'string' ? source.files : undefined,
            },
      schema: options.schema ?? {},
      externalApi: rule ? { ...rule, networkObservations: rule.networkObservations.map((r) => r.source) } : false,
      think,
      splitObservations: options.splitObservations ?? false,
      label: options.label ?? {},
      context: { maxLength: options.context?.maxLength ?? 8192, overLength: options.context?.overLength ?? 'drop' },
      splits: options.splits ?? 'default',
      badRows: options.badRows ?? 'skip',
      seed,
      format,
    },
  };
  await writeFileAtomic(join(options.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  metrics?.write({
    event: 'build',
    rows,
    rejected: rejects.length,
    external,
    dropped,
    truncated,
    kept: kept.length,
    tokens: manifest.tokens.all.tokens,
  });
  return manifest;
}
