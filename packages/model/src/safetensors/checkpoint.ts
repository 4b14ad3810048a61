/**
 * A checkpoint folder: one `model.safetensors`, or shards listed in
 * `model.safetensors.index.json` (transformers' layout). Shards are opened on
 * first use and tensors are read one by one.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeStaleTemporaries, temporaryPath } from '@molrl/progress';
import { SafetensorsFile, type TensorEntry } from './reader.js';
import { tensorByteSize, writeSafetensors, type TensorToWrite } from './writer.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

export interface SafetensorsIndex {
  metadata?: { total_size?: number; [key: string]: unknown };
  weight_map: Record<string, string>;
}

/** Parse and validate `model.safetensors.index.json` text; `where` names the file in errors. */
export function parseSafetensorsIndex(text: string, where: string): SafetensorsIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new Error(`${where}: missing "weight_map" object`);
  }
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string' || !shard.endsWith('.safetensors') || shard.includes('..') || shard.startsWith('/')) {
      throw new Error(
        `${where}: weight_map["${name}"] must be a relative .safetensors file name, got ${JSON.stringify(shard)}`,
      );
    }
  }
  return json as SafetensorsIndex;
}

export class SafetensorsCheckpoint {
  private readonly open = new Map<string, Promise<SafetensorsFile>>();

  private constructor(
    readonly dir: string,
    /** tensor name -> shard file name */
    readonly weightMap: ReadonlyMap<string, string>,
    private readonly entries: ReadonlyMap<string, TensorEntry>,
    files: Map<string, SafetensorsFile>,
  ) {
    for (const [shard, f] of files) this.open.set(shard, Promise.resolve(f));
  }

  /**
   * Open the checkpoint in `dir`. Every shard header is read and checked
   * against the index (a tensor the index names but its shard lacks is an
   * error naming both); tensor data is not read.
   */
  static async open(dir: string): Promise<SafetensorsCheckpoint> {
    if (typeof dir !== 'string' || dir === '')
      throw new TypeError(`SafetensorsCheckpoint.open: dir must be a non-empty string, got ${typeof dir}`);
    const indexPath = join(dir, INDEX_FILE);
    const files = new Map<string, SafetensorsFile>();
    const weightMap = new Map<string, string>();
    const entries = new Map<string, TensorEntry>();
    try {
      // Both layouts at once: which one holds the weights meant is unknown (transformers would take the single
      // file, an index-first reader the shards); this writer never leaves both.
      if (existsSync(indexPath) && existsSync(join(dir, SINGLE_FILE)))
        throw new Error(
          `${dir}: holds both ${SINGLE_FILE} and ${INDEX_FILE} (two saves' weights); remove the stale one`,
        );
      if (existsSync(indexPath)) {
        const index = parseSafetensorsIndex(await readFile(indexPath, 'utf8'), indexPath);
        const shards = [...new Set(Object.values(index.weight_map))];
        for (const shard of shards) {
          const path = join(dir, shard);
          if (!existsSync(path)) throw new Error(`${indexPath}: shard '${shard}' is listed but ${path} does not exist`);
          files.set(shard, await SafetensorsFile.open(path));
        }
        // Each tensor in one shard, and that one the index names: a copy elsewhere (a re-save over an old
        // checkpoint, shards of two commits) leaves which values are meant unknown.
        for (const [shard, f] of files) {
          for (const name of f.names()) {
            const mapped = index.weight_map[name];
            if (mapped === undefined)
              throw new Error(`${indexPath}: ${shard} holds tensor '${name}', which the index does not list`);
            if (mapped !== shard)
              throw new Error(
                `${indexPath}: tensor '${name}' is in both ${mapped} and ${shard} (the index maps it to ${mapped})`,
              );
          }
        }
        for (const [name, shard] of Object.entries(index.weight_map)) {
          const f = files.get(shard)!;
          if (!f.has(name))
            throw new Error(
              `${indexPath}: tensor '${name}' is mapped to '${shard}' but that shard does not contain it`,
            );
          weightMap.set(name, shard);
          entries.set(name, f.entry(name));
        }
      } else if (existsSync(join(dir, SINGLE_FILE))) {
        const f = await SafetensorsFile.open(join(dir, SINGLE_FILE));
        files.set(SINGLE_FILE, f);
        for (const name of f.names()) {
          weightMap.set(name, SINGLE_FILE);
          entries.set(name, f.entry(name));
        }
      } else {
        const pytorch = existsSync(dir)
          ? readdirSync(dir)
              .filter((f) => /\.bin(\.index\.json)?$|\.pt$|\.pth$/.test(f))
              .sort()
          : [];
        if (pytorch.length)
          throw new Error(
            `${dir}: no safetensors weights, only ${pytorch.slice(0, 3).join(', ')}${pytorch.length > 3 ? ', ...' : ''}: ` +
              `PyTorch pickles are not read here (loading one runs code); convert them to safetensors ` +
              `(transformers: from_pretrained, then save_pretrained)`,
          );
        throw new Error(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE} found`);
      }
    } catch (err) {
      await Promise.all([...files.values()].map((f) => f.close()));
      throw err;
    }
    return new SafetensorsCheckpoint(dir, weightMap, entries, files);
  }

  names(): string[] {
    return [...this.weightMap.keys()];
  }

  has(name: string): boolean {
    return this.weightMap.has(name);
  }

  entry(name: string): TensorEntry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.dir}: checkpoint has no tensor '${name}'`);
    return e;
  }

  private file(name: string): Promise<SafetensorsFile> {
    const shard = this.weightMap.get(name);
    if (!shard) throw new Error(`${this.dir}: checkpoint has no tensor '${name}'`);
    let f = this.open.get(shard);
    if (!f) {
      f = SafetensorsFile.open(join(this.dir, shard));
      this.open.set(shard, f);
    }
    return f;
  }

  /** The tensor widened to float32 (converted in chunks: no second full-size buffer). */
  async readFloat32(name: string): Promise<Float32Array> {
    return (await this.file(name)).readFloat32(name);
  }

  /** Read the tensor widened to float32 into `dst` (a reusable buffer of exactly its element count). */
  async readFloat32Into(name: string, dst: Float32Array): Promise<void> {
    return (await this.file(name)).readFloat32Into(name, dst);
  }

  async readUint16(name: string): Promise<Uint16Array> {
    return (await this.file(name)).readUint16(name);
  }

  async readInt32(name: string): Promise<Int32Array> {
    return (await this.file(name)).readInt32(name);
  }

  async close(): Promise<void> {
    const files = await Promise.all(this.open.values());
    this.open.clear();
    await Promise.all(files.map((f) => f.close()));
  }
}

export interface WriteCheckpointOptions {
  /** Largest shard in bytes; above it the checkpoint is split (transformers' default is 5 GB). */
  maxShardBytes?: number;
  metadata?: Record<string, string>;
}

/**
 * Write tensors as `model.safetensors`, or as `model-0000i-of-0000n.safetensors`
 * shards plus `model.safetensors.index.json` when they exceed `maxShardBytes`.
 * Returns the file names written.
 *
 * Whole or not at all, and never mixed with what the folder held: every file is
 * written into a temporary folder first (a failure there leaves the folder as it
 * was); then the old index goes, the new files move in (the index last) and the
 * other layout's files (an old single file, or shards the new index does not
 * name) are removed. A crash during the move leaves no index over shards of two
 * saves: the load then fails instead of mixing them.
 */
export async function writeSafetensorsCheckpoint(
  dir: string,
  tensors: readonly TensorToWrite[],
  options: WriteCheckpointOptions = {},
): Promise<string[]> {
  const maxShard = options.maxShardBytes ?? 5_000_000_000;
  const metadata = options.metadata ?? { format: 'pt' };
  await mkdir(dir, { recursive: true });
  await removeStaleTemporaries(dir);
  const shards: TensorToWrite[][] = [[]];
  let current = 0;
  let total = 0;
  for (const t of tensors) {
    const size = tensorByteSize(t);
    total += size;
    if (current > 0 && current + size > maxShard) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1].push(t);
    current += size;
  }
  const staging = temporaryPath(join(dir, 'weights'));
  await mkdir(staging);
  let names: string[];
  try {
    if (shards.length === 1) {
      await writeSafetensors(join(staging, SINGLE_FILE), shards[0], metadata);
      names = [SINGLE_FILE];
    } else {
      const n = shards.length;
      const pad = (i: number) => String(i).padStart(5, '0');
      names = [];
      const weightMap: Record<string, string> = {};
      for (let i = 0; i < n; i++) {
        const file = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
        names.push(file);
        for (const t of shards[i]) weightMap[t.name] = file;
        await writeSafetensors(join(staging, file), shards[i], metadata);
      }
      const sortedMap = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      const index: SafetensorsIndex = { metadata: { total_size: total }, weight_map: sortedMap };
      await writeFile(join(staging, INDEX_FILE), JSON.stringify(index, null, 2) + '\n');
      names.push(INDEX_FILE);
    }
    // The files the folder's current weights are made of, to remove once the new ones are in.
    const indexPath = join(dir, INDEX_FILE);
    const old = new Set<string>(existsSync(join(dir, SINGLE_FILE)) ? [SINGLE_FILE] : []);
    if (existsSync(indexPath)) {
      try {
        for (const shard of Object.values(
          parseSafetensorsIndex(await readFile(indexPath, 'utf8'), indexPath).weight_map,
        ))
          old.add(shard);
      } catch {
        // An unreadable old index names nothing to clear; it goes all the same.
      }
      await rm(indexPath);
    }
    for (const name of names) await rename(join(staging, name), join(dir, name));
    for (const name of old) if (!names.includes(name)) await rm(join(dir, name), { force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return names;
}
