/**
 * The write tracking behind the page-by-page restore, on a small hand-built
 * WebAssembly module: every kind of writing instruction marks its page, the
 * rewritten module computes what the original does, a restore of the marked
 * pages gives back every byte, and a run that clears marks in the dirty map is
 * caught and restored whole.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WORKER_DIR } from './python-process.js';

// WebAssembly's JavaScript API, typed for what these tests use (no DOM library here).
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  exports: Record<string, unknown>;
}
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports?: object) => WasmInstance;
    };
  }
).WebAssembly;

interface Rewritten {
  bytes: Uint8Array;
  instrumented: boolean;
  writes: number;
}
interface TrackerLike {
  base: number;
  untrackedWrites: boolean;
  readonly tracked: boolean;
  adopt(instance: WasmInstance): void;
  placeMap(malloc: (size: number) => number, heap: () => Uint8Array): void;
  wrapImport(name: string, fn: (...args: number[]) => unknown): (...args: number[]) => unknown;
}
interface ImageLike {
  restore(tracked: boolean): void;
  matches(): boolean;
  last: { mode: string; pages: number };
}
const load = (name: string) => import(pathToFileURL(join(WORKER_DIR, name)).href);
const {
  instrumentMemoryWrites,
  UnsupportedModule,
  PAGE_SIZE,
  MAP_BYTES: FLAG_OFFSET,
} = (await load('write-tracking.mjs')) as {
  instrumentMemoryWrites(bytes: Uint8Array, bootMap?: number | null): Rewritten;
  UnsupportedModule: new (message: string) => Error;
  PAGE_SIZE: number;
  MAP_BYTES: number;
};
const { PageTracker, MAP_BYTES } = (await load('dirty-pages.mjs')) as {
  PageTracker: new () => TrackerLike;
  MAP_BYTES: number;
};
const { HeapImage } = (await load('heap-image.mjs')) as {
  HeapImage: new (heap: () => Uint8Array, tracker: TrackerLike | null) => ImageLike;
};

// --- a tiny module assembler -------------------------------------------------
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return out;
};
const section = (id: number, items: number[][]): number[] => {
  const content = [...uleb(items.length), ...items.flat()];
  return [id, ...uleb(content.length), ...content];
};
const name = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const I32 = 0x7f;
const I64 = 0x7e;

/**
 * Functions: [name, params, body (without locals and end)]. Memory: `pages` 64 KiB pages, exported.
 * With `extras`: a table of 4 funcrefs and one mutable i32 global (index 0).
 */
function buildModule(functions: Array<[string, number[], number[]]>, pages: number, extras = false): Uint8Array {
  const types = functions.map(([, params]) => [0x60, params.length, ...params, 0]);
  return Uint8Array.from([
    ...[0, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, types),
    ...section(
      3,
      functions.map((_, i) => uleb(i)),
    ),
    ...(extras ? section(4, [[0x70, 0, 4]]) : []),
    ...section(5, [[0, ...uleb(pages)]]),
    ...(extras ? section(6, [[I32, 1, 0x41, 5, 0x0b]]) : []),
    ...section(7, [[...name('memory'), 2, 0], ...functions.map(([n], i) => [...name(n), 0, ...uleb(i)])]),
    ...section(
      10,
      functions.map(([, , body]) => {
        const code = [0, ...body, 0x0b];
        return [...uleb(code.length), ...code];
      }),
    ),
  ]);
}

const get = (i: number) => [0x20, i];
const FUNCTIONS: Array<[string, number[], number[]]> = [
  ['store32', [I32, I32], [...get(0), ...get(1), 0x36, 2, 16]], // i32.store offset=16
  ['store64', [I32, I64], [...get(0), ...get(1), 0x37, 3, 0]], // i64.store
  ['store8', [I32, I32], [...get(0), ...get(1), 0x3a, 0, 0]], // i32.store8
  ['store128', [I32], [...get(0), 0xfd, 12, ...Array<number>(16).fill(0xab), 0xfd, 11, 4, 0]], // v128.store
  ['fill', [I32, I32, I32], [...get(0), ...get(1), ...get(2), 0xfc, 11, 0]], // memory.fill
  ['copy', [I32, I32, I32], [...get(0), ...get(1), ...get(2), 0xfc, 10, 0, 0]], // memory.copy
];

type Exports = {
  memory: WasmMemory;
  store32(a: number, v: number): void;
  store64(a: number, v: bigint): void;
  store8(a: number, v: number): void;
  store128(a: number): void;
  fill(d: number, v: number, n: number): void;
  copy(d: number, s: number, n: number): void;
};

const PAGES = 64; // 4 MiB of memory
const MAP_AT = 2 * 2 ** 20; // the fake allocator hands out the dirty map here

function setup(): {
  original: Exports;
  tracked: Exports;
  tracker: TrackerLike;
  image: ImageLike;
  heap: () => Uint8Array;
} {
  const bytes = buildModule(FUNCTIONS, PAGES);
  const original = new Wasm.Instance(new Wasm.Module(bytes)).exports as unknown as Exports;
  const rewritten = instrumentMemoryWrites(bytes, 0);
  expect(rewritten.instrumented).toBe(true);
  expect(rewritten.writes).toBe(FUNCTIONS.length);
  const instance = new Wasm.Instance(new Wasm.Module(rewritten.bytes));
  const tracked = instance.exports as unknown as Exports;
  const tracker = new PageTracker();
  tracker.adopt(instance);
  const heap = () => new Uint8Array(tracked.memory.buffer);
  // The map covers 4 GiB in 1 MiB, more than this memory: give it a window of its own.
  tracked.memory.grow(MAP_BYTES / 65536 + 1);
  original.memory.grow(MAP_BYTES / 65536 + 1);
  tracker.placeMap(() => MAP_AT, heap);
  for (const memory of [tracked.memory, original.memory]) {
    new Uint8Array(memory.buffer).fill(7, 0, 65536);
    new Uint8Array(memory.buffer).fill(9, 1_000_000, 1_100_000);
  }
  const image = new HeapImage(heap, tracker);
  return { original, tracked, tracker, image, heap };
}

const marked = (heap: Uint8Array, tracker: TrackerLike) => {
  const pages: number[] = [];
  for (let page = 0; page < heap.length / PAGE_SIZE; page++) if (heap[tracker.base + page]) pages.push(page);
  return pages;
};

describe('write tracking', () => {
  it('marks the page of every kind of write, and computes what the original module does', () => {
    const { original, tracked, tracker, heap } = setup();
    for (const m of [original, tracked]) {
      m.store32(0x2000, 0x01020304); // at 0x2010: page 2
      m.store64(0x3ffc, 0x1122334455667788n); // starts on page 3, ends on page 4
      m.store8(0x6123, 0xee); // page 6
      m.store128(0x9000); // page 9
      m.fill(0xb000, 0x5a, 0x2001); // pages 11, 12, 13
      m.fill(0x20000, 0x5a, 0); // nothing
      m.copy(0x10000, 0x2000, 64); // page 16
    }
    expect(marked(heap(), tracker)).toEqual([2, 3, 6, 9, 11, 12, 13, 16]);
    const a = new Uint8Array(original.memory.buffer, 0, PAGES * 65536);
    const b = new Uint8Array(tracked.memory.buffer, 0, PAGES * 65536);
    // Same memory contents, outside the map's window (which only the rewritten module has).
    expect(Buffer.from(a.subarray(0, MAP_AT)).equals(Buffer.from(b.subarray(0, MAP_AT)))).toBe(true);
  });

  it('restores exactly the marked pages, including a store that crosses into the next page', () => {
    const { tracked, tracker, image, heap } = setup();
    tracked.store64(0x3ffc, -1n);
    tracked.fill(1_050_000, 0, 5000);
    tracked.store128(0x7ff8);
    expect(tracker.tracked).toBe(true);
    image.restore(true);
    expect(image.last.mode).toBe('pages');
    expect(image.last.pages).toBe(4);
    expect(image.matches()).toBe(true);
    expect(marked(heap(), tracker)).toEqual([]);
  });

  it('would miss a write nobody marked (so the checks above can fail)', () => {
    const { tracker, image, heap } = setup();
    heap()[0x5000] = 1; // a JavaScript write that does not mark
    image.restore(tracker.tracked);
    expect(image.last.mode).toBe('pages');
    expect(image.matches()).toBe(false);
  });

  it('catches a run that clears marks in the dirty map and restores the heap whole', () => {
    const { tracked, tracker, image } = setup();
    tracked.store32(0x5000, 42); // marks page 5 ...
    tracked.store8(tracker.base + 5, 0); // ... then clears the mark with a tracked store
    image.restore(true);
    expect(image.last.mode).toBe('whole');
    expect(image.matches()).toBe(true);
  });

  it('catches a store that reaches into the map from the guard page before it', () => {
    const { tracked, tracker, image } = setup();
    tracked.store32(0x5000, 42);
    // An 8-byte store starting 4 bytes before the map clears the marks of pages 0-3.
    tracked.store64(tracker.base - 4, 0n);
    image.restore(true);
    expect(image.last.mode).toBe('whole');
    expect(image.matches()).toBe(true);
  });

  it('restores whole after a call whose writes are not tracked', () => {
    const { tracker, image, heap } = setup();
    const untracked = tracker.wrapImport('__syscall_pipe', (pointer: number) => {
      heap()[pointer] = 3;
      return 0;
    });
    untracked(0x5000);
    expect(tracker.tracked).toBe(false);
    image.restore(tracker.tracked);
    expect(image.last.mode).toBe('whole');
    expect(image.matches()).toBe(true);
  });

  it('marks the out-arguments of a call known to write only those', () => {
    const { tracker, image, heap } = setup();
    const clock = tracker.wrapImport('clock_time_get', (_id: number, _precision: number, pointer: number) => {
      new DataView(heap().buffer).setBigUint64(pointer, 123n, true);
      return 0;
    });
    clock(0, 0, 0x4ffc);
    expect(tracker.tracked).toBe(true);
    expect(marked(heap(), tracker)).toEqual([4, 5]);
    image.restore(true);
    expect(image.matches()).toBe(true);
  });

  it('exports every global an instruction sets, and flags a change of the function table', () => {
    const bytes = buildModule(
      [
        ['setGlobal', [I32], [...get(0), 0x24, 0]], // global.set 0
        ['setTable', [I32], [...get(0), 0xd0, 0x70, 0x26, 0]], // table.set 0 (i, ref.null func)
      ],
      20,
      true,
    );
    const rewritten = instrumentMemoryWrites(bytes, 0);
    const instance = new Wasm.Instance(new Wasm.Module(rewritten.bytes));
    const exports = instance.exports as {
      molrl_global_0: { value: number };
      molrl_dirty_map: { value: number };
      setGlobal(v: number): void;
      setTable(i: number): void;
      memory: WasmMemory;
    };
    expect(exports.molrl_global_0.value).toBe(5);
    exports.setGlobal(9);
    expect(exports.molrl_global_0.value).toBe(9);
    exports.molrl_dirty_map.value = 4096;
    const heap = new Uint8Array(exports.memory.buffer);
    expect(heap[4096 + FLAG_OFFSET]).toBe(0);
    exports.setTable(2);
    expect(heap[4096 + FLAG_OFFSET]).toBe(1);
  });

  it('refuses a module with atomic writes, and leaves one without memory alone', () => {
    const atomic = buildModule([['add', [I32, I32], [...get(0), ...get(1), 0xfe, 0x1e, 2, 0, 0x1a]]], 1);
    expect(() => instrumentMemoryWrites(atomic, 0)).toThrow(UnsupportedModule);
    const noMemory = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(instrumentMemoryWrites(noMemory, 0).instrumented).toBe(false);
  });
});
