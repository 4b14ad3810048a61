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

/**
 * The windows truncating `length` tokens to `keep` leaves, as the reference's
 * `Encoding.truncate(keep, stride, direction)` cuts them: the first is what
 * encode keeps; the others overflow, each `keep` long but the last, each
 * starting `keep - stride` tokens after the one before (from the right end
 * when cutting left), so neighbours share `stride` tokens. One window
 * [0, length) when nothing is cut; `keep` 0 leaves an empty first window and
 * the whole text as the one overflowing window. Needs `stride < keep` where it
 * cuts (`checkStride`).
 */
export function truncationWindows(
  length: number,
  keep: number,
  stride: number,
  direction: 'left' | 'right',
): Array<[number, number]> {
  if (keep >= length) return [[0, length]];
  if (keep === 0)
    return [
      [0, 0],
      [0, length],
    ];
  const step = keep - stride;
  const windows: Array<[number, number]> = [];
  if (direction === 'right') {
    for (let start = 0; ; start += step) {
      const stop = Math.min(start + keep, length);
      windows.push([start, stop]);
      if (stop === length) break;
    }
  } else {
    for (let stop = length; ; stop -= step) {
      const start = Math.max(stop - keep, 0);
      windows.push([start, stop]);
      if (start === 0) break;
    }
  }
  return windows;
}

/**
 * Where a text is cut to `kept` tokens (of `lengths`), the stride must be
 * less than `kept`, or its windows would not move on (the reference asserts
 * the same). `named()` names the stride and where it came from.
 */
export function checkStride(
  lengths: readonly number[],
  kept: readonly number[],
  stride: number,
  maxLength: number,
  named: () => string,
): void {
  if (stride === 0) return;
  lengths.forEach((length, i) => {
    const keep = kept[i]!;
    if (keep > 0 && keep < length && stride >= keep)
      throw new RangeError(
        `${named()} ${stride} must be less than the ${keep} token${keep === 1 ? '' : 's'} truncation keeps of the ` +
          `${lengths.length === 1 ? '' : i === 0 ? 'first ' : 'second '}text (its share of the ${maxLength} ` +
          'left once the special tokens are counted), or its windows would not move on',
      );
  });
}
