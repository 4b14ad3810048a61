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
