/**
 * The one row shape every benchmark writes, so a single script can compare
 * runs and draw plots: benchmarks/results/<benchmark>.json is an array of rows.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '@molrl/progress';

export interface ResultRow {
  /** What was measured, e.g. "matmul-f32". */
  case: string;
  /** Which implementation, e.g. "cpu", "gpujs-cpu", "tfjs", "tfjs-wasm". */
  impl: string;
  /** The problem size (matrix side, vocabulary size, token count...). */
  size: number;
  value: number;
  /** e.g. "GFLOP/s", "ms", "tokens/s", "MB". */
  unit: string;
  /** ISO date of the run. */
  date: string;
  /** The machine: CPU model and core count, or the GPU adapter's name. */
  machine: string;
}

export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function machineName(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? 'unknown CPU'} x${c.length}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

/** The machine of a backend's rows: a GPU adapter's name where it has one, else this host's CPU. */
export function backendMachine(backend: object): string {
  return (backend as { adapterName?: string }).adapterName ?? machineName();
}

export function row(
  fields: Omit<ResultRow, 'date' | 'machine'> & Partial<Pick<ResultRow, 'date' | 'machine'>>,
): ResultRow {
  return { date: new Date().toISOString(), machine: machineName(), ...fields };
}

/**
 * Write rows to benchmarks/results/<name>.json atomically. Rows of the same
 * (case, impl, size, machine) replace older ones; other rows are kept, so runs on
 * different machines (a laptop, a GPU box) accumulate in one file.
 */
export function writeResults(name: string, rows: ResultRow[]): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, `${name}.json`);
  let existing: ResultRow[];
  try {
    existing = JSON.parse(readFileSync(path, 'utf8')) as ResultRow[];
  } catch {
    existing = [];
  }
  const id = (r: ResultRow) => `${r.case}\u0000${r.impl}\u0000${r.size}\u0000${r.machine}`;
  const fresh = new Set(rows.map(id));
  const merged = [...existing.filter((r) => !fresh.has(id(r))), ...rows];
  writeFileAtomicSync(path, JSON.stringify(merged, null, 2) + '\n');
  return path;
}

/** Print rows as an aligned table. */
export function printTable(rows: ResultRow[]): void {
  const cols = ['case', 'impl', 'size', 'value', 'unit'] as const;
  const cells = rows.map((r) => cols.map((c) => (c === 'value' ? formatValue(r.value) : String(r[c]))));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ');
  console.log(line([...cols]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}

function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
