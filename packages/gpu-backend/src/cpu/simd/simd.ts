/**
 * WebAssembly SIMD for the softmax-style rows and SwiGLU of the cpu backend:
 * one instance of the row-kernel module (row-kernels.ts) and the memory it
 * works in, made on first use. Storages are plain typed arrays that wasm
 * cannot address, so a kernel copies what it works on into this memory
 * (a memcpy, a fraction of the exp it saves) or keeps its own temporaries
 * there (attention's score block). The memory grows on demand and is never
 * shrunk; it is shared (growing keeps earlier views valid over their
 * length), and `f32` is refreshed after every `reserve`.
 */
import { encodeModule } from '../matmul/wasm-encoder.js';
import { wasm, type WasmMemory } from '../matmul/wasm-api.js';
import { DATA_START, PARAMS, RESULT, ROW_KERNELS, type RowKernelExports } from './row-kernels.js';

const PAGE = 65536;
/** 1 GiB: far above what a kernel's blocks need; only reserved address space until used. */
const MAX_PAGES = 16384;

export interface SimdRows {
  readonly kernels: RowKernelExports;
  /** The memory as float32, from address 0 (refreshed by `reserve`). */
  f32: Float32Array;
  /** The parameter slots p0..p3 as a view of their own. */
  readonly params: Float32Array;
  /** Make room for `floats` float32 values from DATA; returns the element index of DATA in `f32`. */
  reserve(floats: number): number;
  /** The four float32 lanes a max reduction left at RESULT, combined (NaN if any is NaN). */
  maxResult(): number;
  /** The float64 lanes a sum left at RESULT, added. */
  sumResult(): number;
}

/** Element index in `f32` where kernel data starts. */
export const DATA = DATA_START / 4;

let instance: SimdRows | null = null;

/** The row kernels and their memory (made on the first call). */
export function simdRows(): SimdRows {
  return (instance ??= createSimdRows());
}

function createSimdRows(): SimdRows {
  const memory: WasmMemory = new wasm.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  const functions = Object.entries(ROW_KERNELS).map(([name, build]) => ({ name, fn: build() }));
  const module = new wasm.Module(encodeModule(functions, { initialPages: 16, maxPages: MAX_PAGES }));
  const kernels = new wasm.Instance(module, { env: { memory } }).exports as unknown as RowKernelExports;
  const result32 = new Float32Array(memory.buffer, RESULT, 4);
  const result64 = new Float64Array(memory.buffer, RESULT, 2);
  const rows: SimdRows = {
    kernels,
    f32: new Float32Array(memory.buffer),
    params: new Float32Array(memory.buffer, PARAMS, 4),
    reserve(floats: number): number {
      const bytes = DATA_START + floats * 4;
      const have = memory.buffer.byteLength;
      if (bytes > have) {
        const pages = Math.ceil((bytes - have) / PAGE);
        if (have / PAGE + pages > MAX_PAGES) {
          throw new Error(`cpu simd: ${bytes} bytes of scratch asked, more than the ${MAX_PAGES * PAGE} reserved`);
        }
        memory.grow(pages);
        rows.f32 = new Float32Array(memory.buffer);
      }
      return DATA;
    },
    maxResult(): number {
      const [a, b, c, d] = result32;
      if (a !== a || b !== b || c !== c || d !== d) return NaN;
      return Math.max(a, b, c, d);
    },
    sumResult(): number {
      return result64[0] + result64[1];
    },
  };
  return rows;
}
