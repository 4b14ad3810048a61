import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DatasetError, loadBenchmark, loadBuiltin, loadJsonl } from './datasets.js';

// Each test gets a Hub cache of its own (never the user's): loads without `cacheDir` land there.
let testCache: string;
beforeEach(() => {
  testCache = mkdtempSync(join(tmpdir(), 'bench-math-hub-'));
  vi.stubEnv('HF_HUB_CACHE', testCache);
});
afterEach(() => vi.unstubAllEnvs());

describe('shipped benchmarks', () => {
  it('loads MATH-500 with subjects and levels, and both AIME sets', async () => {
    const math = await loadBuiltin('math500');
    expect(math.problems).toHaveLength(500);
    expect(math.problems[0]!.id).toMatch(/^test\//);
    expect(new Set(math.problems.map((p) => p.subject)).size).toBe(7);
    expect(math.problems.every((p) => p.level! >= 1 && p.level! <= 5)).toBe(true);
    for (const name of ['aime24', 'aime25'] as const) {
      const b = await loadBuiltin(name);
      expect(b.problems).toHaveLength(30);
      expect(b.problems.every((p) => /^\d{1,3}$/.test(p.answer))).toBe(true);
    }
  });
  it('rejects an unknown name', async () => {
    await expect(loadBuiltin('gsm8k' as never)).rejects.toThrow(/unknown benchmark "gsm8k"/);
  });
});

describe('loadJsonl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-math-'));
  it('reads question/answer rows with numeric answers', async () => {
    const path = join(dir, 'mine.jsonl');
    writeFileSync(path, '{"question":"1+1?","answer":2}\n\n{"question":"2+2?","answer":"4","id":"b"}\n');
    const b = await loadJsonl(path);
    expect(b.problems).toEqual([
      { id: '0', problem: '1+1?', answer: '2' },
      { id: 'b', problem: '2+2?', answer: '4' },
    ]);
  });
  it('names the file, line and field of bad input', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"problem":"x","answer":"1"}\n{"problem":"x",\n');
    await expect(loadJsonl(bad)).rejects.toThrow(/bad\.jsonl, line 2: not valid JSON/);
    const missing = join(dir, 'missing.jsonl');
    // A blank line between the rows: the error names the file's line, not the row's number.
    writeFileSync(missing, '{"problem":"x","answer":"1"}\n\n{"problem":"y"}\n');
    await expect(loadJsonl(missing)).rejects.toThrow(`${missing}, line 3: no answer field`);
    await expect(loadJsonl(missing, { answerField: 'gold' })).rejects.toThrow(
      `${missing}, line 1: no answer field (gold)`,
    );
    await expect(loadJsonl(dir)).rejects.toThrow(`${dir}: is a folder, not a JSONL file`);
    await expect(loadJsonl(join(dir, 'none.jsonl'))).rejects.toThrow(`${join(dir, 'none.jsonl')}: no such file`);
  });
  it('refuses option keys it does not know, naming the one meant', async () => {
    const path = join(dir, 'ok.jsonl');
    writeFileSync(path, '{"problem":"1+1?","answer":"2"}\n');
    await expect(loadJsonl(path, { answer_field: 'gold' } as never)).rejects.toThrow(
      "loadJsonl: unknown option 'answer_field' (did you mean 'answerField'?); known: problemField, answerField, idField",
    );
    await expect(loadBenchmark('org/none', { splitName: 'test' } as never)).rejects.toThrow(
      "loadBenchmark: unknown option 'splitName'; known: ",
    );
    await expect(loadBenchmark('org/none', { local_files_only: true } as never)).rejects.toThrow(
      "loadBenchmark: unknown option 'local_files_only' (did you mean 'localFilesOnly'?)",
    );
  });
  it('skips a UTF-8 byte-order mark', async () => {
    const path = join(dir, 'bom.jsonl');
    writeFileSync(path, '\ufeff{"problem":"1+1?","answer":"2"}\n');
    expect((await loadJsonl(path)).problems).toEqual([{ id: '0', problem: '1+1?', answer: '2' }]);
  });
});

describe('loadBenchmark from a Hub-like server', () => {
  let hub: HubServer;
  beforeAll(async () => {
    const math = await loadBuiltin('math500');
    const rows = math.problems
      .slice(0, 20)
      .map((p) => ({ problem: p.problem, answer: p.answer, subject: p.subject, level: p.level, unique_id: p.id }));
    const parquet = parquetWriteBuffer({
      columnData: [
        { name: 'problem', data: rows.map((r) => r.problem), type: 'STRING' },
        { name: 'answer', data: rows.map((r) => r.answer), type: 'STRING' },
        { name: 'subject', data: rows.map((r) => r.subject!), type: 'STRING' },
        { name: 'level', data: rows.map((r) => r.level!), type: 'INT32' },
        { name: 'unique_id', data: rows.map((r) => r.unique_id), type: 'STRING' },
      ],
    });
    hub = await startHubServer({
      'HuggingFaceH4/MATH-500': {
        type: 'dataset',
        files: { 'README.md': '# MATH-500', 'test.jsonl': rows.map((r) => JSON.stringify(r)).join('\n') + '\n' },
      },
      'org/two-files': {
        type: 'dataset',
        files: {
          'test-a.jsonl': JSON.stringify(rows[0]) + '\n',
          'test-b.jsonl': JSON.stringify(rows[1]) + '\n\n' + JSON.stringify({ problem: 'no answer' }) + '\n',
        },
      },
      'org/math-parquet': {
        type: 'dataset',
        files: {
          'data/test-00000-of-00001.parquet': new Uint8Array(parquet),
          'data/train-00000-of-00001.parquet': new Uint8Array(parquet.slice(0, 10)),
        },
      },
    });
  });
  afterAll(() => hub.close());

  it('reads the JSONL test split', async () => {
    const b = await loadBenchmark('HuggingFaceH4/MATH-500', { hubUrl: hub.url });
    expect(b.problems).toHaveLength(20);
    const local = (await loadBuiltin('math500')).problems.slice(0, 20);
    expect(b.problems).toEqual(local);
  });
  it('reads Parquet files of the split only', async () => {
    const b = await loadBenchmark('org/math-parquet', { hubUrl: hub.url });
    expect(b.problems).toHaveLength(20);
    expect(b.problems[3]!.level).toBeTypeOf('number');
    expect(hub.requests.some((r) => r.url.includes('train-'))).toBe(false);
  });
  it("names the file and line of a bad row in a split of several files, not the row's number across them", async () => {
    await expect(loadBenchmark('org/two-files', { hubUrl: hub.url })).rejects.toThrow(
      'org/two-files/test-b.jsonl, line 3: no answer field',
    );
  });
  it('keeps the files in the Hub cache: a second load downloads nothing', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'bench-math-hub-'));
    const downloads = () => hub.requests.filter((r) => r.method === 'GET' && r.url.includes('/resolve/')).length;
    const first = await loadBenchmark('HuggingFaceH4/MATH-500', { hubUrl: hub.url, cacheDir });
    const seen = downloads();
    const again = await loadBenchmark('HuggingFaceH4/MATH-500', { hubUrl: hub.url, cacheDir });
    expect(again).toEqual(first);
    expect(downloads()).toBe(seen);
    const snapshots = join(cacheDir, 'datasets--HuggingFaceH4--MATH-500', 'snapshots');
    expect(existsSync(snapshots)).toBe(true);
    expect(existsSync(join(cacheDir, 'datasets--HuggingFaceH4--MATH-500', 'refs', 'main'))).toBe(true);
    // Without cacheDir: $HF_HUB_CACHE, as huggingface_hub reads it.
    await loadBenchmark('org/math-parquet', { hubUrl: hub.url });
    expect(existsSync(join(testCache, 'datasets--org--math-parquet', 'refs', 'main'))).toBe(true);
  });
  it('reads a cached split without the network, and names what the cache lacks', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'bench-math-hub-'));
    const online = await loadBenchmark('org/math-parquet', { hubUrl: hub.url, cacheDir });
    const unreachable = { hubUrl: 'http://127.0.0.1:1', cacheDir };
    expect(await loadBenchmark('org/math-parquet', unreachable)).toEqual(online);
    expect(await loadBenchmark('org/math-parquet', { ...unreachable, localFilesOnly: true })).toEqual(online);
    // The train split was listed but never downloaded.
    await expect(
      loadBenchmark('org/math-parquet', { ...unreachable, split: 'train', localFilesOnly: true }),
    ).rejects.toThrow(/org\/math-parquet@main: the cache lacks data\/train-00000-of-00001\.parquet of commit/);
    await expect(loadBenchmark('org/math-parquet', { ...unreachable, split: 'validation' })).rejects.toThrow(
      /cannot reach http:\/\/127\.0\.0\.1:1 .*, and the cache cannot serve it: org\/math-parquet: no JSONL or Parquet file for split "validation"/,
    );
    await expect(loadBenchmark('HuggingFaceH4/MATH-500', unreachable)).rejects.toThrow(
      /HuggingFaceH4\/MATH-500@main is not in the cache/,
    );
  });
  it('says which files exist when the split has none', async () => {
    await expect(loadBenchmark('HuggingFaceH4/MATH-500', { hubUrl: hub.url, split: 'validation' })).rejects.toThrow(
      DatasetError,
    );
    await expect(loadBenchmark('HuggingFaceH4/MATH-500', { hubUrl: hub.url, split: 'validation' })).rejects.toThrow(
      /files: test\.jsonl/,
    );
  });
});

describe('loadBenchmark reads one commit of the revision', () => {
  const HEAD_A = 'a'.repeat(40);
  const HEAD_B = 'b'.repeat(40);
  const jsonl = (answers: string[]) =>
    answers.map((answer, i) => JSON.stringify({ problem: `p${i}`, answer })).join('\n') + '\n';
  const A = jsonl(['1', '2']);
  const B = jsonl(['10', '20', '30']);
  let before: HubServer;
  let after: HubServer;
  beforeAll(async () => {
    before = await startHubServer({
      'org/moving': {
        type: 'dataset',
        files: { 'test.jsonl': A },
        commit: HEAD_A,
        fileCommits: { 'test.jsonl': '1'.repeat(40) },
        revisions: { dev: { files: { 'data/test-00000.jsonl': jsonl(['7']) }, commit: 'd'.repeat(40) } },
      },
    });
    // The same repo after main moved to HEAD_B (HEAD_A still reachable by its commit).
    after = await startHubServer({
      'org/moving': {
        type: 'dataset',
        files: { 'test.jsonl': B },
        commit: HEAD_B,
        revisions: { old: { files: { 'test.jsonl': A }, commit: HEAD_A } },
      },
    });
  });
  afterAll(async () => {
    await before.close();
    await after.close();
  });

  it('resolves the branch once: a branch moving during the load does not mix commits', async () => {
    // The first request reaches the Hub before main moves, every later one after.
    let calls = 0;
    const moving: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      return fetch(calls++ === 0 ? url : url.replace(before.url, after.url), init);
    };
    const b = await loadBenchmark('org/moving', { hubUrl: before.url, fetch: moving });
    expect(b.problems.map((p) => p.answer)).toEqual(['1', '2']);
    expect(after.requests.some((r) => r.url.includes(`/resolve/${HEAD_A}/test.jsonl`))).toBe(true);
    expect(after.requests.some((r) => /\/(tree|resolve)\/main\b/.test(r.url))).toBe(false);
  });

  it('reads the new commit once the branch has moved, and a branch its own files', async () => {
    expect((await loadBenchmark('org/moving', { hubUrl: after.url })).problems.map((p) => p.answer)).toEqual([
      '10',
      '20',
      '30',
    ]);
    expect(
      (await loadBenchmark('org/moving', { hubUrl: after.url, revision: HEAD_A })).problems.map((p) => p.answer),
    ).toEqual(['1', '2']);
    expect(
      (await loadBenchmark('org/moving', { hubUrl: before.url, revision: 'dev' })).problems.map((p) => p.answer),
    ).toEqual(['7']);
    await expect(loadBenchmark('org/moving', { hubUrl: before.url, revision: 'nope' })).rejects.toThrow(/nope/);
  });

  it('rejects a download cut short', async () => {
    before.interrupt('test.jsonl', A.indexOf('\n') + 1, 'short');
    await expect(loadBenchmark('org/moving', { hubUrl: before.url })).rejects.toThrow(
      /org\/moving@main: downloading test\.jsonl failed: got \d+ of its \d+ bytes \(the transfer was cut short\)/,
    );
    expect((await loadBenchmark('org/moving', { hubUrl: before.url })).problems).toHaveLength(2);
  });
});
