import { mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafetensorsCheckpoint, writeSafetensorsCheckpoint, INDEX_FILE } from './checkpoint.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './dtypes.js';
import { SafetensorsFile } from './reader.js';
import { encodeFloat32, writeSafetensors } from './writer.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-st-'));

/** A safetensors file from a raw header object and data bytes. */
function rawFile(header: unknown, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('float conversions', () => {
  it('bf16 rounds to nearest even and widens back exactly', () => {
    const x = new Float32Array([1, -2.5, 1 + 2 ** -8, 1 + 3 * 2 ** -9, 3.140625, 65504, 1e-40, Infinity, -Infinity]);
    const bits = f32ToBf16(x);
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to the even mantissa (1).
    expect(bits[2]).toBe(0x3f80);
    // 1 + 3 * 2^-9 is above the midpoint: rounds up to 1 + 2^-7.
    expect(bits[3]).toBe(0x3f81);
    const back = bf16ToF32(bits);
    expect(Array.from(back.slice(0, 2))).toEqual([1, -2.5]);
    expect(back[4]).toBe(3.140625);
    expect(back[7]).toBe(Infinity);
    expect(back[8]).toBe(-Infinity);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(new Float32Array([NaN])))[0])).toBe(true);
  });

  it('f16 round-trips representable values, rounds ties to even, handles subnormals and overflow', () => {
    const exact = new Float32Array([0, -0, 1, -1, 0.5, 65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24, 1000.5]);
    expect(Array.from(f16ToF32(f32ToF16(exact)))).toEqual(Array.from(exact));
    expect(f32ToF16(new Float32Array([1 + 2 ** -11]))[0]).toBe(0x3c00); // tie -> even
    expect(f32ToF16(new Float32Array([1 + 3 * 2 ** -11]))[0]).toBe(0x3c02);
    expect(f32ToF16(new Float32Array([70000]))[0]).toBe(0x7c00);
    expect(f32ToF16(new Float32Array([2 ** -26]))[0]).toBe(0);
    expect(f16ToF32(new Uint16Array([0x3555]))[0]).toBeCloseTo(0.33325195, 7);
  });
});

describe('safetensors file', () => {
  it('writes and reads F32, F16, BF16, I32 and I64 tensors with metadata', async () => {
    const dir = tmp();
    const path = join(dir, 'a.safetensors');
    const w = new Float32Array([1.5, -2, 0.25, 8, 3, 7]);
    await writeSafetensors(
      path,
      [
        { name: 'w32', dtype: 'F32', shape: [2, 3], data: w },
        { name: 'w16', dtype: 'F16', shape: [6], data: encodeFloat32(w, 'F16') },
        { name: 'wbf', dtype: 'BF16', shape: [3, 2], data: () => encodeFloat32(w, 'BF16') },
        { name: 'ids', dtype: 'I32', shape: [3], data: new Int32Array([5, -1, 7]) },
        { name: 'pos', dtype: 'I64', shape: [2], data: new BigInt64Array([3n, 9n]) },
        { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      ],
      { format: 'pt' },
    );
    const bytes = readFileSync(path);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    expect(headerLen % 8).toBe(0);
    const f = await SafetensorsFile.open(path);
    expect(f.header.metadata).toEqual({ format: 'pt' });
    expect(f.names().sort()).toEqual(['empty', 'ids', 'pos', 'w16', 'w32', 'wbf']);
    expect(f.entry('wbf')).toMatchObject({ dtype: 'BF16', shape: [3, 2] });
    expect(Array.from(await f.readFloat32('w32'))).toEqual(Array.from(w));
    expect(Array.from(await f.readFloat32('w16'))).toEqual(Array.from(w));
    expect(Array.from(await f.readFloat32('wbf'))).toEqual(Array.from(w));
    expect(Array.from(await f.readUint16('wbf'))).toEqual(Array.from(f32ToBf16(w)));
    expect(Array.from(await f.readInt32('ids'))).toEqual([5, -1, 7]);
    expect(Array.from(await f.readInt32('pos'))).toEqual([3, 9]);
    expect(Array.from(await f.readFloat32('pos'))).toEqual([3, 9]);
    expect((await f.readFloat32('empty')).length).toBe(0);
    await expect(f.readFloat32('nope')).rejects.toThrow(/no tensor named 'nope'/);
    await expect(f.readInt32('w32')).rejects.toThrow(/w32.*not an integer type/);
    await f.close();
  });

  it('converts BF16/F16 in chunks to the same values as one read', async () => {
    const path = join(tmp(), 'big.safetensors');
    const values = new Float32Array(1001).map((_, i) => Math.sin(i) * 100);
    await writeSafetensors(path, [
      { name: 'b', dtype: 'BF16', shape: [7, 143], data: encodeFloat32(values, 'BF16') },
      { name: 'h', dtype: 'F16', shape: [1001], data: encodeFloat32(values, 'F16') },
    ]);
    const f = await SafetensorsFile.open(path);
    for (const n of ['b', 'h'])
      expect(Array.from(await f.readFloat32(n, 30))).toEqual(Array.from(await f.readFloat32(n)));
    expect(Array.from(await f.readFloat32('b', 30))).toEqual(Array.from(bf16ToF32(f32ToBf16(values))));
    await f.close();
  });

  it('names the tensor and the problem for bad headers', async () => {
    const dir = tmp();
    const cases: [unknown, number, RegExp][] = [
      [{ x: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, 4, /tensor 'x': unknown dtype "F99"/],
      [
        { x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } },
        8,
        /tensor 'x': data_offsets \[0, 4\] span 4 bytes but F32 \[2\] needs 8/,
      ],
      [
        { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
        8,
        /tensor 'x': data ends at byte 16.*only 8 data bytes/,
      ],
      [{ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4, /tensor 'x': shape must be/],
      [{ x: { dtype: 'F32', shape: [1] } }, 4, /tensor 'x': data_offsets must be/],
    ];
    for (const [i, [header, dataLen, err]] of cases.entries()) {
      const path = join(dir, `bad${i}.safetensors`);
      writeFileSync(path, rawFile(header, new Uint8Array(dataLen)));
      await expect(SafetensorsFile.open(path)).rejects.toThrow(err);
    }
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1, 2]));
    await expect(SafetensorsFile.open(garbage)).rejects.toThrow(/header length .* exceeds the file/);
  });

  it('refuses overlapping offsets, gaps and trailing bytes, as the reference reader does', async () => {
    const dir = tmp();
    const cases: [unknown, number, RegExp][] = [
      [
        {
          a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
          b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
        },
        12,
        /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a' \[0, 8\]/,
      ],
      [
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        },
        4,
        /overlap tensor/,
      ],
      [
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        12,
        /tensor 'b': data_offsets \[8, 12\] leave bytes 4\.\.7 of the data section unused after tensor 'a'/,
      ],
      [{ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /leave bytes 0\.\.3 of the data section unused/],
      [
        { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } },
        9,
        /the tensors end at byte 4 of the data section but it has 9 bytes: 5 trailing byte\(s\)/,
      ],
      [{}, 3, /end at byte 0 of the data section but it has 3 bytes/],
    ];
    for (const [i, [header, dataLen, err]] of cases.entries()) {
      const path = join(dir, `layout${i}.safetensors`);
      writeFileSync(path, rawFile(header, new Uint8Array(dataLen)));
      await expect(SafetensorsFile.open(path), JSON.stringify(header)).rejects.toThrow(err);
    }
    // Offsets out of name order are fine when they tile the data section, as are empty tensors.
    const ok = join(dir, 'ok.safetensors');
    writeFileSync(
      ok,
      rawFile(
        {
          z: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
          e: { dtype: 'F32', shape: [0], data_offsets: [8, 8] },
        },
        new Uint8Array(8),
      ),
    );
    await expect(SafetensorsFile.open(ok)).resolves.toBeDefined();
  });

  it('names a bad argument when writing or opening', async () => {
    const path = join(tmp(), 'x.safetensors');
    await expect(
      writeSafetensors(path, [{ name: 'a', dtype: 'F99' as never, shape: [1], data: new Float32Array(1) }]),
    ).rejects.toThrow(/tensors\[0\] \('a'\): unknown dtype "F99"/);
    await expect(
      writeSafetensors(path, [{ name: 'a', dtype: 'F32', shape: [-1], data: new Float32Array(0) }]),
    ).rejects.toThrow(/tensors\[0\] \('a'\): shape must be an array of non-negative integers, got \[-1\]/);
    expect(() => encodeFloat32([1, 2] as never, 'F16')).toThrow(/encodeFloat32: values must be a Float32Array/);
    await expect(SafetensorsFile.open(join(tmp(), 'missing.safetensors'))).rejects.toThrow(
      /missing\.safetensors: no such file/,
    );
    await expect(SafetensorsFile.open(5 as never)).rejects.toThrow(/path must be a non-empty string/);
  });

  it('refuses data of the wrong size when writing', async () => {
    await expect(
      writeSafetensors(join(tmp(), 'x.safetensors'), [
        { name: 'w', dtype: 'F32', shape: [3], data: new Float32Array(2) },
      ]),
    ).rejects.toThrow(/tensor 'w' \(F32 \[3\]\) needs 12 bytes, got 8/);
  });
});

describe('sharded checkpoints', () => {
  it('splits above maxShardBytes, writes the index, and reads every tensor back', async () => {
    const dir = tmp();
    const tensors = Array.from({ length: 5 }, (_, i) => ({
      name: `model.layers.${i}.w`,
      dtype: 'F32' as const,
      shape: [4, 4],
      data: new Float32Array(16).map((_, j) => i * 100 + j),
    }));
    const files = await writeSafetensorsCheckpoint(dir, tensors, { maxShardBytes: 150 });
    expect(files).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      INDEX_FILE,
    ]);
    const index = JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
    expect(index.metadata.total_size).toBe(5 * 64);
    expect(index.weight_map['model.layers.4.w']).toBe('model-00003-of-00003.safetensors');
    const ckpt = await SafetensorsCheckpoint.open(dir);
    expect(ckpt.names().length).toBe(5);
    for (const t of tensors) expect(Array.from(await ckpt.readFloat32(t.name))).toEqual(Array.from(t.data));
    await ckpt.close();
  });

  it('names a tensor the index maps to a shard that lacks it', async () => {
    const dir = tmp();
    await writeSafetensorsCheckpoint(dir, [{ name: 'a', dtype: 'F32', shape: [1], data: new Float32Array(1) }], {});
    renameSync(join(dir, 'model.safetensors'), join(dir, 'model-1.safetensors'));
    writeFileSync(
      join(dir, INDEX_FILE),
      JSON.stringify({ weight_map: { a: 'model-1.safetensors', b: 'model-1.safetensors' } }),
    );
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(
      /tensor 'b' is mapped to 'model-1.safetensors' but that shard does not contain it/,
    );
    writeFileSync(join(dir, INDEX_FILE), JSON.stringify({ weight_map: { a: 'model-2.safetensors' } }));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(/shard 'model-2.safetensors' is listed but/);
    await expect(SafetensorsCheckpoint.open(tmp())).rejects.toThrow(
      /no model.safetensors or model.safetensors.index.json/,
    );
  });

  /** Five [2] tensors all holding `value`, the third made by `third` when given. */
  const weights = (value: number, third?: () => Promise<Float32Array>) =>
    Array.from({ length: 5 }, (_, i) => ({
      name: `w${i}`,
      dtype: 'F32' as const,
      shape: [2],
      data: i === 2 && third ? third : new Float32Array(2).fill(value),
    }));
  const values = async (dir: string) => {
    const ckpt = await SafetensorsCheckpoint.open(dir);
    try {
      return await Promise.all(
        ckpt
          .names()
          .sort()
          .map(async (n) => (await ckpt.readFloat32(n))[0]),
      );
    } finally {
      await ckpt.close();
    }
  };

  it('a save that fails leaves the checkpoint it was to replace whole, and nothing of its own', async () => {
    const dir = tmp();
    await writeSafetensorsCheckpoint(dir, weights(1), { maxShardBytes: 16 });
    const before = readdirSync(dir).sort();
    const failing = weights(2, async () => {
      throw new Error('producer failed');
    });
    for (const maxShardBytes of [16, 1000]) {
      await expect(writeSafetensorsCheckpoint(dir, failing, { maxShardBytes })).rejects.toThrow('producer failed');
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(await values(dir)).toEqual([1, 1, 1, 1, 1]);
    }
  });

  it('a save in the other layout replaces the old one: no stale index, shards or single file', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), '{}');
    await writeSafetensorsCheckpoint(dir, weights(1), { maxShardBytes: 16 });
    await writeSafetensorsCheckpoint(dir, weights(2));
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(await values(dir)).toEqual([2, 2, 2, 2, 2]);
    await writeSafetensorsCheckpoint(dir, weights(3), { maxShardBytes: 16 });
    expect(readdirSync(dir).sort()).toEqual([
      'config.json',
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      INDEX_FILE,
    ]);
    expect(await values(dir)).toEqual([3, 3, 3, 3, 3]);
    // Fewer shards than before: the old ones the new index does not name go.
    await writeSafetensorsCheckpoint(dir, weights(4), { maxShardBytes: 24 });
    expect(readdirSync(dir).filter((f) => f.startsWith('model-'))).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    expect(await values(dir)).toEqual([4, 4, 4, 4, 4]);
  });

  it('refuses a folder holding both layouts (two saves: which weights are meant is unknown)', async () => {
    const dir = tmp();
    await writeSafetensorsCheckpoint(dir, weights(1), { maxShardBytes: 16 });
    await writeSafetensors(join(dir, 'model.safetensors'), weights(2));
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(
      `${dir}: holds both model.safetensors and ${INDEX_FILE} (two saves' weights); remove the stale one`,
    );
  });
});
