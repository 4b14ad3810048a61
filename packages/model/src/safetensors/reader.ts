/**
 * Safetensors reader: the header is parsed and validated up front (every rule
 * of the reference reader: dtypes, shapes, offsets that tile the data section
 * exactly), tensor bytes are read on demand by byte range, so a checkpoint is
 * never held in memory as a whole (format: 8-byte little-endian header length,
 * a JSON header, then the raw little-endian data).
 */
import { open, type FileHandle } from 'node:fs/promises';

import {
  bf16ToF32,
  bytesToFloat32,
  f16ToF32,
  bytesToInt32,
  bytesToUint16,
  dtypeByteSize,
  isSafetensorsDType,
  SAFETENSORS_DTYPES,
  type SafetensorsDType,
} from './dtypes.js';

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte offsets [begin, end) relative to the start of the data section. */
  dataOffsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Absolute file offset of the data section (8 + header length). */
  dataStart: number;
}

/** A header larger than this is not a safetensors file (the reference implementation caps it at 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parse and validate a safetensors header. `fileSize` is the total file size
 * (to check that every tensor's bytes lie inside the file); `where` names the
 * file in errors.
 */
export function parseSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, where: string): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw new Error(`${where}: safetensors header is not valid UTF-8 JSON (${(err as Error).message})`, { cause: err });
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`${where}: safetensors header must be a JSON object`);
  }
  const dataStart = 8 + headerBytes.byteLength;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw new Error(`${where}: __metadata__ must be an object of strings`);
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new Error(`${where}: __metadata__.${k} must be a string, got ${typeof v}`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const at = `${where}: tensor '${name}'`;
    if (raw === null || typeof raw !== 'object') throw new Error(`${at}: entry must be an object`);
    const { dtype, shape, data_offsets } = raw as Record<string, unknown>;
    if (!isSafetensorsDType(dtype)) {
      throw new Error(
        `${at}: unknown dtype ${JSON.stringify(dtype)} (expected one of ${SAFETENSORS_DTYPES.join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${at}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(data_offsets) ||
      data_offsets.length !== 2 ||
      !data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      data_offsets[1] < data_offsets[0]
    ) {
      throw new Error(
        `${at}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(data_offsets)}`,
      );
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * dtypeByteSize(dtype);
    const [begin, end] = data_offsets as [number, number];
    if (end - begin !== expected) {
      throw new Error(
        `${at}: data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} [${(shape as number[]).join(', ')}] needs ${expected}`,
      );
    }
    if (end > dataSize) {
      throw new Error(
        `${at}: data ends at byte ${end} of the data section but the file has only ${dataSize} data bytes (truncated?)`,
      );
    }
    tensors.set(name, { name, dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] });
  }
  checkLayout(tensors, dataSize, where);
  return { tensors, metadata, dataStart };
}

/**
 * The reference reader's layout rules (the Rust `safetensors` crate,
 * `Metadata::validate` and `read_metadata`): sorted by offsets, each tensor
 * starts where the previous one ends (no overlap, no gap, the first at 0), and
 * the last one ends where the file ends (no trailing bytes).
 */
function checkLayout(tensors: Map<string, TensorEntry>, dataSize: number, where: string): void {
  const ordered = [...tensors.values()].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let end = 0;
  let previous: TensorEntry | null = null;
  for (const t of ordered) {
    const [begin, stop] = t.dataOffsets;
    if (begin < end)
      throw new Error(
        `${where}: tensor '${t.name}': data_offsets [${begin}, ${stop}] overlap tensor '${previous!.name}' [${previous!.dataOffsets.join(', ')}]`,
      );
    if (begin > end)
      throw new Error(
        `${where}: tensor '${t.name}': data_offsets [${begin}, ${stop}] leave bytes ${end}..${begin - 1} of the data section unused${previous ? ` after tensor '${previous.name}'` : ''}`,
      );
    end = stop;
    previous = t;
  }
  if (end !== dataSize)
    throw new Error(
      `${where}: the tensors end at byte ${end} of the data section but it has ${dataSize} bytes: ${dataSize - end} trailing byte(s) no tensor covers`,
    );
}

/** Read and validate the header of a safetensors file. */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const file = await SafetensorsFile.open(path);
  await file.close();
  return file.header;
}

/**
 * An open safetensors file. Tensors are read one at a time by byte range;
 * close() releases the file handle.
 */
export class SafetensorsFile {
  private closed = false;
  private spareChunk: Uint8Array | null = null;

  private constructor(
    readonly path: string,
    readonly header: SafetensorsHeader,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    if (typeof path !== 'string' || path === '')
      throw new TypeError(`SafetensorsFile.open: path must be a non-empty string, got ${typeof path}`);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot open: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      const { size } = await handle.stat();
      if (size < 8)
        throw new Error(`${path}: ${size} bytes is too short for a safetensors file (needs an 8-byte header length)`);
      const lenBuf = Buffer.alloc(8);
      await handle.read(lenBuf, 0, 8, 0);
      // What a `git clone` without git-lfs leaves in place of the weights.
      if (size < 1024 && lenBuf.toString('latin1') === 'version ') {
        const text = Buffer.alloc(size);
        await handle.read(text, 0, size, 0);
        if (text.toString('utf8').startsWith('version https://git-lfs.github.com/spec/'))
          throw new Error(
            `${path}: a Git LFS pointer, not the file it stands for (${/size (\d+)/.exec(text.toString('utf8'))?.[1] ?? '?'} bytes): the repo was cloned without Git LFS; run \`git lfs pull\` there, or load the repo id from the Hub`,
          );
      }
      const headerLen = lenBuf.readBigUInt64LE(0);
      if (headerLen > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
        throw new Error(
          `${path}: header length ${headerLen} exceeds the file (${size} bytes) or the 100 MB limit: not a safetensors file?`,
        );
      }
      const headerBytes = Buffer.alloc(Number(headerLen));
      await handle.read(headerBytes, 0, headerBytes.length, 8);
      const header = parseSafetensorsHeader(headerBytes, size, path);
      return new SafetensorsFile(path, header, handle);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  has(name: string): boolean {
    return this.header.tensors.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.header.tensors.get(name);
    if (!e) throw new Error(`${this.path}: no tensor named '${name}'`);
    return e;
  }

  /** The tensor's raw little-endian bytes (one read of its byte range). */
  async readBytes(name: string): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.path}: file is closed`);
    const e = this.entry(name);
    const [begin, end] = e.dataOffsets;
    const out = new Uint8Array(end - begin);
    await this.readRange(this.header.dataStart + begin, out, name);
    return out;
  }

  private async readRange(position: number, into: Uint8Array, name: string): Promise<void> {
    let done = 0;
    while (done < into.length) {
      const { bytesRead } = await this.handle.read(into, done, into.length - done, position + done);
      if (bytesRead === 0) throw new Error(`${this.path}: tensor '${name}': unexpected end of file`);
      done += bytesRead;
    }
  }

  /**
   * The tensor widened to float32. F32 data is read straight into the result;
   * F16/BF16 are read and converted in chunks of `chunkBytes`, so the only
   * large allocation is the float32 result itself.
   */
  async readFloat32(name: string, chunkBytes = 8 * 2 ** 20): Promise<Float32Array> {
    const e = this.entry(name);
    const out = new Float32Array((e.dataOffsets[1] - e.dataOffsets[0]) / dtypeByteSize(e.dtype));
    await this.readFloat32Into(name, out, chunkBytes);
    return out;
  }

  /**
   * Read the tensor widened to float32 into `dst` (exactly its element count),
   * e.g. one reusable buffer for a whole checkpoint.
   */
  async readFloat32Into(name: string, dst: Float32Array, chunkBytes = 8 * 2 ** 20): Promise<void> {
    if (this.closed) throw new Error(`${this.path}: file is closed`);
    const e = this.entry(name);
    const where = `${this.path}: ${name}`;
    const [begin, end] = e.dataOffsets;
    const elementBytes = dtypeByteSize(e.dtype);
    const total = (end - begin) / elementBytes;
    if (dst.length !== total) throw new Error(`${where}: destination has ${dst.length} elements, the tensor ${total}`);
    if (e.dtype === 'F32') {
      await this.readRange(
        this.header.dataStart + begin,
        new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength),
        name,
      );
      return;
    }
    if (e.dtype !== 'BF16' && e.dtype !== 'F16') {
      dst.set(bytesToFloat32(await this.readBytes(name), e.dtype, where));
      return;
    }
    const perChunk = Math.max(1, Math.min(total, Math.floor(chunkBytes / elementBytes)));
    // One chunk buffer per file, reused across reads (a fresh one only while another read holds it),
    // so loading leaves no garbage the size of the checkpoint behind.
    let buf = this.spareChunk;
    this.spareChunk = null;
    if (!buf || buf.byteLength < perChunk * elementBytes) buf = new Uint8Array(perChunk * elementBytes);
    try {
      const words = new Uint16Array(buf.buffer, 0, perChunk);
      const convert = e.dtype === 'BF16' ? bf16ToF32 : f16ToF32;
      for (let first = 0; first < total; first += perChunk) {
        const n = Math.min(perChunk, total - first);
        await this.readRange(
          this.header.dataStart + begin + first * elementBytes,
          buf.subarray(0, n * elementBytes),
          name,
        );
        convert(words.subarray(0, n), dst.subarray(first, first + n));
      }
    } finally {
      this.spareChunk = buf;
    }
  }

  /** An I32/I64 tensor as int32. */
  async readInt32(name: string): Promise<Int32Array> {
    const e = this.entry(name);
    return bytesToInt32(await this.readBytes(name), e.dtype, `${this.path}: ${name}`);
  }

  /** An F16/BF16 tensor's raw 16-bit words. */
  async readUint16(name: string): Promise<Uint16Array> {
    const e = this.entry(name);
    return bytesToUint16(await this.readBytes(name), e.dtype, `${this.path}: ${name}`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
