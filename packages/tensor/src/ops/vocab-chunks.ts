/**
 * Softmax over a large vocabulary one chunk of the LM head at a time, so the
 * [rows, V] logits never exist: each chunk's logits x W_c^T give a chunk
 * log-sum-exp l_c and softmax-weighted rows p_c W_c, folded into running values
 *   L <- logaddexp(L, l_c)
 *   A <- A exp(L_old - L) + (p_c W_c) exp(l_c - L)
 * so that at the end L = logsumexp(x W^T) and A = softmax(x W^T) W. The
 * entropy, when kept, folds the same way from each chunk's own entropy h_c
 * (of its softmax p_c): with weights w = exp(L_old - L) and exp(l_c - L),
 *   E <- w_old (E + L - L_old) + w_c (h_c + L - l_c)
 * a sum of terms that are never negative (h_c = sum p_c (l_c - z) >= 0,
 * L >= L_old, L >= l_c), so it keeps its relative precision however close
 * to 0 it is; L - E_p[z] would lose it to cancellation for a peaked softmax.
 *
 * The head may be stored as float16/bfloat16 (a checkpoint's storage): only
 * one [chunk, H] slice at a time is widened to float32, never the whole head.
 */
import type { Tensor } from '../tensor.js';
import { gradEnabled } from '../engine.js';
import { dispose, tidy } from '../scope.js';
import { add, exp, log, maximum, mul, neg, sub } from './elementwise.js';
import { cast } from './indexing.js';
import { matmul } from './matmul.js';
import { logSumExp, sum } from './reduce.js';
import { slice } from './shape-ops.js';

/** A piece [start, size] of a range [0, n). */
export type ChunkRange = [start: number, size: number];

/** Split [0, n) into [start, size] pieces of at most `chunk` (none when n is 0). */
export function chunkRanges(n: number, chunk: number): ChunkRange[] {
  if (!Number.isInteger(n) || n < 0) throw new Error(`chunkRanges: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(chunk) || chunk < 1)
    throw new Error(`chunkRanges: chunk must be a positive integer, got ${chunk}`);
  const out: ChunkRange[] = [];
  for (let s = 0; s < n; s += chunk) out.push([s, Math.min(chunk, n - s)]);
  return out;
}

/** A chunk size option: `value`, or `fallback` when not given; an error naming `where` and `name` unless a positive integer. */
export function checkChunkSize(where: string, name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${v}`);
  return v;
}

/** log(exp(a) + exp(b)) elementwise, without overflow (shifted by the larger). */
export function logAddExp(a: Tensor, b: Tensor): Tensor {
  const m = maximum(a, b);
  return add(m, log(add(exp(sub(a, m)), exp(sub(b, m)))));
}

/** Rows [start, start + size) of a [V, H] LM head as float32: a float16/bfloat16 head is widened one slice at a time. */
export function headRowsFloat32(weight: Tensor, start: number, size: number): Tensor {
  const part = slice(weight, [start, 0], [size, -1]);
  return part.dtype === 'float32' ? part : cast(part, 'float32');
}

/** The running values of an online softmax over the vocabulary chunks seen so far. */
export interface OnlineSoftmaxState {
  /** [R, 1]: log-sum-exp of the logits so far. */
  lse: Tensor;
  /** [R, H]: softmax-weighted rows of W so far (A), or null when not kept. */
  acc: Tensor | null;
  /** [R, 1]: entropy of the softmax so far, when kept. */
  entropy?: Tensor | null;
}

export interface FoldedChunk {
  state: OnlineSoftmaxState;
  /** [R, 1]: exp(L_old - L), the factor on what was folded before (null for the first chunk). */
  oldScale: Tensor | null;
  /** [R, 1]: exp(l_c - L), the factor on this chunk (null for the first chunk). */
  chunkScale: Tensor | null;
}

/**
 * Folds one vocabulary chunk (its log-sum-exp [R, 1], softmax-weighted rows
 * [R, H] or null, and optionally the entropy [R, 1] of its own softmax) into
 * `state` (null before the first chunk). The two scales let a caller fold its
 * own per-chunk expectations the same way.
 */
export function foldSoftmaxChunk(
  state: OnlineSoftmaxState | null,
  lseChunk: Tensor,
  accChunk: Tensor | null,
  entropyChunk: Tensor | null = null,
): FoldedChunk {
  if (!state)
    return {
      state: { lse: lseChunk, acc: accChunk, ...(entropyChunk ? { entropy: entropyChunk } : {}) },
      oldScale: null,
      chunkScale: null,
    };
  if ((state.acc === null) !== (accChunk === null)) {
    throw new Error('foldSoftmaxChunk: accChunk must be given exactly when the state keeps softmax-weighted rows');
  }
  if (!state.entropy !== !entropyChunk) {
    throw new Error('foldSoftmaxChunk: entropyChunk must be given exactly when the state keeps the entropy');
  }
  const lse = logAddExp(state.lse, lseChunk);
  const oldScale = exp(sub(state.lse, lse));
  const chunkScale = exp(sub(lseChunk, lse));
  const acc = state.acc && accChunk ? add(mul(state.acc, oldScale), mul(accChunk, chunkScale)) : null;
  const folded: OnlineSoftmaxState = { lse, acc };
  if (state.entropy && entropyChunk) {
    folded.entropy = add(
      mul(add(state.entropy, sub(lse, state.lse)), oldScale),
      mul(add(entropyChunk, sub(lse, lseChunk)), chunkScale),
    );
  }
  return { state: folded, oldScale, chunkScale };
}

export interface OnlineSoftmaxOptions {
  /** Also keep A = softmax(x W^T) W (default true). */
  withAcc?: boolean;
  /** Also keep the entropy of softmax(x W^T), folded as above (default false). */
  withEntropy?: boolean;
}

/**
 * logsumexp(x W^T) [M, 1] and, unless `withAcc` is false, softmax(x W^T) W
 * [M, H] for float32 rows x [M, H] and a [V, H] head, over the vocabulary
 * pieces `vocabParts` (from `chunkRanges`). Each chunk's [M, chunk] logits
 * live only inside its own scope.
 */
export function onlineSoftmax(
  x: Tensor,
  weight: Tensor,
  vocabParts: readonly ChunkRange[],
  options: OnlineSoftmaxOptions = {},
): OnlineSoftmaxState {
  if (vocabParts.length === 0)
    throw new Error('onlineSoftmax: vocabParts is empty (a vocabulary of at least one entry is needed)');
  const withAcc = options.withAcc ?? true;
  const withEntropy = options.withEntropy ?? false;
  let st: OnlineSoftmaxState | null = null;
  for (const [c0, cols] of vocabParts) {
    const prev: OnlineSoftmaxState | null = st;
    const next: OnlineSoftmaxState = tidy(() => {
      const wc = headRowsFloat32(weight, c0, cols);
      const zc = matmul(x, wc, { transposeB: true });
      const lc = logSumExp(zc, 1, { keepDims: true });
      if (!withEntropy) return foldSoftmaxChunk(prev, lc, withAcc ? matmul(exp(sub(zc, lc)), wc) : null).state;
      // h_c = sum p_c (l_c - z): l_c - z = -log p_c >= 0, so every term is >= 0. Without a graph to keep
      // them, the [rows, chunk] temporaries go as soon as they are used, so no more than three are held.
      const spent = (t: Tensor) => {
        if (!gradEnabled()) t.dispose();
      };
      const below = sub(lc, zc);
      spent(zc);
      const negated = neg(below);
      const pc = exp(negated);
      spent(negated);
      const terms = mul(pc, below);
      spent(below);
      const hc = sum(terms, 1, { keepDims: true });
      spent(terms);
      return foldSoftmaxChunk(prev, lc, withAcc ? matmul(pc, wc) : null, hc).state;
    });
    if (prev) dispose(prev);
    st = next;
  }
  return st!;
}
