/**
 * Padding of encodings to one length, as the reference library's `pad_encodings`
 * does it: the target is the batch's longest (or a fixed length), rounded up to
 * `padToMultipleOf`; each shorter encoding gets pad ids on one side, with
 * attention mask 0, special-tokens mask 1, offsets [0, 0], the pad type id and
 * no sequence or word id; a longer one is
 * left as it is (padding never cuts; truncation does).
 */
import { checkOptionNames, optionNames } from '@molrl/hub-cache';
import { describeValue } from './describe-value.js';
import type { Encoding } from './tokenizer.js';

export interface PaddingOptions {
  /** Pad to the batch's longest encoding ('longest', the reference's BatchLongest) or to this length. Default 'longest'. */
  length?: 'longest' | number;
  /** Round the target length up to a multiple of this (0 or absent: no rounding). */
  padToMultipleOf?: number;
  /** Which end gets the pad ids (default right). */
  direction?: 'left' | 'right';
  /**
   * The pad id. Default: tokenizer.json's `padding.pad_id` when it has padding,
   * else the id of tokenizer_config.json's `pad_token`.
   */
  padId?: number;
  /** The type id of the pads (default: tokenizer.json's `padding.pad_type_id`, else 0). */
  padTypeId?: number;
}

/** Padding with every choice made: what `padEncodings` and `padIdRows` apply. */
export interface ResolvedPadding {
  length: 'longest' | number;
  padToMultipleOf: number;
  direction: 'left' | 'right';
  padId: number;
  padTypeId: number;
  /** The token string the padded encodings show (tokenizer.json's `pad_token`, else the pad id's token). */
  padToken: string;
}

export const PADDING_KEYS = optionNames<PaddingOptions>({
  length: true,
  padToMultipleOf: true,
  direction: true,
  padId: true,
  padTypeId: true,
});

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/** Checks `options.padding` (true, false, or PaddingOptions); `where` names the method. */
export function checkPaddingOption(padding: unknown, where: string): void {
  if (padding === undefined || typeof padding === 'boolean') return;
  if (typeof padding !== 'object' || padding === null || Array.isArray(padding))
    throw new TypeError(
      `${where}: options.padding must be a boolean or { length?, padToMultipleOf?, direction?, padId?, padTypeId? }, ` +
        `got ${describeValue(padding)}`,
    );
  const p = padding as PaddingOptions;
  checkOptionNames(p, PADDING_KEYS, where, { prefix: 'padding.' });
  if (p.length !== undefined && p.length !== 'longest' && !isCount(p.length))
    throw new TypeError(
      `${where}: options.padding.length must be 'longest' or an integer >= 0, got ${describeValue(p.length)}`,
    );
  if (p.padToMultipleOf !== undefined && !isCount(p.padToMultipleOf))
    throw new TypeError(
      `${where}: options.padding.padToMultipleOf must be an integer >= 0, got ${describeValue(p.padToMultipleOf)}`,
    );
  if (p.direction !== undefined && p.direction !== 'left' && p.direction !== 'right')
    throw new TypeError(
      `${where}: options.padding.direction must be "left" or "right", got ${describeValue(p.direction)}`,
    );
  for (const key of ['padId', 'padTypeId'] as const)
    if (p[key] !== undefined && !isCount(p[key]))
      throw new TypeError(`${where}: options.padding.${key} must be an integer >= 0, got ${describeValue(p[key])}`);
}

/** The length every encoding of a batch is padded to (lengths: the batch's, before padding). */
export function paddedLength(lengths: readonly number[], padding: ResolvedPadding): number {
  let target = padding.length === 'longest' ? lengths.reduce((a, b) => Math.max(a, b), 0) : padding.length;
  const multiple = padding.padToMultipleOf;
  if (multiple > 0 && target % multiple > 0) target += multiple - (target % multiple);
  return target;
}

/** `count` copies of `value` before (left) or after (right) `row`. */
function withPad<T>(row: T[], count: number, value: T, direction: 'left' | 'right'): T[] {
  if (count <= 0) return row;
  const pad = new Array<T>(count).fill(value);
  return direction === 'left' ? [...pad, ...row] : [...row, ...pad];
}

/** Each row of ids padded to the batch's target length. */
export function padIdRows(rows: number[][], padding: ResolvedPadding): number[][] {
  const target = paddedLength(
    rows.map((r) => r.length),
    padding,
  );
  return rows.map((r) => withPad(r, target - r.length, padding.padId, padding.direction));
}

/**
 * Each encoding padded, in place, to the batch's target length, and its
 * overflowing windows to the same length (the target comes from the
 * encodings alone, as the reference's).
 */
export function padEncodings(encodings: Encoding[], padding: ResolvedPadding): Encoding[] {
  const target = paddedLength(
    encodings.map((e) => e.ids.length),
    padding,
  );
  const { direction } = padding;
  for (const e of encodings.flatMap((main) => [main, ...(main.overflowing ?? [])])) {
    const count = target - e.ids.length;
    if (count <= 0) continue;
    e.ids = withPad(e.ids, count, padding.padId, direction);
    e.tokens = withPad(e.tokens, count, padding.padToken, direction);
    e.specialTokensMask = withPad(e.specialTokensMask, count, 1, direction);
    e.attentionMask = withPad(e.attentionMask, count, 0, direction);
    e.typeIds = withPad(e.typeIds, count, padding.padTypeId, direction);
    e.sequenceIds = withPad(e.sequenceIds, count, null, direction);
    e.wordIds = withPad(e.wordIds, count, null, direction);
    // Each pad its own [0, 0] pair, so a caller's edit of one leaves the others alone.
    const offsets = Array.from({ length: count }, (): [number, number] => [0, 0]);
    e.offsets = direction === 'left' ? [...offsets, ...e.offsets] : [...e.offsets, ...offsets];
  }
  return encodings;
}
