/**
 * A minimal WebAssembly binary encoder: just what the GEMM generator needs
 * (one imported shared memory, i32 functions, structured control flow, i32
 * arithmetic and the 128-bit SIMD opcodes of the f32x4 micro-kernel).
 * Generating the module in TypeScript keeps the kernel's unrolling a
 * parameter and needs no toolchain at install or build time.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof V128;

/** Opcodes used by the generator (single-byte core opcodes). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  f32Add: 0x92,
} as const;

/** SIMD opcodes (prefix 0xfd, then a LEB128 sub-opcode). */
export const SimdOp = {
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  f32x4Splat: 0x13,
  i32x4Splat: 0x11,
  f32x4ExtractLane: 0x1f,
  i32x4GtS: 0x3b,
  v128And: 0x4e,
  v128Or: 0x50,
  v128Bitselect: 0x52,
  i32x4Shl: 0xab,
  i8x16Shuffle: 0x0d,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  /** Relaxed SIMD: a * b + c, fused or not (the hardware's choice). */
  f32x4RelaxedMadd: 0x105,
  v128Const: 0x0c,
} as const;

export const BLOCK_VOID = 0x40;

export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(s: string): number[] {
  return [...new TextEncoder().encode(s)];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** Builds one function body: declared locals plus an instruction stream. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly params: readonly ValType[]) {}

  /** Declare a local; returns its index (after the parameters). */
  local(type: ValType): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(index: number): this {
    return this.op(Op.localGet, ...uleb(index));
  }

  set(index: number): this {
    return this.op(Op.localSet, ...uleb(index));
  }

  tee(index: number): this {
    return this.op(Op.localTee, ...uleb(index));
  }

  i32(value: number): this {
    return this.op(Op.i32Const, ...sleb(value));
  }

  /** `local = local + delta` for an i32 local. */
  addTo(index: number, delta: number): this {
    if (delta === 0) return this;
    return this.get(index).i32(delta).op(Op.i32Add).set(index);
  }

  simd(sub: number, ...immediates: number[]): this {
    return this.op(0xfd, ...uleb(sub), ...immediates);
  }

  /** v128.load with a constant byte offset (alignment hint 16 bytes). */
  v128Load(offset: number): this {
    return this.simd(SimdOp.v128Load, 4, ...uleb(offset));
  }

  v128Store(offset: number): this {
    return this.simd(SimdOp.v128Store, 4, ...uleb(offset));
  }

  v128Load32Splat(offset: number): this {
    return this.simd(SimdOp.v128Load32Splat, 2, ...uleb(offset));
  }

  f32Load(offset: number): this {
    return this.op(Op.f32Load, 2, ...uleb(offset));
  }

  f32Store(offset: number): this {
    return this.op(Op.f32Store, 2, ...uleb(offset));
  }

  i32Store(offset: number): this {
    return this.op(Op.i32Store, 2, ...uleb(offset));
  }

  v128Zero(): this {
    return this.simd(SimdOp.v128Const, ...new Array<number>(16).fill(0));
  }

  /** The function's body bytes as they appear in the code section. */
  encode(): number[] {
    // Run-length group the locals by type, as the format requires.
    const groups: number[][] = [];
    let i = 0;
    while (i < this.localTypes.length) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), this.localTypes[i]!]);
      i = j;
    }
    const body = [...vec(groups), ...this.code, Op.end];
    return [...uleb(body.length), ...body];
  }
}

export interface ExportedFunction {
  name: string;
  fn: FunctionBuilder;
}

/**
 * A module importing `env.memory` (shared, `maxPages` maximum) and exporting
 * the given functions, all of which return nothing.
 */
export function encodeModule(
  functions: ExportedFunction[],
  memory: { initialPages: number; maxPages: number },
): Uint8Array {
  const types = functions.map(({ fn }) => [0x60, ...vec(fn.params.map((t) => [t])), 0x00]);
  const importMemory = [
    ...uleb(3),
    ...utf8('env'),
    ...uleb(6),
    ...utf8('memory'),
    0x02, // memory import
    0x03, // limits: shared, with maximum
    ...uleb(memory.initialPages),
    ...uleb(memory.maxPages),
  ];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, vec([importMemory])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map(({ name }, i) => [...uleb(name.length), ...utf8(name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map(({ fn }) => fn.encode()))),
  ];
  return new Uint8Array(bytes);
}
