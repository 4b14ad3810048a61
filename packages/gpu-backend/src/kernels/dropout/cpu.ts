import { floatInput, writtenFloatOutput } from '../../cpu/host.js';
import { activeNative } from '../../cpu/matmul/gemm.js';
import { philoxKey, philoxStream } from '../../random/philox.js';
import { dropoutGroups, GROUP_WORDS } from '../../random/philox-wasm.js';
import { implement } from '../../registry.js';
import { dropout } from './contract.js';
import { dropoutArgs } from './math.js';

let nativeDropoutCalls = 0;

/** Calls the native addon ran (which path the kernel took, for tests). */
export function nativeDropoutCallCount(): number {
  return nativeDropoutCalls;
}

/** The stream's words a block at a time (bounded memory), each element kept when its uniform reaches p. */
const BLOCK = 4096;

const dropoutKernel = implement(dropout, 'cpu', ({ inputs, attrs, backend }) => {
  const { threshold, scale } = dropoutArgs(inputs, attrs);
  const x = floatInput(backend, inputs[0]!, 'dropout');
  const out = writtenFloatOutput(backend, inputs[0]!.shape);
  const o = out.data;
  // uniform = (word >>> 8) 2^-24 reaches the threshold exactly when word >>> 8 reaches ceil(threshold 2^24).
  const keepFrom = Math.ceil(threshold * 2 ** 24);
  // The native addon (where it runs the products) draws eight blocks per AVX2 step, reading x and writing
  // the output where they lie (no copy through WebAssembly memory).
  const key = philoxKey(attrs.seed);
  const native = activeNative();
  if (native?.dropout) {
    native.dropout(x, o, 0, key[0], key[1], keepFrom, scale);
    nativeDropoutCalls++;
    return out.info;
  }
  // Whole groups of 16 elements in WebAssembly SIMD (the stream and the mask in one pass); the rest below.
  const groups = Math.floor(x.length / GROUP_WORDS);
  const simd = groups > 0 && dropoutGroups(x, o, groups, key, keepFrom, scale);
  const words = new Uint32Array(BLOCK);
  for (let start = simd ? groups * GROUP_WORDS : 0; start < x.length; start += BLOCK) {
    const n = Math.min(BLOCK, x.length - start);
    const block = n === BLOCK ? words : words.subarray(0, n);
    philoxStream(attrs.seed, block, start);
    for (let i = 0; i < n; i++) {
      const v = x[start + i]!;
      // Kept: x * 1 * scale. Dropped: x * 0 (a signed zero, NaN for an infinite x), which the scale keeps.
      o[start + i] = block[i]! >>> 8 >= keepFrom ? v * scale : v * 0;
    }
  }
  return out.info;
});

/** The cpu implementations of this folder's kernels. */
export const implementations = [dropoutKernel];
