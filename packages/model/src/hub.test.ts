import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedModelDir, downloadModelFiles, resolveModelDir } from './hub.js';
import { SafetensorsCheckpoint, writeSafetensorsCheckpoint } from './safetensors/checkpoint.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-hub-'));

async function folderFiles(sharded: boolean): Promise<Record<string, Uint8Array>> {
  const dir = tmp();
  const tensors = [0, 1, 2].map((i) => ({
    name: `t${i}`,
    dtype: 'F32' as const,
    shape: [8],
    data: new Float32Array(8).fill(i),
  }));
  const names = await writeSafetensorsCheckpoint(dir, tensors, { maxShardBytes: sharded ? 40 : undefined });
  const files: Record<string, Uint8Array> = { 'config.json': new TextEncoder().encode('{"model_type":"qwen3"}') };
  for (const n of names) files[n] = readFileSync(join(dir, n));
  return files;
}

describe('Hub loading', () => {
  let hub: HubServer;
  beforeAll(async () => {
    const commit = 'a'.repeat(40);
    hub = await startHubServer({
      'org/single': { files: await folderFiles(false), commit },
      'org/sharded': { files: await folderFiles(true), commit },
      'org/empty': { files: { 'config.json': new TextEncoder().encode('{}') }, commit },
    });
  });
  afterAll(() => hub.close());

  it('downloads config and a single safetensors file into the HF cache layout, then reads from the cache', async () => {
    const cacheDir = tmp();
    const dir = await resolveModelDir('org/single', { hubUrl: hub.url, cacheDir });
    expect(dir).toBe(join(cacheDir, 'models--org--single', 'snapshots', 'a'.repeat(40)));
    expect(existsSync(join(dir, 'config.json'))).toBe(true);
    const ckpt = await SafetensorsCheckpoint.open(dir);
    expect(Array.from(await ckpt.readFloat32('t2'))).toEqual(new Array(8).fill(2));
    await ckpt.close();
    const before = hub.requests.filter((r) => r.method === 'GET').length;
    await resolveModelDir('org/single', { hubUrl: hub.url, cacheDir, revision: 'a'.repeat(40) });
    expect(hub.requests.filter((r) => r.method === 'GET').length).toBe(before);
  });

  it('records refs/<revision> and loads from the cache alone when offline', async () => {
    const cacheDir = tmp();
    const dir = await resolveModelDir('org/sharded', { hubUrl: hub.url, cacheDir });
    expect(readFileSync(join(cacheDir, 'models--org--sharded', 'refs', 'main'), 'utf8')).toBe('a'.repeat(40));
    const before = hub.requests.length;
    expect(await resolveModelDir('org/sharded', { cacheDir, localFilesOnly: true })).toBe(dir);
    expect(await resolveModelDir('org/sharded', { cacheDir, localFilesOnly: true, revision: 'a'.repeat(40) })).toBe(
      dir,
    );
    expect(hub.requests.length).toBe(before);
    await expect(resolveModelDir('org/single', { cacheDir, localFilesOnly: true })).rejects.toThrow(
      /offline: org\/single@main is not in the cache/,
    );
  });

  it('downloads every shard listed in the index', async () => {
    const dir = await resolveModelDir('org/sharded', { hubUrl: hub.url, cacheDir: tmp() });
    const ckpt = await SafetensorsCheckpoint.open(dir);
    expect(ckpt.names().sort()).toEqual(['t0', 't1', 't2']);
    expect(new Set(ckpt.weightMap.values()).size).toBe(3);
    expect(Array.from(await ckpt.readFloat32('t1'))).toEqual(new Array(8).fill(1));
    await ckpt.close();
  });

  it('names missing weights, missing repos and bad ids', async () => {
    await expect(resolveModelDir('org/empty', { hubUrl: hub.url, cacheDir: tmp() })).rejects.toThrow(
      /org\/empty@main: the repo has neither model.safetensors nor model.safetensors.index.json/,
    );
    await expect(resolveModelDir('org/missing', { hubUrl: hub.url, cacheDir: tmp() })).rejects.toThrow(
      /org\/missing@main: the repo does not exist on the Hub \(404\)/,
    );
    await expect(resolveModelDir('/no/such/dir', { hubUrl: hub.url })).rejects.toThrow(
      /neither an existing directory nor a Hub repo id/,
    );
  });

  it('refuses unknown options and a non-boolean localFilesOnly, naming the function and the key', async () => {
    const before = hub.requests.length;
    const where = { hubUrl: hub.url, cacheDir: tmp() };
    await expect(resolveModelDir('org/single', { ...where, local_files_only: true } as never)).rejects.toThrow(
      "resolveModelDir: unknown option 'local_files_only' (did you mean 'localFilesOnly'?); known: revision, hubUrl, ",
    );
    await expect(downloadModelFiles('org/single', { hub_url: hub.url } as never)).rejects.toThrow(
      "downloadModelFiles: unknown option 'hub_url' (did you mean 'hubUrl'?)",
    );
    expect(() => cachedModelDir('org/single', { cacheDir: where.cacheDir, localFilesOnly: true } as never)).toThrow(
      "cachedModelDir: unknown option 'localFilesOnly'; known: cacheDir, revision",
    );
    await expect(resolveModelDir('org/single', { ...where, localFilesOnly: 1 as never })).rejects.toThrow(
      'resolveModelDir: options.localFilesOnly must be a boolean, got 1',
    );
    // Refused before any request.
    expect(hub.requests.length).toBe(before);
  });

  it('names a path that is neither a folder nor a repo id the same way offline', async () => {
    for (const options of [{}, { localFilesOnly: true }])
      await expect(resolveModelDir('/no/such/dir', { hubUrl: hub.url, ...options })).rejects.toThrow(
        "'/no/such/dir' is neither an existing directory nor a Hub repo id (owner/name)",
      );
  });
});
