/** Deterministic train/validation/test splits by seed. */
import { Rng } from './rng.js';

export interface SplitSizes {
  train: number;
  validation: number;
  test: number;
}

/** The paper's split: 3,000 train / 100 validation / 200 test (CodeAgent-Test). */
export const PAPER_SPLITS: SplitSizes = { train: 3000, validation: 100, test: 200 };

/**
 * Split sizes for n traces. With `requested`, those sizes (train may be 'rest');
 * without, the paper's sizes when n allows them (train takes at most 3,000), else
 * the paper's proportions (100 : 200 of 3,300), at least one trace each for
 * validation and test once n >= 3.
 */
export function splitSizes(
  n: number,
  requested?: Partial<Omit<SplitSizes, 'train'>> & { train?: number | 'rest' },
  options: { checkOnly?: boolean } = {},
): SplitSizes {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`splitSizes: n must be an integer >= 0, got ${n}`);
  if (requested) {
    if (typeof requested !== 'object' || requested === null || Array.isArray(requested))
      throw new TypeError(
        `splits: expected an object { train?, validation?, test? }, got ${Array.isArray(requested) ? 'an array' : typeof requested}`,
      );
    for (const key of Object.keys(requested))
      if (key !== 'train' && key !== 'validation' && key !== 'test')
        throw new TypeError(`splits: unknown split '${key}' (the splits are train, validation and test)`);
    for (const key of ['validation', 'test', 'train'] as const) {
      const v = requested[key];
      if (v === undefined || (key === 'train' && v === 'rest')) continue;
      if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0))
        throw new TypeError(
          `splits.${key}: expected an integer >= 0${key === 'train' ? " or 'rest'" : ''}, got ${JSON.stringify(v)}`,
        );
    }
    if (options.checkOnly) return { train: 0, validation: 0, test: 0 };
    const validation = requested.validation ?? 0;
    const test = requested.test ?? 0;
    const train = requested.train === undefined || requested.train === 'rest' ? n - validation - test : requested.train;
    if (train < 0)
      throw new RangeError(
        `splits: validation (${validation}) and test (${test}) need ${validation + test} traces, have ${n} (train takes the rest)`,
      );
    if (validation + test + train > n)
      throw new RangeError(
        `splits: train (${train}), validation (${validation}) and test (${test}) need ${train + validation + test} traces, have ${n}`,
      );
    return { train, validation, test };
  }
  const all = PAPER_SPLITS.train + PAPER_SPLITS.validation + PAPER_SPLITS.test;
  if (n >= all) return { ...PAPER_SPLITS };
  if (n < 3) return { train: n, validation: 0, test: 0 };
  const validation = Math.max(1, Math.round((n * PAPER_SPLITS.validation) / all));
  const test = Math.max(1, Math.round((n * PAPER_SPLITS.test) / all));
  return { train: n - validation - test, validation, test };
}

export type SplitName = keyof SplitSizes;

/** Assign each of n items to a split: a seeded permutation cut into test, validation, train. Items past the sizes get null. */
export function assignSplits(n: number, sizes: SplitSizes, seed: number): Array<SplitName | null> {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`assignSplits: n must be an integer >= 0, got ${n}`);
  for (const name of ['train', 'validation', 'test'] as const)
    if (!(Number.isInteger(sizes?.[name]) && sizes[name] >= 0))
      throw new RangeError(`assignSplits: sizes.${name} must be an integer >= 0, got ${JSON.stringify(sizes?.[name])}`);
  if (sizes.train + sizes.validation + sizes.test > n)
    throw new RangeError(
      `assignSplits: sizes ${sizes.train} + ${sizes.validation} + ${sizes.test} exceed the ${n} items`,
    );
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const out: Array<SplitName | null> = new Array(n).fill(null);
  let k = 0;
  for (const name of ['test', 'validation', 'train'] as const) {
    for (let j = 0; j < sizes[name]; j++) out[order[k++]!] = name;
  }
  return out;
}
