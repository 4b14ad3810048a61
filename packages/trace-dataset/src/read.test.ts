import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { Tokenizer } from '@molrl/tokenize';
import { buildDataset } from './build.js';
import { hubDataFiles, readTraces, readParquetRows, type TraceEvent } from './read.js';
import { TRACE_PARQUET_SCHEMA } from './write.js';
import { BAD_ROWS, localTrace, requestsTrace, thinkingTrace, webTrace } from './test-util/fixtures.test-util.js';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';

// hyparquet as it is, its row reads watched: the reader must ask for one row group at a time.
vi.mock('hyparquet', async (importOriginal) => {
  const actual = await importOriginal<typeof import('hyparquet')>();
  return { ...actual, parquetReadObjects: vi.fn(actual.parquetReadObjects) };
});

const dir = mkdtempSync(join(tmpdir(), 'trace-dataset-'));
const tok = Tokenizer.qwen3();

/** The JSONL fixture: 8 local traces, a web-search one, a requests one, a thinking one, the bad rows and a broken line. */
function jsonlFixture(): string {
  const rows: unknown[] = [];
  for (let i = 0; i < 8; i++) rows.push(localTrace(i));
  rows.push(webTrace(), requestsTrace(), thinkingTrace());
  const lines = rows.map((r) => JSON.stringify(r));
  for (const bad of BAD_ROWS) lines.push(JSON.stringify(bad.row));
  lines.push('{"messages": [ this is not json');
  return lines.join('\n') + '\n';
}

/** The Parquet fixture: string contents (as most Hub exports store them), three row groups, one damaged row. */
function parquetFixture(): Uint8Array {
  const flat = (r: ReturnType<typeof localTrace>) =>
    r.messages.map((m) => ({
      role: m.role,
      content: (m.content as Array<{ text: string }>).map((p) => p.text).join(''),
    }));
  const writer = new ByteWriter();
  const pw = new ParquetWriter({ writer, schema: TRACE_PARQUET_SCHEMA });
  const groups = [
    [localTrace(20), localTrace(21)],
    [webTrace(), localTrace(22)],
    [localTrace(23), { ...localTrace(24), messages: [] as never[] }],
  ];
  groups.forEach((g, k) => {
    void pw.write({
      columnData: [
        { name: 'id', data: g.map((_, j) => `pq-${k}-${j}`) },
        { name: 'messages', data: g.map((r) => flat(r as ReturnType<typeof localTrace>)) },
        { name: 'meta', data: g.map((r) => JSON.stringify({ true_answer: r.true_answer })) },
      ],
    });
  });
  void pw.finish();
  return new Uint8Array(writer.getBuffer());
}

const jsonlPath = join(dir, 'traces.jsonl');
const parquetPath = join(dir, 'traces.parquet');
writeFileSync(jsonlPath, jsonlFixture());
writeFileSync(parquetPath, parquetFixture());

async function collect(
  source: Parameters<typeof readTraces>[0],
  schema?: Parameters<typeof readTraces>[1],
): Promise<TraceEvent[]> {
  const out: TraceEvent[] = [];
  for await (const e of readTraces(source, schema)) out.push(e);
  return out;
}

describe('readTraces', () => {
  it('streams JSONL, reporting bad rows by line number and reason, and goes on', async () => {
    const events = await collect(jsonlPath);
    const traces = events.filter((e) => e.kind === 'trace');
    const rejected = events.filter((e) => e.kind === 'rejected');
    expect(traces).toHaveLength(11);
    expect(rejected).toHaveLength(BAD_ROWS.length + 1);
    BAD_ROWS.forEach((bad, i) => {
      const r = rejected[i]!;
      expect(r.kind === 'rejected' && r.row).toBe(12 + i);
      expect(r.kind === 'rejected' && r.reason).toMatch(bad.reason);
    });
    expect(rejected[rejected.length - 1]).toMatchObject({ row: 16, reason: expect.stringMatching(/not JSON/) });
    const first = traces[0]!.kind === 'trace' ? traces[0]!.trace : null;
    expect(first?.task).toBe('What is the sum of the squares of 1..10?');
    expect(first?.steps).toHaveLength(2);
    expect(first?.steps[0]!.code[0]).toContain('range(1, 10)');
    expect(first?.steps[0]!.feedback).toMatch(/^Observation:\nExecution logs:\n285/);
    expect(first?.finalAnswer).toBe('sum(k * k for k in range(1, 11))');
    expect(first?.meta.true_answer).toBe('385');
  });

  it('streams Parquet one row group at a time and reports an empty trace by row index', async () => {
    expect(parquetMetadata(readFileSync(parquetPath).buffer).row_groups).toHaveLength(3);
    const reads = vi.mocked(parquetReadObjects);
    reads.mockClear();
    let rows = 0;
    for await (const e of readParquetRows(parquetPath)) if (e.kind === 'row') rows++;
    expect(rows).toBe(6);
    expect(reads.mock.calls.map(([o]) => [o.rowStart, o.rowEnd])).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
    const events = await collect(parquetPath, { idColumn: 'id' });
    expect(events.filter((e) => e.kind === 'trace').map((e) => e.kind === 'trace' && e.trace.id)).toEqual([
      'pq-0-0',
      'pq-0-1',
      'pq-1-0',
      'pq-1-1',
      'pq-2-0',
    ]);
    expect(events[5]).toMatchObject({ kind: 'rejected', row: 5, reason: 'messages: empty' });
  });
});

describe('row checks', () => {
  it('reads a file that starts with a UTF-8 byte order mark', async () => {
    const path = join(dir, 'bom.jsonl');
    writeFileSync(path, '\ufeff' + JSON.stringify(localTrace(0)) + '\n' + JSON.stringify(localTrace(1)) + '\n');
    const events = await collect(path);
    expect(events.map((e) => e.kind)).toEqual(['trace', 'trace']);
  });

  it('rejects a message without content, naming it', async () => {
    const row = localTrace(0);
    const messages = row.messages.map((m, i) => (i === 2 ? { role: m.role } : m));
    const path = join(dir, 'no-content.jsonl');
    writeFileSync(path, JSON.stringify({ ...row, messages }) + '\n');
    const [event] = await collect(path);
    expect(event).toMatchObject({
      kind: 'rejected',
      row: 1,
      reason: 'messages[2].content: missing (expected a string, a list of parts or null)',
    });
  });

  it('keeps count of the parts it leaves out (images), and rejects a part whose type is not a string', async () => {
    const row = localTrace(0);
    const picture = { type: 'image', image: 'data:image/png;base64,AAAA' };
    const withPicture = row.messages.map((m, i) => (i === 1 ? { ...m, content: [picture, ...m.content] } : m));
    const badType = row.messages.map((m, i) => (i === 1 ? { ...m, content: [{ type: 7 }, ...m.content] } : m));
    const path = join(dir, 'parts.jsonl');
    writeFileSync(
      path,
      [
        { ...row, messages: withPicture },
        { ...row, messages: badType },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    const [kept, rejected] = await collect(path);
    expect(kept).toMatchObject({ kind: 'trace', trace: { nonTextParts: { image: 1 } } });
    expect(rejected).toMatchObject({
      kind: 'rejected',
      row: 2,
      reason: 'messages[1].content[0].type: expected a string, got 7',
    });
  });

  it('checks its arguments', async () => {
    await expect(collect(7 as never)).rejects.toThrow(/readTraces: source must be a path or a Hub source/);
  });
});

describe('from a Hub data set repo', () => {
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({
      'smolagents/codeagent-traces': {
        type: 'dataset',
        files: {
          'README.md': '# traces',
          'data/train-00000-of-00002.parquet': parquetFixture(),
          'data/train-00001-of-00002.jsonl': jsonlFixture(),
          'original/raw.jsonl': '{}',
        },
      },
    });
  });
  afterAll(() => hub.close());

  it('lists the data files, downloads them into the Hub cache and streams them', async () => {
    const cacheDir = join(dir, 'hub-cache');
    const events = await collect({ repo: 'smolagents/codeagent-traces', hubUrl: hub.url, cacheDir });
    expect(events.filter((e) => e.kind === 'trace')).toHaveLength(5 + 11);
    expect(existsSync(join(cacheDir, 'datasets--smolagents--codeagent-traces'))).toBe(true);
    expect(hub.requests.some((r) => r.url.includes('original/raw.jsonl') && r.url.includes('/resolve/'))).toBe(false);
  });

  it('builds filtered, labelled splits with a manifest, statistics and rejects', async () => {
    const outDir = join(dir, 'built');
    const manifest = await buildDataset(
      { repo: 'smolagents/codeagent-traces', hubUrl: hub.url, cacheDir: join(dir, 'hub-cache-2') },
      {
        tokenizer: tok,
        outDir,
        format: 'parquet',
        seed: 7,
        think: 'clear',
        progress: { mode: 'silent' },
        context: { maxLength: 8192 },
      },
    );
    // 16 traces: 2 web searches (one per file) and 1 requests import are excluded.
    expect(manifest.counts).toMatchObject({ rows: 16 + 6, rejected: 6, external: 3, kept: 13 });
    expect(manifest.counts.train + manifest.counts.validation + manifest.counts.test).toBe(13);
    expect(manifest.counts.validation).toBeGreaterThanOrEqual(1);
    expect(manifest.tokens.all.feedback).toBeGreaterThan(0);
    expect(manifest.tokens.all.decision).toBeGreaterThan(0);
    const back = await collect(join(outDir, 'train.parquet'), { idColumn: 'id' });
    expect(back.every((e) => e.kind === 'trace')).toBe(true);
    expect(back).toHaveLength(manifest.counts.train);
    const rejects = readFileSync(join(outDir, 'rejects.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejects).toHaveLength(6);
    expect(rejects[0]).toMatchObject({ row: 5, reason: 'messages: empty' });
    const svg = readFileSync(join(outDir, 'dialogue-turns.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('Dialogue turns per trace');
    expect(JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(manifest)),
    );
    // Same seed, same split.
    const again = await buildDataset(jsonlPath, {
      tokenizer: tok,
      outDir: join(dir, 'a'),
      seed: 7,
      progress: { mode: 'silent' },
    });
    const again2 = await buildDataset(jsonlPath, {
      tokenizer: tok,
      outDir: join(dir, 'b'),
      seed: 7,
      progress: { mode: 'silent' },
    });
    expect(readFileSync(join(dir, 'a', 'test.jsonl'), 'utf8')).toBe(readFileSync(join(dir, 'b', 'test.jsonl'), 'utf8'));
    expect(again.counts).toEqual(again2.counts);
  });

  it('drops or truncates traces over the context length, as asked', async () => {
    const drop = await buildDataset(jsonlPath, {
      tokenizer: tok,
      outDir: join(dir, 'd'),
      context: { maxLength: 200, overLength: 'drop' },
      progress: { mode: 'silent' },
    });
    expect(drop.counts.overLengthDropped + drop.counts.kept).toBe(
      drop.counts.rows - drop.counts.rejected - drop.counts.external,
    );
    expect(drop.counts.overLengthDropped).toBe(8); // the eight two-step traces; the short thinking one fits
    expect(drop.tokens.all.max).toBeLessThanOrEqual(200);
    const cut = await buildDataset(jsonlPath, {
      tokenizer: tok,
      outDir: join(dir, 't'),
      context: { maxLength: 200, overLength: 'truncate' },
      progress: { mode: 'silent' },
    });
    expect(cut.counts.truncated).toBe(drop.counts.overLengthDropped);
    expect(cut.tokens.all.max).toBe(200);
  });

  it("badRows: 'fail' stops at the first bad row, naming it", async () => {
    await expect(
      buildDataset(jsonlPath, {
        tokenizer: tok,
        outDir: join(dir, 'f'),
        badRows: 'fail',
        progress: { mode: 'silent' },
      }),
    ).rejects.toThrow(/traces\.jsonl: row 12: missing column "messages"/);
  });
});

describe('Hub data set revisions: one commit per read, refs/<revision> naming it', () => {
  const HEAD_A = 'a'.repeat(40);
  const HEAD_B = 'b'.repeat(40);
  const DEV = 'd'.repeat(40);
  // As on the real Hub: each file's last commit is older than the branch's head, and differs per file.
  const fileCommits = { 'data/a.jsonl': '1'.repeat(40), 'data/b.jsonl': '2'.repeat(40) };
  const repo = (head: string, version: string) => ({
    type: 'dataset' as const,
    files: {
      'data/a.jsonl': JSON.stringify(localTrace(0)) + '\n' + `{"version":"${version}"}\n`,
      'data/b.jsonl': JSON.stringify(localTrace(1)) + '\n',
    },
    commit: head,
    fileCommits,
    revisions: {
      dev: { files: { 'data/a.jsonl': '{"version":"dev"}\n', 'data/c.jsonl': '{}\n' }, commit: DEV },
    },
  });
  const folder = (cacheDir: string) => join(cacheDir, 'datasets--org--moving');
  const ref = (cacheDir: string, name: string) => readFileSync(join(folder(cacheDir), 'refs', name), 'utf8');

  it('lists and downloads every file at the commit the branch names, and records it in refs/main', async () => {
    const hub = await startHubServer({ 'org/moving': repo(HEAD_A, 'A') });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'trace-hub-'));
      const files = await hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir });
      expect(files).toEqual(
        ['data/a.jsonl', 'data/b.jsonl'].map((p) => join(folder(cacheDir), 'snapshots', HEAD_A, p)),
      );
      expect(ref(cacheDir, 'main')).toBe(HEAD_A);
      for (const c of Object.values(fileCommits))
        expect(existsSync(join(folder(cacheDir), 'snapshots', c))).toBe(false);
      expect(hub.requests.some((r) => r.url.includes(`/tree/${HEAD_A}`))).toBe(true);
      // A second read reuses the files: no download.
      const downloads = hub.requests.filter((r) => r.url.includes('/resolve/')).length;
      expect(await hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir })).toEqual(files);
      expect(hub.requests.filter((r) => r.url.includes('/resolve/')).length).toBe(downloads);
      // Another branch, at its own commit, with its own files.
      const dev = await hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir, revision: 'dev' });
      expect(dev).toEqual(['data/a.jsonl', 'data/c.jsonl'].map((p) => join(folder(cacheDir), 'snapshots', DEV, p)));
      expect(readFileSync(dev[0]!, 'utf8')).toBe('{"version":"dev"}\n');
      expect(ref(cacheDir, 'dev')).toBe(DEV);
      expect(ref(cacheDir, 'main')).toBe(HEAD_A);
    } finally {
      await hub.close();
    }
  });

  it('serves the new files when the branch has moved', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'trace-hub-'));
    const hub = await startHubServer({ 'org/moving': repo(HEAD_A, 'A') });
    try {
      const source = { repo: 'org/moving', hubUrl: hub.url, cacheDir };
      const [before] = await hubDataFiles(source);
      expect(readFileSync(before!, 'utf8')).toContain('"version":"A"');
      // main moves to HEAD_B; the Hub still reports the same last commits for the files.
      const moved = repo(HEAD_B, 'B');
      hub.push('org/moving', 'main', { files: moved.files, commit: HEAD_B, fileCommits }, 'dataset');
      const [a] = await hubDataFiles(source);
      expect(readFileSync(a!, 'utf8')).toContain('"version":"B"');
      expect(ref(cacheDir, 'main')).toBe(HEAD_B);
      const events = [];
      for await (const e of readTraces(source)) events.push(e);
      expect(events.filter((e) => e.kind === 'trace')).toHaveLength(2);
      expect(events.some((e) => e.kind === 'rejected' && e.file === a)).toBe(true);
      // The old commit keeps its own files, read from the cache.
      const seen = hub.requests.length;
      const [atA] = await hubDataFiles({ ...source, revision: HEAD_A });
      expect(readFileSync(atA!, 'utf8')).toContain('"version":"A"');
      expect(hub.requests.slice(seen).some((r) => r.url.includes(`/resolve/${HEAD_A}/`))).toBe(false);
    } finally {
      await hub.close();
    }
  });

  it('rejects a download cut short, keeps nothing of it, and fetches it whole the next time', async () => {
    const hub = await startHubServer({ 'org/moving': repo(HEAD_A, 'A') });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'trace-hub-'));
      hub.interrupt('data/b.jsonl', 10, 'short');
      await expect(hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir })).rejects.toThrow(
        /org\/moving@main: downloading data\/b\.jsonl failed: got 10 of its \d+ bytes/,
      );
      expect(existsSync(join(folder(cacheDir), 'snapshots', HEAD_A, 'data/b.jsonl'))).toBe(false);
      const files = await hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir });
      expect(readFileSync(files[1]!, 'utf8')).toBe(JSON.stringify(localTrace(1)) + '\n');
    } finally {
      await hub.close();
    }
  });

  it('reads a revision from the cache alone when offline, and only a selection cached whole', async () => {
    const hub = await startHubServer({ 'org/moving': repo(HEAD_A, 'A') });
    const cacheDir = mkdtempSync(join(tmpdir(), 'trace-hub-'));
    let online: string[];
    try {
      online = await hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir, files: 'data/a' });
    } finally {
      await hub.close();
    }
    const unreachable = { repo: 'org/moving', hubUrl: 'http://127.0.0.1:1', cacheDir };
    // The Hub cannot be reached, or the caller says offline: the same files, from the cache.
    expect(await hubDataFiles({ ...unreachable, files: 'data/a' })).toEqual(online);
    expect(await hubDataFiles({ ...unreachable, files: 'data/a', localFilesOnly: true })).toEqual(online);
    const events = [];
    for await (const e of readTraces({ ...unreachable, files: 'data/a' })) events.push(e.kind);
    expect(events).toContain('trace');
    // The listing knows data/b.jsonl, which was never downloaded: offline, that selection is refused.
    await expect(hubDataFiles({ ...unreachable, localFilesOnly: true })).rejects.toThrow(
      `org/moving@main: the cache lacks data/b.jsonl of commit ${HEAD_A} (load it once online)`,
    );
    await expect(hubDataFiles(unreachable)).rejects.toThrow(
      /org\/moving@main: cannot reach http:\/\/127\.0\.0\.1:1 .*, and the cache cannot serve it: .*the cache lacks data\/b\.jsonl/,
    );
    await expect(hubDataFiles({ ...unreachable, revision: 'dev', localFilesOnly: true })).rejects.toThrow(
      /org\/moving@dev is not in the cache \(no .*refs[/\\]dev\)/,
    );
    // A commit whose files are cached but whose listing is not (written by another tool): not guessed.
    rmSync(join(folder(cacheDir), '.listings'), { recursive: true });
    await expect(hubDataFiles({ ...unreachable, files: 'data/a', localFilesOnly: true })).rejects.toThrow(
      `org/moving@main: the cache has no listing of commit ${HEAD_A}`,
    );
  });

  it('names a revision the repo does not have', async () => {
    const hub = await startHubServer({ 'org/moving': repo(HEAD_A, 'A') });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'trace-hub-'));
      await expect(hubDataFiles({ repo: 'org/moving', hubUrl: hub.url, cacheDir, revision: 'nope' })).rejects.toThrow(
        /nope/,
      );
    } finally {
      await hub.close();
    }
  });
});
