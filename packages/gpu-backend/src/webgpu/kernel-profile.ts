/**
 * Device time per kernel, from WebGPU timestamp queries: while a profile is
 * open, the backend gives every dispatch a compute pass of its own whose
 * beginning and end write timestamps, resolves them at each submission, and
 * sums them here by shader. The passes cost some time of their own (a dispatch
 * can no longer overlap the next), so a profiled run is slower than an
 * unprofiled one: the shares, not the sum, are what it tells.
 */

/** What a profile sums a dispatch under: its shader, or its shader and workgroup grid. */
export type KernelProfileGrouping = 'shader' | 'grid';

/** One shader's share of a profile. */
export interface KernelTime {
  /** The shader template's name (`matmul.regblock`, `rmsNorm`, ...), with its grid when grouped by grid. */
  shader: string;
  /** Dispatches of it while the profile was open. */
  dispatches: number;
  /** Device milliseconds its dispatches took, summed. */
  ms: number;
}

/** What `WebgpuBackend.stopProfile` returns. */
export interface KernelProfile {
  /** Each shader's time, the longest first. */
  kernels: KernelTime[];
  /** Dispatches timed. */
  dispatches: number;
  /** Device milliseconds of every timed dispatch, summed. */
  ms: number;
}

/** Sum per-dispatch [begin, end] nanosecond pairs by label, longest total first. */
export function summariseKernelTimes(labels: readonly string[], nanoseconds: BigUint64Array): KernelProfile {
  if (nanoseconds.length < 2 * labels.length)
    throw new Error(
      `summariseKernelTimes: ${labels.length} dispatches need ${2 * labels.length} timestamps, got ${nanoseconds.length}`,
    );
  const byShader = new Map<string, KernelTime>();
  let total = 0;
  labels.forEach((shader, i) => {
    const begin = nanoseconds[2 * i]!;
    const end = nanoseconds[2 * i + 1]!;
    // A device may report an end before its begin (timestamps are not guaranteed monotonic across passes): count zero.
    const ms = end > begin ? Number(end - begin) / 1e6 : 0;
    const entry = byShader.get(shader) ?? { shader, dispatches: 0, ms: 0 };
    entry.dispatches++;
    entry.ms += ms;
    byShader.set(shader, entry);
    total += ms;
  });
  const kernels = [...byShader.values()].sort((a, b) => b.ms - a.ms || a.shader.localeCompare(b.shader));
  return { kernels, dispatches: labels.length, ms: total };
}

/** A profile as aligned text lines: shader, dispatches, ms, share. */
export function formatKernelProfile(profile: KernelProfile): string {
  const rows = profile.kernels.map((k) => [
    k.shader,
    String(k.dispatches),
    k.ms.toFixed(3),
    profile.ms > 0 ? `${((100 * k.ms) / profile.ms).toFixed(1)}%` : '-',
  ]);
  rows.push(['total', String(profile.dispatches), profile.ms.toFixed(3), '']);
  const head = ['shader', 'dispatches', 'ms', 'share'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
