/**
 * TRL's completion mask: a completion counts up to and including its first EOS
 * token; everything after it is masked out. A completion without EOS was cut at
 * the length limit ("truncated"); with `maskTruncatedCompletions` it is masked
 * out entirely.
 */
export interface CompletionMask {
  /** [B][T] of 0/1, T = the longest completion. */
  mask: number[][];
  /** Each completion's length up to and including its first EOS (the whole completion without one). */
  lengths: number[];
  /** Whether each completion ended with an EOS token. */
  terminated: boolean[];
}

export function completionMask(
  completions: readonly (readonly number[])[],
  eosTokenIds: readonly number[],
  options: { maskTruncated?: boolean } = {},
): CompletionMask {
  const eos = new Set(eosTokenIds);
  const width = Math.max(0, ...completions.map((c) => c.length));
  const mask: number[][] = [];
  const lengths: number[] = [];
  const terminated: boolean[] = [];
  for (const ids of completions) {
    const first = ids.findIndex((t) => eos.has(t));
    const ended = first >= 0;
    const length = ended ? first + 1 : ids.length;
    const counted = !ended && options.maskTruncated ? 0 : length;
    const row = new Array<number>(width).fill(0);
    for (let t = 0; t < counted; t++) row[t] = 1;
    mask.push(row);
    lengths.push(length);
    terminated.push(ended);
  }
  return { mask, lengths, terminated };
}

/**
 * TRL's `completions/*` metrics of a rollout batch: lengths up to and including
 * the first EOS, the share that never ended (`clipped_ratio`), and the mean, min
 * and max length of those that did (all 0 when none did, as TRL).
 */
export function completionLengthMetrics(
  lengths: readonly number[],
  terminated: readonly boolean[],
): Record<string, number> {
  if (!lengths.length || lengths.length !== terminated.length)
    throw new Error(
      `completionLengthMetrics: ${lengths.length} lengths and ${terminated.length} terminated flags (one of each per completion, at least one)`,
    );
  const ended = lengths.filter((_, i) => terminated[i]);
  const term = ended.length ? ended : [0];
  return {
    'completions/mean_length': lengths.reduce((a, b) => a + b, 0) / lengths.length,
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': 1 - ended.length / lengths.length,
    'completions/mean_terminated_length': term.reduce((a, b) => a + b, 0) / term.length,
    'completions/min_terminated_length': Math.min(...term),
    'completions/max_terminated_length': Math.max(...term),
  };
}
