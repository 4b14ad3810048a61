/**
 * Compare benchmark runs: reads every benchmarks/results/*.json (rows in the
 * shared shape), prints one Markdown table per (file, case, unit) with sizes as
 * rows and implementations as columns (latest row per machine), and with --svg
 * writes a log-log line chart per case to benchmarks/results/plots/.
 *
 *   node --import tsx benchmarks/report.ts [--svg] [--machine SUBSTRING]
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, type ResultRow } from './lib/results.js';

const args = process.argv.slice(2);
const wantSvg = args.includes('--svg');
const machineIdx = args.indexOf('--machine');
const machineFilter = machineIdx >= 0 ? args[machineIdx + 1] : undefined;

interface Group {
  file: string;
  case: string;
  unit: string;
  rows: ResultRow[];
}

function loadGroups(): Group[] {
  const groups = new Map<string, Group>();
  for (const name of readdirSync(RESULTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const path = join(RESULTS_DIR, name);
    let rows: ResultRow[];
    try {
      rows = JSON.parse(readFileSync(path, 'utf8')) as ResultRow[];
    } catch (error) {
      throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
    if (!Array.isArray(rows)) throw new Error(`${path}: expected an array of result rows`);
    rows.forEach((r, i) => {
      for (const field of ['case', 'impl', 'size', 'value', 'unit', 'date', 'machine'] as const) {
        if (r[field] === undefined) throw new Error(`${path}: row ${i} has no "${field}"`);
      }
    });
    for (const r of rows) {
      if (machineFilter && !r.machine.includes(machineFilter)) continue;
      const key = `${name}\u0000${r.case}\u0000${r.unit}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { file: name, case: r.case, unit: r.unit, rows: [] }));
      g.rows.push(r);
    }
  }
  return [...groups.values()];
}

/** Column label: the implementation, with the machine when a group spans several. */
function columnOf(r: ResultRow, multiMachine: boolean): string {
  return multiMachine ? `${r.impl} @ ${r.machine.split(/[,(]/)[0]!.trim()}` : r.impl;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

function table(g: Group): { columns: string[]; sizes: number[]; cell: Map<string, ResultRow> } {
  const multiMachine = new Set(g.rows.map((r) => r.machine)).size > 1;
  const cell = new Map<string, ResultRow>();
  for (const r of g.rows) {
    const key = `${r.size}\u0000${columnOf(r, multiMachine)}`;
    const prev = cell.get(key);
    if (!prev || prev.date < r.date) cell.set(key, r);
  }
  const columns = [...new Set(g.rows.map((r) => columnOf(r, multiMachine)))];
  const sizes = [...new Set(g.rows.map((r) => r.size))].sort((a, b) => a - b);
  return { columns, sizes, cell };
}

function svgChart(g: Group, t: ReturnType<typeof table>): string {
  const W = 640,
    H = 400,
    L = 70,
    R = 190,
    T = 30,
    B = 50;
  const pts = [...t.cell.values()].filter((r) => r.value > 0 && r.size > 0);
  if (pts.length === 0) return '';
  const lx = (v: number) => Math.log10(v);
  const xs = pts.map((r) => lx(r.size)),
    ys = pts.map((r) => lx(r.value));
  let [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.floor(Math.min(...ys)), Math.ceil(Math.max(...ys))];
  if (x1 === x0) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (y1 === y0) {
    y0 -= 1;
    y1 += 1;
  }
  const px = (s: number) => L + ((lx(s) - x0) / (x1 - x0)) * (W - L - R);
  const py = (v: number) => H - B - ((lx(v) - y0) / (y1 - y0)) * (H - T - B);
  const colors = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#7f7f7f',
    '#bcbd22',
    '#17becf',
  ];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="18" font-size="14">${g.case} (${g.unit}), log-log</text>`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="black"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="black"/>`,
  ];
  for (const s of t.sizes) parts.push(`<text x="${px(s)}" y="${H - B + 16}" text-anchor="middle">${s}</text>`);
  for (let e = y0; e <= y1; e++) {
    const y = py(10 ** e);
    parts.push(
      `<line x1="${L - 4}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#ddd"/><text x="${L - 8}" y="${y + 4}" text-anchor="end">1e${e}</text>`,
    );
  }
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">size</text>`);
  t.columns.forEach((c, i) => {
    const color = colors[i % colors.length]!;
    const series = t.sizes.map((s) => t.cell.get(`${s}\u0000${c}`)).filter((r): r is ResultRow => !!r && r.value > 0);
    if (series.length === 0) return;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${series.map((r) => `${px(r.size)},${py(r.value)}`).join(' ')}"/>`,
    );
    for (const r of series) parts.push(`<circle cx="${px(r.size)}" cy="${py(r.value)}" r="3" fill="${color}"/>`);
    parts.push(
      `<text x="${W - R + 10}" y="${T + 14 * i + 10}" fill="${color}">${c.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

const groups = loadGroups();
if (wantSvg) mkdirSync(join(RESULTS_DIR, 'plots'), { recursive: true });
for (const g of groups) {
  const t = table(g);
  console.log(`\n### ${g.file}: ${g.case} (${g.unit})\n`);
  console.log(`| size | ${t.columns.join(' | ')} |`);
  console.log(`|---|${t.columns.map(() => '---').join('|')}|`);
  for (const s of t.sizes) {
    console.log(
      `| ${s} | ${t.columns
        .map((c) => {
          const r = t.cell.get(`${s}\u0000${c}`);
          return r ? fmt(r.value) : '';
        })
        .join(' | ')} |`,
    );
  }
  if (wantSvg) {
    const svg = svgChart(g, t);
    if (svg)
      writeFileSync(
        join(
          RESULTS_DIR,
          'plots',
          `${g.file.replace(/\.json$/, '')}-${g.case}-${g.unit}`.replace(/[^a-z0-9.-]+/gi, '_') + '.svg',
        ),
        svg,
      );
  }
}
