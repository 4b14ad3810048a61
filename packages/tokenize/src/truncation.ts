/**
 * How many tokens of one text, or of each text of a pair, truncation keeps:
 * the reference library's `truncate_encodings` (the special tokens already
 * taken off `maxLength`).
 */

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export const TRUNCATION_STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/**
 * The lengths kept of texts of `lengths` tokens (one text, or a pair) under
 * `maxLength`. longest_first cuts the longer text of a pair down to what the
 * shorter leaves, or both to half each (the longer, or the second of two
 * equal, gets the odd token);
 * only_first / only_second cut that text alone, and fail where it is too short
 * to make room, or (only_second) where there is no second text, as the
 * reference fails. `named()` names the strategy and where it came from, to
 * begin the errors (`tokenizer.json: truncation.strategy "OnlySecond"`); it is
 * called only for an error.
 */
export function truncatedLengths(
  lengths: readonly [number] | readonly [number, number],
  maxLength: number,
  strategy: TruncationStrategy,
  named: () => string,
): [number] | [number, number] {
  const [n1, n2] = lengths;
  if (maxLength <= 0) return n2 === undefined ? [0] : [0, 0];
  const total = n1 + (n2 ?? 0);
  if (total <= maxLength) return n2 === undefined ? [n1] : [n1, n2];
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (n2 === undefined) return [maxLength];
    let short = Math.min(n1, n2);
    let long = short > maxLength ? short : Math.max(short, maxLength - short);
    if (short + long > maxLength) {
      short = Math.floor(maxLength / 2);
      long = short + (maxLength % 2);
    }
    return n1 > n2 ? [long, short] : [short, long];
  }
  if (strategy === 'only_second' && n2 === undefined)
    throw new Error(
      `${named()} truncates the second text of a pair, and this single text has ${n1} tokens ` +
        `over the ${maxLength} it may keep (the reference library fails the same way); pass options.truncation, or false`,
    );
  const target = strategy === 'only_first' ? n1 : n2!;
  if (target <= toRemove)
    throw new Error(
      `${named()} must remove ${toRemove} token${toRemove === 1 ? '' : 's'} from the ` +
        `${strategy === 'only_first' ? 'first' : 'second'} text, which has ${target} ` +
        '(the reference library fails the same way: its sequence is too short to truncate)',
    );
  const kept = target - toRemove;
  if (n2 === undefined) return [kept];
  return strategy === 'only_first' ? [kept, n2] : [n1, kept];
}
