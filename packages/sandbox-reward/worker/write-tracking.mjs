// Write tracking for the pristine interpreter: a rewrite of a WebAssembly
// module so that every instruction that writes linear memory also marks the
// 4 KiB page it wrote in a dirty map (one byte per page). The restore after a
// run then copies back only the marked pages, instead of the whole ~30 MiB
// heap.
//
// Why this is a guarantee and not a guess: the rewrite covers every writing
// instruction of the module (plain, narrow and SIMD stores, memory.fill,
// memory.copy, memory.init); a module with an instruction it does not know, or
// with atomic writes, is refused (the caller then restores the whole heap
// after every run). The mark is written *after* the store it follows, so a
// store that changes the dirty map itself always leaves the map's own page
// marked, and the restore treats that as tampering (see heap-image.mjs). A
// store wider than one byte may cross into the next page: the restore copies
// the first 16 bytes of the page after every marked page too.
//
// Besides memory: every global an instruction sets is exported (as
// `molrl_global_<index>`) so the worker can put it back after a run, and every
// instruction that changes the function table raises a flag, the byte just
// past the dirty map, so the worker can check the table.
//
// The dirty map's address is an exported mutable global, `molrl_dirty_map`,
// that no instruction of the module writes (it did not exist when the module
// was built); only the worker's JavaScript sets it.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Bytes a single store can reach past its start (v128.store). */
export const MAX_STORE_BYTES = 16;
export const DIRTY_MAP_EXPORT = 'molrl_dirty_map';
/** Globals that instructions set are exported under this prefix and their index. */
export const GLOBAL_EXPORT_PREFIX = 'molrl_global_';
/** Bytes of the dirty map (one per 4 KiB page of a 4 GiB memory). */
export const MAP_BYTES = 2 ** 32 / PAGE_SIZE;
/** Set (to 1) when an instruction changes the function table: the byte just past the map. */
export const TABLE_FLAG_OFFSET = MAP_BYTES;

export class UnsupportedModule extends Error {
  constructor(message) {
    super(`write tracking: ${message}`);
    this.name = 'UnsupportedModule';
  }
}

class Reader {
  constructor(bytes, pos = 0) {
    this.b = bytes;
    this.p = pos;
  }
  byte() {
    if (this.p >= this.b.length) throw new UnsupportedModule('unexpected end of module');
    return this.b[this.p++];
  }
  u32() {
    let result = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) break;
      shift += 7;
      if (shift > 35) throw new UnsupportedModule('LEB128 too long');
    }
    return result;
  }
  /** Skip a signed LEB128 of any width. */
  skipLeb() {
    while (this.byte() & 0x80);
  }
  skip(n) {
    this.p += n;
  }
}

function uleb(n) {
  const out = [];
  do {
    let x = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) x |= 0x80;
    out.push(x);
  } while (n > 0);
  return out;
}

function sleb32(n) {
  n |= 0;
  const out = [];
  for (;;) {
    const x = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(x & 0x40)) || (n === -1 && x & 0x40)) {
      out.push(x);
      return out;
    }
    out.push(x | 0x80);
  }
}

const utf8 = (s) => [...new TextEncoder().encode(s)];

// Value types.
const I32 = 0x7f;
const I64 = 0x7e;
const F32 = 0x7d;
const F64 = 0x7c;
const V128 = 0x7b;

/** Skip a value type (numeric, vector, or reference with a heap type). */
function skipValType(r) {
  const t = r.byte();
  if (t === 0x63 || t === 0x64) r.skipLeb();
}

/** Skip a block type: empty, a value type, or a type index (s33). */
function skipBlockType(r) {
  const t = r.b[r.p];
  if (t === 0x63 || t === 0x64) {
    r.p++;
    r.skipLeb();
  } else {
    r.skipLeb();
  }
}

/** Read a memarg; returns its offset. Only memory 0 of a 32-bit memory is supported. */
function readMemarg(r) {
  const align = r.u32();
  if (align & 0x40) {
    if (r.u32() !== 0) throw new UnsupportedModule('a memory other than memory 0');
  }
  const offset = r.u32();
  if (offset > 0xffffffff) throw new UnsupportedModule('a 64-bit memory offset');
  return offset;
}

// Plain stores: opcode -> type of the stored value.
const STORES = new Map([
  [0x36, I32],
  [0x37, I64],
  [0x38, F32],
  [0x39, F64],
  [0x3a, I32],
  [0x3b, I32],
  [0x3c, I64],
  [0x3d, I64],
  [0x3e, I64],
]);

/**
 * Walk one function body's instructions, calling `onWrite(kind, start, end,
 * info)` for each memory-writing instruction (kind 'store' with the value
 * type and memarg offset, or 'bulk'), where [start, end) are its bytes.
 * Throws UnsupportedModule for any instruction it cannot decode.
 */
function walkInstructions(r, end, onWrite) {
  while (r.p < end) {
    const start = r.p;
    const op = r.byte();
    if (STORES.has(op)) {
      const offset = readMemarg(r);
      onWrite('store', start, r.p, { type: STORES.get(op), offset });
      continue;
    }
    if (op >= 0x28 && op <= 0x35) {
      readMemarg(r);
      continue;
    }
    if (op >= 0x45 && op <= 0xc4) continue;
    switch (op) {
      case 0x00:
      case 0x01:
      case 0x05:
      case 0x0a:
      case 0x0b:
      case 0x0f:
      case 0x19:
      case 0x1a:
      case 0x1b:
      case 0xd1:
      case 0xd3:
      case 0xd4:
        break;
      case 0x02:
      case 0x03:
      case 0x04:
      case 0x06:
        skipBlockType(r);
        break;
      case 0x07:
      case 0x08:
      case 0x09:
      case 0x0c:
      case 0x0d:
      case 0x10:
      case 0x12:
      case 0x14:
      case 0x15:
      case 0x18:
      case 0x20:
      case 0x21:
      case 0x22:
      case 0x23:
      case 0x25:
      case 0xd2:
      case 0xd5:
      case 0xd6:
        r.u32();
        break;
      case 0x24:
        onWrite('global', start, r.p, { global: r.u32() });
        break;
      case 0x26:
        r.u32();
        onWrite('table', start, r.p, {});
        break;
      case 0x0e: {
        const n = r.u32();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case 0x11:
      case 0x13:
        r.u32();
        r.u32();
        break;
      case 0x1c: {
        const n = r.u32();
        for (let i = 0; i < n; i++) skipValType(r);
        break;
      }
      case 0x1f: {
        skipBlockType(r);
        const n = r.u32();
        for (let i = 0; i < n; i++) {
          const kind = r.byte();
          if (kind === 0x00 || kind === 0x01) r.u32();
          else if (kind !== 0x02 && kind !== 0x03) throw new UnsupportedModule(`try_table catch kind ${kind}`);
          r.u32();
        }
        break;
      }
      case 0x3f:
      case 0x40:
        if (r.u32() !== 0) throw new UnsupportedModule('a memory other than memory 0');
        break;
      case 0x41:
      case 0x42:
        r.skipLeb();
        break;
      case 0x43:
        r.skip(4);
        break;
      case 0x44:
        r.skip(8);
        break;
      case 0xd0:
        r.skipLeb();
        break;
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) break;
        if (sub === 8) {
          r.u32();
          if (r.u32() !== 0) throw new UnsupportedModule('a memory other than memory 0');
          onWrite('bulk', start, r.p, {});
        } else if (sub === 10) {
          if (r.u32() !== 0 || r.u32() !== 0) throw new UnsupportedModule('a memory other than memory 0');
          onWrite('bulk', start, r.p, {});
        } else if (sub === 11) {
          if (r.u32() !== 0) throw new UnsupportedModule('a memory other than memory 0');
          onWrite('bulk', start, r.p, {});
        } else if (sub === 9 || sub === 13 || sub === 16) {
          r.u32();
        } else if (sub === 15 || sub === 17) {
          r.u32();
          onWrite('table', start, r.p, {});
        } else if (sub === 12 || sub === 14) {
          r.u32();
          r.u32();
          onWrite('table', start, r.p, {});
        } else {
          throw new UnsupportedModule(`instruction 0xfc ${sub}`);
        }
        break;
      }
      case 0xfd: {
        const sub = r.u32();
        if (sub === 11) {
          const offset = readMemarg(r);
          onWrite('store', start, r.p, { type: V128, offset });
        } else if (sub <= 10 || sub === 92 || sub === 93) {
          readMemarg(r);
        } else if (sub === 12 || sub === 13) {
          r.skip(16);
        } else if (sub >= 21 && sub <= 34) {
          r.skip(1);
        } else if (sub >= 84 && sub <= 87) {
          readMemarg(r);
          r.skip(1);
        } else if (sub >= 88 && sub <= 91) {
          const offset = readMemarg(r);
          r.skip(1);
          onWrite('store', start, r.p, { type: V128, offset, lane: true });
        } else if (sub > 0x113) {
          throw new UnsupportedModule(`instruction 0xfd ${sub}`);
        }
        break;
      }
      case 0xfb: {
        // Garbage-collected structs and arrays: they live outside linear memory.
        const sub = r.u32();
        if (sub === 2 || sub === 3 || sub === 4 || sub === 5 || sub === 8 || sub === 9 || sub === 10) {
          r.u32();
          r.u32();
        } else if (sub === 17 || sub === 18 || sub === 19) {
          r.u32();
          r.u32();
        } else if (sub === 0 || sub === 1 || sub === 6 || sub === 7 || (sub >= 11 && sub <= 14) || sub === 16) {
          r.u32();
        } else if (sub >= 20 && sub <= 23) {
          r.skipLeb();
        } else if (sub === 24 || sub === 25) {
          r.byte();
          r.u32();
          r.skipLeb();
          r.skipLeb();
        } else if (sub !== 15 && !(sub >= 26 && sub <= 30)) {
          throw new UnsupportedModule(`instruction 0xfb ${sub}`);
        }
        break;
      }
      case 0xfe: {
        const sub = r.u32();
        // Only notify, wait and fence are accepted: every other atomic writes.
        if (sub === 0x03) r.skip(1);
        else if (sub <= 0x02) readMemarg(r);
        else throw new UnsupportedModule(`atomic instruction 0xfe ${sub}`);
        break;
      }
      default:
        throw new UnsupportedModule(`opcode 0x${op.toString(16)} at byte ${start}`);
    }
  }
}

/** Parse the top-level sections: [{ id, start, end }] (start/end of the contents). */
function sections(bytes) {
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d || bytes[4] !== 1) {
    throw new UnsupportedModule('not a version-1 WebAssembly module');
  }
  const r = new Reader(bytes, 8);
  const list = [];
  while (r.p < bytes.length) {
    const headerStart = r.p;
    const id = r.byte();
    const size = r.u32();
    list.push({ id, header: headerStart, start: r.p, end: r.p + size });
    r.p += size;
  }
  return list;
}

/**
 * The lowest address of Emscripten's C stack (the linker's `__stack_low`):
 * marks made before the worker places the dirty map go there, where only a
 * stack nearly used up would reach.
 */
function stackEnd(bytes, find, importedGlobals) {
  const exportSection = find(7);
  const globalSection = find(6);
  if (!exportSection || !globalSection) throw new UnsupportedModule('no __stack_low');
  const r = new Reader(bytes, exportSection.start);
  const n = r.u32();
  let globalIndex = -1;
  for (let i = 0; i < n; i++) {
    const length = r.u32();
    const name = new TextDecoder().decode(bytes.subarray(r.p, r.p + length));
    r.skip(length);
    const kind = r.byte();
    const index = r.u32();
    if (name === '__stack_low' && kind === 3) globalIndex = index;
  }
  const g = new Reader(bytes, globalSection.start);
  const globals = g.u32();
  for (let j = 0; j < globals && globalIndex >= importedGlobals; j++) {
    skipValType(g);
    g.byte();
    const op = g.byte();
    if (j === globalIndex - importedGlobals) {
      if (op !== 0x41) break;
      let value = 0;
      let shift = 0;
      let x;
      do {
        x = g.byte();
        value += (x & 0x7f) * 2 ** shift;
        shift += 7;
      } while (x & 0x80);
      if (value <= 0) break;
      return Math.ceil(value / 8) * 8;
    }
    walkConstant(g, op);
  }
  throw new UnsupportedModule('cannot read __stack_low');
}

/** Skip the rest of a constant expression whose first opcode was `op`. */
function walkConstant(r, op) {
  for (;;) {
    if (op === 0x0b) return;
    if (op === 0x41 || op === 0x42 || op === 0xd0) r.skipLeb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0x23 || op === 0xd2) r.u32();
    else if (op === 0xfd) {
      r.u32();
      r.skip(16);
    } else if (!(op >= 0x6a && op <= 0x6c) && !(op >= 0x7c && op <= 0x7e)) {
      throw new UnsupportedModule(`constant opcode 0x${op.toString(16)}`);
    }
    op = r.byte();
  }
}

/**
 * Instrument `bytes` (a WebAssembly module). Returns { bytes, instrumented,
 * writes, bootMap }, or throws UnsupportedModule. `bootMap` is the dirty map's
 * address until the worker sets the exported global (marks made before then
 * are never read); null: the module's own stack end.
 */
export function instrumentMemoryWrites(bytes, bootMap = null) {
  bytes = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const list = sections(bytes);
  const find = (id) => list.find((s) => s.id === id);

  // Types: parameter counts, for the index of the locals added to each function.
  const paramCounts = [];
  const typeSection = find(1);
  let typeCount = 0;
  if (typeSection) {
    const r = new Reader(bytes, typeSection.start);
    const groups = r.u32();
    const compositeType = () => {
      const form = r.byte();
      if (form === 0x60) {
        const params = r.u32();
        for (let j = 0; j < params; j++) skipValType(r);
        const results = r.u32();
        for (let j = 0; j < results; j++) skipValType(r);
        paramCounts.push(params);
      } else if (form === 0x5f || form === 0x5e) {
        const fields = form === 0x5f ? r.u32() : 1;
        for (let j = 0; j < fields; j++) {
          skipValType(r);
          r.byte();
        }
        paramCounts.push(0);
      } else {
        throw new UnsupportedModule(`type form 0x${form.toString(16)}`);
      }
    };
    const subType = () => {
      const form = r.b[r.p];
      if (form === 0x50 || form === 0x4f) {
        r.p++;
        const supers = r.u32();
        for (let j = 0; j < supers; j++) r.u32();
      }
      compositeType();
    };
    for (let i = 0; i < groups; i++) {
      if (r.b[r.p] === 0x4e) {
        r.p++;
        const members = r.u32();
        for (let j = 0; j < members; j++) subType();
      } else {
        subType();
      }
    }
    typeCount = paramCounts.length;
  }

  // Imports: how many functions and globals come before the defined ones,
  // and whether the module reaches a memory at all.
  let importedFunctions = 0;
  let importedGlobals = 0;
  let hasMemory = Boolean(find(5));
  const importSection = find(2);
  if (importSection) {
    const r = new Reader(bytes, importSection.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      r.skip(r.u32());
      r.skip(r.u32());
      const kind = r.byte();
      if (kind === 0x00) {
        r.u32();
        importedFunctions++;
      } else if (kind === 0x01) {
        skipValType(r);
        const flags = r.byte();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 0x02) {
        const flags = r.byte();
        if (flags & 4) throw new UnsupportedModule('a 64-bit memory');
        r.u32();
        if (flags & 1) r.u32();
        hasMemory = true;
      } else if (kind === 0x03) {
        skipValType(r);
        r.byte();
        importedGlobals++;
      } else if (kind === 0x04) {
        r.byte();
        r.u32();
      } else {
        throw new UnsupportedModule(`import kind ${kind}`);
      }
    }
  }
  if (!hasMemory) return { bytes, instrumented: false, writes: 0 };

  const functionSection = find(3);
  const functionTypes = [];
  if (functionSection) {
    const r = new Reader(bytes, functionSection.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) functionTypes.push(r.u32());
  }
  let definedGlobals = 0;
  const globalSection = find(6);
  if (globalSection) definedGlobals = new Reader(bytes, globalSection.start).u32();
  const mapGlobal = importedGlobals + definedGlobals;
  if (bootMap === null) bootMap = stackEnd(bytes, find, importedGlobals);
  const markRangeFunction = importedFunctions + functionTypes.length;
  const markRangeType = typeCount;

  // The code: every writing instruction gets its mark.
  const codeSection = find(10);
  if (!codeSection) throw new UnsupportedModule('no code section');
  const r = new Reader(bytes, codeSection.start);
  const bodyCount = r.u32();
  if (bodyCount !== functionTypes.length) throw new UnsupportedModule('function and code sections disagree');
  const bodies = [];
  let writes = 0;
  let tableWrites = 0;
  const globalsSet = new Set();
  for (let f = 0; f < bodyCount; f++) {
    const sizeStart = r.p;
    const size = r.u32();
    const bodyStart = r.p;
    const bodyEnd = bodyStart + size;
    const localGroups = r.u32();
    const groupsStart = r.p;
    let locals = paramCounts[functionTypes[f]] ?? 0;
    for (let i = 0; i < localGroups; i++) {
      locals += r.u32();
      skipValType(r);
    }
    const localsEnd = r.p;
    const found = [];
    walkInstructions(r, bodyEnd, (kind, start, end, info) => {
      if (kind === 'global') globalsSet.add(info.global);
      else found.push({ kind, start, end, ...info });
    });
    if (found.length === 0) {
      bodies.push(bytes.subarray(sizeStart, bodyEnd));
      continue;
    }
    writes += found.length;
    // New locals, only of the kinds this function needs: the address, two
    // more i32 values for bulk operations, one value of each stored type.
    const added = [];
    const addLocal = (type) => {
      added.push(type);
      return locals + added.length - 1;
    };
    const A = addLocal(I32);
    const valueLocal = new Map();
    let B = -1;
    let C = -1;
    for (const w of found) {
      if (w.kind === 'table') continue;
      if (w.kind === 'bulk' && C < 0) {
        B = valueLocal.get(I32) ?? addLocal(I32);
        valueLocal.set(I32, B);
        C = addLocal(I32);
      } else if (w.kind === 'store' && !valueLocal.has(w.type)) {
        valueLocal.set(w.type, addLocal(w.type));
      }
    }
    const chunks = [];
    let copied = localsEnd;
    for (const w of found) {
      chunks.push(bytes.subarray(copied, w.start));
      copied = w.end;
      const original = bytes.subarray(w.start, w.end);
      if (w.kind === 'table') {
        // The function table changed: raise the flag after the dirty map.
        tableWrites++;
        chunks.push(original, Uint8Array.of(0x23, ...uleb(mapGlobal), 0x41, 1, 0x3a, 0, ...uleb(TABLE_FLAG_OFFSET)));
      } else if (w.kind === 'store') {
        const v = valueLocal.get(w.type);
        const mark = [0x23, ...uleb(mapGlobal), 0x20, ...uleb(A)];
        if (w.offset) mark.push(0x41, ...sleb32(w.offset), 0x6a);
        mark.push(0x41, PAGE_SHIFT, 0x76, 0x6a, 0x41, 1, 0x3a, 0, 0);
        chunks.push(
          Uint8Array.of(0x21, ...uleb(v), 0x22, ...uleb(A), 0x20, ...uleb(v)),
          original,
          Uint8Array.of(...mark),
        );
      } else {
        // [dest, source-or-value, length] -> the operation, then mark [dest, dest + length).
        chunks.push(
          Uint8Array.of(0x21, ...uleb(C), 0x21, ...uleb(B), 0x22, ...uleb(A), 0x20, ...uleb(B), 0x20, ...uleb(C)),
          original,
          Uint8Array.of(0x20, ...uleb(A), 0x20, ...uleb(C), 0x10, ...uleb(markRangeFunction)),
        );
      }
    }
    chunks.push(bytes.subarray(copied, bodyEnd));
    const localDecl = [...uleb(localGroups + added.length), ...bytes.subarray(groupsStart, localsEnd)];
    for (const type of added) localDecl.push(1, type);
    const bodyLength = localDecl.length + chunks.reduce((n, c) => n + c.length, 0);
    bodies.push(Uint8Array.of(...uleb(bodyLength), ...localDecl), ...chunks);
  }
  // markRange(dest, length): mark every page of [dest, dest + length).
  const markRange = Uint8Array.of(
    ...[1, 1, I32], // one more local: the last page
    ...[0x20, 1, 0x45, 0x0d, 0], // if length == 0: return (br 0 out of the function body)
    ...[0x20, 0, 0x20, 1, 0x6a, 0x41, 1, 0x6b, 0x41, PAGE_SHIFT, 0x76, 0x21, 2], // last = (dest + length - 1) >> 12
    ...[0x20, 0, 0x41, PAGE_SHIFT, 0x76, 0x21, 0], // dest = dest >> 12 (now the page)
    0x03,
    0x40,
    ...[0x23, ...uleb(mapGlobal), 0x20, 0, 0x6a, 0x41, 1, 0x3a, 0, 0], // map[page] = 1
    ...[0x20, 0, 0x41, 1, 0x6a, 0x22, 0, 0x20, 2, 0x4d, 0x0d, 0], // page++ ; loop while page <= last
    0x0b,
    0x0b,
  );
  bodies.push(Uint8Array.of(...uleb(markRange.length)), markRange);

  // Reassemble, section by section.
  const out = [bytes.subarray(0, 8)];
  const emit = (id, content) => {
    const length = content.reduce((n, c) => n + c.length, 0);
    out.push(Uint8Array.of(id, ...uleb(length)));
    for (const c of content) out.push(c);
  };
  const appendToVector = (section, extra) => {
    const rr = new Reader(bytes, section.start);
    const n = rr.u32();
    return [
      Uint8Array.of(...uleb(n + extra.length)),
      bytes.subarray(rr.p, section.end),
      ...extra.map((e) => Uint8Array.from(e)),
    ];
  };
  const newType = [0x60, 2, I32, I32, 0];
  const newGlobal = [I32, 1, 0x41, ...sleb32(bootMap), 0x0b];
  const newExports = [[...uleb(DIRTY_MAP_EXPORT.length), ...utf8(DIRTY_MAP_EXPORT), 0x03, ...uleb(mapGlobal)]];
  // Every global an instruction sets, so the worker can save and restore it.
  for (const index of [...globalsSet].sort((a, b) => a - b)) {
    const exportName = `${GLOBAL_EXPORT_PREFIX}${index}`;
    newExports.push([...uleb(exportName.length), ...utf8(exportName), 0x03, ...uleb(index)]);
  }
  const order = (id) =>
    ({ 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 })[id] ?? 0;
  const pending = new Map([
    [1, typeSection ? null : [Uint8Array.of(1, ...newType)]],
    [3, functionSection ? null : [Uint8Array.of(1, ...uleb(markRangeType))]],
    [6, globalSection ? null : [Uint8Array.of(1, ...newGlobal)]],
    [7, find(7) ? null : [Uint8Array.of(...uleb(newExports.length)), ...newExports.map((e) => Uint8Array.from(e))]],
  ]);
  const flushBefore = (rank) => {
    for (const [id, content] of pending) {
      if (content && order(id) < rank) {
        emit(id, content);
        pending.set(id, null);
      }
    }
  };
  for (const section of list) {
    if (section.id !== 0) flushBefore(order(section.id));
    switch (section.id) {
      case 1:
        emit(1, appendToVector(section, [newType]));
        break;
      case 3:
        emit(3, appendToVector(section, [uleb(markRangeType)]));
        break;
      case 6:
        emit(6, appendToVector(section, [newGlobal]));
        break;
      case 7:
        emit(7, appendToVector(section, newExports));
        break;
      case 10:
        emit(10, [Uint8Array.of(...uleb(bodyCount + 1))].concat(bodies));
        break;
      default:
        out.push(bytes.subarray(section.header, section.end));
    }
  }
  flushBefore(99);
  const total = out.reduce((n, c) => n + c.length, 0);
  const result = new Uint8Array(total);
  let at = 0;
  for (const c of out) {
    result.set(c, at);
    at += c.length;
  }
  return { bytes: result, instrumented: true, writes, tableWrites, globalsSet: [...globalsSet], bootMap };
}
