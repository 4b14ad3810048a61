/**
 * Downloading one large LFS file from a local Hub stand-in (@molrl/hub-test-server on
 * 127.0.0.1, so the network is not the limit) into a fresh Hub cache, MB/s:
 *
 * - `hub-cache`: @molrl/hub-cache as the packages load (resolve the revision, paths-info,
 *   download to `<etag>.incomplete` behind the blob lock, size check, rename, link);
 * - `hub-cache-progress`: the same through `downloadAll` with a progress display (log lines
 *   to a sink) and byte counting;
 * - `huggingface-hub`: @huggingface/hub's own `downloadFileToCacheDir` (the peer);
 * - `fetch-to-file`: a plain `fetch` of the resolve URL streamed to a file, the simplest
 *   program that moves the same bytes over the same HTTP and disk path (the bound).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/hub-download.bench.ts [--quick] [--mb 256]
 *
 * Rows: case "hub-download", size = MiB of the file; unit MB/s (10^6 bytes).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { downloadFileToCacheDir } from '@huggingface/hub';
import { HubSnapshot } from '@molrl/hub-cache';
import { startHubServer } from '@molrl/hub-test-server';
import { Bench } from 'tinybench';
import { printTable, row, writeResults, type ResultRow } from './lib/results.js';

const quick = process.argv.includes('--quick');
const mbFlag = process.argv.indexOf('--mb');
const mib = Number(mbFlag >= 0 ? process.argv[mbFlag + 1] : quick ? '32' : '256');
if (!Number.isInteger(mib) || mib < 1) throw new Error(`--mb: expected a whole number of MiB >= 1, got ${mib}`);

// Bytes that do not compress (no layer on the way may shortcut them): a xorshift stream.
const bytes = new Uint8Array(mib * 2 ** 20);
let state = 0x9e3779b9;
const words = new Uint32Array(bytes.buffer);
for (let i = 0; i < words.length; i++) {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  words[i] = state >>> 0;
}
const hub = await startHubServer({ 'org/big': { files: { 'model.safetensors': bytes } } });
const repo = { type: 'model' as const, name: 'org/big' };
const path = 'model.safetensors';

let cacheDir = '';
const fresh = () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'hub-bench-'));
};
const drop = () => rmSync(cacheDir, { recursive: true, force: true });
const expectWhole = (file: string, impl: string) => {
  const size = statSync(file).size;
  if (size !== bytes.length) throw new Error(`${impl}: got ${size} of ${bytes.length} bytes`);
};
const sink = { isTTY: false, write: () => true };

const impls: Record<string, () => Promise<void>> = {
  'hub-cache': async () => {
    const snapshot = await HubSnapshot.resolve(repo, { hubUrl: hub.url, cacheDir });
    expectWhole(await snapshot.download((await snapshot.describe([path])).get(path)!), 'hub-cache');
  },
  'hub-cache-progress': async () => {
    const snapshot = await HubSnapshot.resolve(repo, { hubUrl: hub.url, cacheDir });
    const [local] = await snapshot.downloadAll([(await snapshot.describe([path])).get(path)!], {
      progress: true,
      progressOptions: { stream: sink, mode: 'lines', lineIntervalMs: 0 },
    });
    expectWhole(local!, 'hub-cache-progress');
  },
  'huggingface-hub': async () => {
    const local = await downloadFileToCacheDir({ repo, path, hubUrl: hub.url, cacheDir });
    expectWhole(local, 'huggingface-hub');
  },
  'fetch-to-file': async () => {
    const res = await fetch(`${hub.url}/org/big/resolve/main/${path}`);
    const file = join(cacheDir, 'file');
    await pipeline(Readable.fromWeb(res.body! as WebReadableStream), createWriteStream(file));
    expectWhole(file, 'fetch-to-file');
  },
};

// @huggingface/hub logs each download it starts on stdout; keep the table readable.
const debug = console.debug;
console.debug = () => {};
const bench = new Bench({ time: 0, iterations: quick ? 2 : 6, warmupIterations: 1 });
for (const [name, fn] of Object.entries(impls)) bench.add(name, fn, { beforeEach: fresh, afterEach: drop });
await bench.run();
console.debug = debug;
await hub.close();

const rows: ResultRow[] = bench.tasks.map((task) => {
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`${task.name}: benchmark ${result.state}`);
  return row({
    case: 'hub-download',
    impl: task.name,
    size: mib,
    value: bytes.length / 1e6 / (result.latency.p50 / 1000),
    unit: 'MB/s',
  });
});
printTable(rows);
if (!quick) console.log(`wrote ${writeResults('hub-download', rows)}`);
