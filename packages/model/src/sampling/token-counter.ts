/**
 * A row's tokens counted as they are generated, for the sampling penalties:
 * each step adds one token (a binary search, and an insertion where the token
 * is new), so a step's penalties cost the distinct tokens' number instead of
 * recounting every token generated so far, which at the paper's 30,720-token
 * budget made the host's work per step grow with the length.
 */
import type { TokenCounts } from './samplers.js';

export class TokenCounter implements TokenCounts {
  readonly prompt: readonly number[];
  private readonly tokens: number[] = [];
  private readonly counts: number[] = [];

  constructor(promptTokens: readonly number[], generatedTokens: readonly number[] = []) {
    this.prompt = [...new Set(promptTokens)].sort((a, b) => a - b);
    for (const t of generatedTokens) this.add(t);
  }

  /** The generated tokens' distinct values, ascending. */
  get generated(): readonly number[] {
    return this.tokens;
  }

  /** How many times each token of `generated` was generated. */
  get generatedCounts(): readonly number[] {
    return this.counts;
  }

  /** One more generated token. */
  add(token: number): void {
    const list = this.tokens;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < token) lo = mid + 1;
      else hi = mid;
    }
    if (list[lo] === token) this.counts[lo]!++;
    else {
      list.splice(lo, 0, token);
      this.counts.splice(lo, 0, 1);
    }
  }
}
