/** Plain SVG histograms (axes, ticks, labels) for the paper's Figure 2 statistics. */

export interface HistogramOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  /** Number of bins for continuous data (default 20); ignored when `integerBins`. */
  bins?: number;
  /** One bin per integer value (dialogue turns). */
  integerBins?: boolean;
  width?: number;
  height?: number;
}

export interface Bin {
  lo: number;
  hi: number;
  count: number;
}

/** Past this many integer values, integer bins would be one per value of a huge range: regular bins instead. */
const MAX_INTEGER_BINS = 500;

export function histogramBins(values: number[], options: Pick<HistogramOptions, 'bins' | 'integerBins'> = {}): Bin[] {
  if (!Array.isArray(values)) throw new TypeError('histogramBins: values must be an array of numbers');
  const bad = values.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`histogramBins: values[${bad}] is ${String(values[bad])}, not a finite number`);
  if (options.bins !== undefined && !(Number.isInteger(options.bins) && options.bins >= 1))
    throw new RangeError(`histogramBins: bins must be an integer >= 1, got ${String(options.bins)}`);
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (options.integerBins && Math.floor(max) - Math.floor(min) < MAX_INTEGER_BINS) {
    const bins: Bin[] = [];
    for (let v = Math.floor(min); v <= Math.floor(max); v++) bins.push({ lo: v, hi: v + 1, count: 0 });
    for (const v of values) bins[Math.floor(v) - Math.floor(min)]!.count++;
    return bins;
  }
  const n = Math.max(1, options.bins ?? 20);
  const width = max > min ? (max - min) / n : 1;
  const bins: Bin[] = Array.from({ length: n }, (_, i) => ({
    lo: min + i * width,
    hi: min + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) bins[Math.min(n - 1, Math.floor((v - min) / width))]!.count++;
  return bins;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  Math.abs(v) >= 10000 ? `${Math.round(v / 1000)}k` : Number.isInteger(v) ? String(v) : v.toFixed(1);

export function histogramSvg(values: number[], options: HistogramOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const m = { left: 64, right: 20, top: 40, bottom: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const bins = histogramBins(values, options);
  const lo = bins.length ? bins[0]!.lo : 0;
  const hi = bins.length ? bins[bins.length - 1]!.hi : 1;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const yTicks = niceTicks(0, maxCount).filter((t) => Number.isInteger(t));
  const yMax = Math.max(maxCount, yTicks[yTicks.length - 1] ?? maxCount);
  const x = (v: number) => m.left + ((v - lo) / (hi - lo || 1)) * plotW;
  const y = (c: number) => m.top + plotH - (c / yMax) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`,
  );
  for (const b of bins) {
    const x0 = x(b.lo);
    const w = Math.max(0, x(b.hi) - x0 - 1);
    parts.push(
      `<rect class="bar" x="${x0.toFixed(2)}" y="${y(b.count).toFixed(2)}" width="${w.toFixed(2)}" height="${(y(0) - y(b.count)).toFixed(2)}" fill="#4c72b0"><title>${fmt(b.lo)}–${fmt(b.hi)}: ${b.count}</title></rect>`,
    );
  }
  parts.push(`<line x1="${m.left}" y1="${y(0)}" x2="${m.left + plotW}" y2="${y(0)}" stroke="black"/>`);
  parts.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${y(0)}" stroke="black"/>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.left - 5}" y1="${y(t)}" x2="${m.left}" y2="${y(t)}" stroke="black"/>`);
    parts.push(`<text x="${m.left - 8}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  const xTicks = options.integerBins
    ? bins.map((b) => b.lo).filter((_, i, a) => a.length <= 20 || i % Math.ceil(a.length / 20) === 0)
    : niceTicks(lo, hi, 6);
  for (const t of xTicks) {
    const px = options.integerBins ? x(t + 0.5) : x(t);
    parts.push(`<line x1="${px}" y1="${y(0)}" x2="${px}" y2="${y(0) + 5}" stroke="black"/>`);
    parts.push(`<text x="${px}" y="${y(0) + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${m.left + plotW / 2}" y="${height - 14}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel ?? 'traces')}</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
