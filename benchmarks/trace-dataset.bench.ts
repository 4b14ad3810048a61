/**
 * Traces per second from a Parquet file to packed, labelled ids with Qwen3's
 * tokenizer: stream the row groups, parse each trace, apply the external-API
 * rule and think-block clearing, labelTrace (chat template + per-token labels +
 * EETB marks), the context policy, and first-fit packing into 8192-token rows.
 * The traces are the environment's own (really executed in the sandbox),
 * generated once per (count, seed) and kept in the OS temp folder.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/trace-dataset.bench.ts [--traces 200]
 *
 * Rows: case "traces-to-ids", impl "molrl" (the whole path) and
 * "molrl-encodeChat-only" (rendering and tokenizing alone, for scale), size =
 * traces, unit "traces/s".
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { Tokenizer } from '@molrl/tokenize';
import {
  applyThinkMode,
  externalApiUse,
  fitContext,
  generateTraces,
  mapRoles,
  packTraces,
  readTraces,
  labelTrace,
  writeTraceRows,
  type LabelledTrace,
  type Trace,
} from '@molrl/trace-dataset';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

const flag = process.argv.indexOf('--traces');
const count = flag >= 0 ? Number(process.argv[flag + 1]) : 200;
const seed = 1;
const path = join(tmpdir(), `molrl-trace-bench-${count}-${seed}.parquet`);

if (!existsSync(path)) {
  console.log(`generating ${count} environment traces (sandbox) -> ${path}`);
  const traces = await generateTraces({ count, seed, progress: { mode: 'lines' } });
  await writeTraceRows(path, traces, 'parquet');
}

const tok = Tokenizer.qwen3();
const padId = tok.tokenToId('<|endoftext|>') ?? 0;

async function readAll(): Promise<Trace[]> {
  const out: Trace[] = [];
  for await (const e of readTraces(path, { idColumn: 'id' })) if (e.kind === 'trace') out.push(e.trace);
  return out;
}

let packedRows = 0;
let tokens = 0;
async function fullPath(): Promise<void> {
  const labelled: LabelledTrace[] = [];
  for await (const e of readTraces(path, { idColumn: 'id' })) {
    if (e.kind !== 'trace' || externalApiUse(e.trace).external) continue;
    const l = fitContext(labelTrace(applyThinkMode(e.trace.messages, 'clear'), tok), {
      maxLength: 8192,
      overLength: 'truncate',
    });
    if (l) labelled.push(l);
  }
  const rows = packTraces(labelled, { rowLength: 8192, padId });
  packedRows = rows.length;
  tokens = labelled.reduce((a, l) => a + l.ids.length, 0);
}

const parsed = await readAll();
if (parsed.length !== count) throw new Error(`expected ${count} traces in ${path}, read ${parsed.length}`);
async function encodeOnly(): Promise<void> {
  for (const t of parsed) tok.encodeChat(mapRoles(applyThinkMode(t.messages, 'clear')).messages);
}

const bench = new Bench({ iterations: 5, warmupIterations: 1, time: 0 });
bench.add('molrl', fullPath).add('molrl-encodeChat-only', encodeOnly);
await bench.run();

const results: ResultRow[] = bench.tasks.map((task) => {
  const r = task.result as { latency?: { mean: number }; period?: number } | undefined;
  const ms = r?.latency?.mean ?? r?.period;
  if (!ms) throw new Error(`${task.name}: no result`);
  return row({ case: 'traces-to-ids', impl: task.name, size: count, value: count / (ms / 1000), unit: 'traces/s' });
});
console.log(`${count} traces, ${tokens} tokens, ${packedRows} packed rows of 8192`);
printTable(results);
writeResults('trace-dataset', results);
