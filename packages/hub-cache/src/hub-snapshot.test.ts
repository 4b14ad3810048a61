import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError, HubUnreachableError } from './hub-error.js';
import { HubSnapshot } from './hub-snapshot.js';

const HEAD = 'a'.repeat(40);
const TAG = 'b'.repeat(40);
const WEIGHTS = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7) % 251);
const tmp = () => mkdtempSync(join(tmpdir(), 'hub-cache-'));

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({
    'org/model': {
      commit: HEAD,
      files: { 'config.json': '{"a":1}', 'model.safetensors': WEIGHTS, 'sub/notes.txt': 'n' },
      revisions: { v1: { commit: TAG, files: { 'config.json': '{"a":0}', 'model.safetensors': WEIGHTS } } },
    },
    'org/data': { type: 'dataset', files: { 'data/train.jsonl': '{"x":1}\n', 'data/test.jsonl': '{"x":2}\n' } },
    'org/private': { files: { 'config.json': '{}' }, token: 'hf_secret' },
    'org/gated': { files: { 'config.json': '{}' }, token: 'hf_granted', gated: true },
  });
});
afterAll(() => hub.close());

/** How many GETs one download of the weights makes, measured in a cache of its own. */
async function getsPerDownload(): Promise<number> {
  const before = gets('model.safetensors');
  const s = await HubSnapshot.resolve({ type: 'model', name: 'org/model' }, { hubUrl: hub.url, cacheDir: tmp() });
  await s.download((await s.describe(['model.safetensors'])).get('model.safetensors')!);
  return gets('model.safetensors') - before;
}

const model = { type: 'model' as const, name: 'org/model' };
/** GET requests for the file so far (one download makes more than one: @huggingface/hub probes first). */
const gets = (path: string) =>
  hub.requests.filter((r) => r.method === 'GET' && r.url.includes(`/resolve/`) && r.url.endsWith(`/${path}`)).length;

describe('HubSnapshot', () => {
  it('resolves a branch or tag to its commit and fetches every file there, into the Hub cache layout', async () => {
    const cacheDir = tmp();
    const main = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir, withFilePaths: true });
    expect(main.commit).toBe(HEAD);
    expect([...main.filePaths!].sort()).toEqual(['config.json', 'model.safetensors', 'sub/notes.txt']);
    const infos = await main.describe(['config.json', 'model.safetensors', 'missing.json']);
    expect([...infos.keys()]).toEqual(['config.json', 'model.safetensors']);
    expect(infos.get('model.safetensors')!.size).toBe(WEIGHTS.length);
    const local = await main.download(infos.get('model.safetensors')!);
    expect(local).toBe(join(cacheDir, 'models--org--model', 'snapshots', HEAD, 'model.safetensors'));
    expect(lstatSync(local).isSymbolicLink()).toBe(true);
    expect(readlinkSync(local)).toMatch(/blobs[/\\][0-9a-f]{64}$/);
    expect(new Uint8Array(readFileSync(local))).toEqual(WEIGHTS);
    await main.markAbsent('missing.json');
    await main.recordRevision();
    expect(readFileSync(join(cacheDir, 'models--org--model', 'refs', 'main'), 'utf8')).toBe(HEAD);
    expect(main.cache.fileAt(HEAD, 'missing.json')).toBe('absent');

    const v1 = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir, revision: 'v1' });
    expect(v1.commit).toBe(TAG);
    const config = await v1.download((await v1.describe(['config.json'])).get('config.json')!);
    expect(readFileSync(config, 'utf8')).toBe('{"a":0}');
    // The same blob at another commit is linked, not fetched again.
    const before = gets('model.safetensors');
    await v1.download((await v1.describe(['model.safetensors'])).get('model.safetensors')!);
    expect(gets('model.safetensors')).toBe(before);
    expect(v1.cache.commitOf('v1')).toBeNull();
    await v1.recordRevision();
    expect(v1.cache.commitOf('v1')).toBe(TAG);
    expect(v1.cache.filesAt(TAG)).toEqual(['config.json', 'model.safetensors']);
  });

  it('lists a dataset repo at its commit, keeping the whole listing for loads without the network', async () => {
    const data = await HubSnapshot.resolve({ type: 'dataset', name: 'org/data' }, { hubUrl: hub.url, cacheDir: tmp() });
    expect(() => data.cache.cachedFiles('main')).toThrow(/org\/data@main is not in the cache/);
    const files = await data.list((p) => p.endsWith('train.jsonl'));
    expect(files.map((f) => f.path)).toEqual(['data/train.jsonl']);
    expect(data.cache.listingAt(data.commit)!.map((f) => f.path)).toEqual(['data/test.jsonl', 'data/train.jsonl']);
    await data.download(files[0]!);
    await data.recordRevision();
    expect(data.cache.cachedFiles('main', (p) => p.endsWith('train.jsonl'))).toEqual([
      join(data.dir, 'data', 'train.jsonl'),
    ]);
    expect(() => data.cache.cachedFiles('main')).toThrow(
      `org/data@main: the cache lacks data/test.jsonl of commit ${data.commit} (load it once online)`,
    );
    // A file cut short behind the cache's back is refused, not read.
    const blob = realpathSync(join(data.dir, 'data', 'train.jsonl'));
    writeFileSync(blob, '{"x"');
    expect(() => data.cache.cachedFiles('main', (p) => p.endsWith('train.jsonl'))).toThrow(
      /the cached data\/train\.jsonl has 4 of its 8 bytes/,
    );
  });

  it('downloads dataset files at their commit', async () => {
    const data = await HubSnapshot.resolve({ type: 'dataset', name: 'org/data' }, { hubUrl: hub.url, cacheDir: tmp() });
    const files = await data.list((p) => p.endsWith('.jsonl'));
    expect(files.map((f) => f.path)).toEqual(['data/test.jsonl', 'data/train.jsonl']);
    const local = await data.download(files[1]!);
    expect(local).toContain(join('datasets--org--data', 'snapshots', data.commit, 'data', 'train.jsonl'));
    expect(readFileSync(local, 'utf8')).toBe('{"x":1}\n');
  });

  it('says what to do when the Hub refuses', async () => {
    const refusal = async (name: string, options: object = {}, type: 'model' | 'dataset' = 'model') => {
      const err = await HubSnapshot.resolve({ type, name }, { hubUrl: hub.url, cacheDir: tmp(), ...options }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(HubError);
      return err as HubError;
    };
    expect((await refusal('org/private')).message).toMatch(
      /org\/private@main: the Hub refused access \(401\).*no token was sent/,
    );
    expect((await refusal('org/private', { accessToken: 'hf_wrong' })).message).toMatch(
      /the token sent was not accepted/,
    );
    const gated = await refusal('org/gated', { accessToken: 'hf_other' });
    expect(gated.statusCode).toBe(403);
    expect(gated.errorCode).toBe('GatedRepo');
    expect(gated.message).toContain(`request access at ${hub.url}/org/gated`);
    expect((await refusal('org/model', { revision: 'nope' })).message).toMatch(
      /org\/model@nope: revision 'nope' does not exist on the Hub \(404\)/,
    );
    expect((await refusal('org/absent')).message).toMatch(
      /org\/absent@main: the repo does not exist on the Hub \(404\)/,
    );
    expect((await refusal('org/model', {}, 'dataset')).message).toMatch(
      /the dataset repo does not exist.*not a model's/,
    );
    const unreachable = await HubSnapshot.resolve(model, { hubUrl: 'http://127.0.0.1:1', cacheDir: tmp() }).catch(
      (e: unknown) => e,
    );
    expect(unreachable).toBeInstanceOf(HubUnreachableError);
    expect((unreachable as Error).message).toMatch(
      /org\/model@main: cannot reach http:\/\/127\.0\.0\.1:1 \(.*; check the connection or HF_ENDPOINT\)/,
    );
  });

  it('refuses bad names before any request', async () => {
    const seen = hub.requests.length;
    await expect(HubSnapshot.resolve({ type: 'model', name: '../etc' }, { hubUrl: hub.url })).rejects.toThrow(
      /"\.\.\/etc" is not a Hub repo id/,
    );
    await expect(HubSnapshot.resolve({ type: 'space', name: 'org/x' } as never, { hubUrl: hub.url })).rejects.toThrow(
      /repo must be \{ type: 'model' \| 'dataset', name \}/,
    );
    await expect(
      HubSnapshot.resolve({ type: 'dataset', name: 'org/data' }, { hubUrl: hub.url, withFilePaths: true }),
    ).rejects.toThrow(/withFilePaths is for model repos/);
    const snapshot = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir: tmp() });
    await expect(snapshot.describe(['../../etc/passwd'])).rejects.toThrow(/is not a file path in the repository/);
    expect(hub.requests.length).toBe(seen + 1);
  });

  it('refuses a listing without the oid that names a blob in the cache', async () => {
    // A server (not the Hub) whose paths-info and tree entries carry no oid.
    const withoutOids: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!/\/(paths-info|tree)\//.test(String(input))) return res;
      const entries = (await res.json()) as Array<Record<string, unknown>>;
      const stripped = entries.map(({ oid: _oid, lfs: _lfs, ...rest }) => rest);
      return new Response(JSON.stringify(stripped), { status: res.status, headers: res.headers });
    };
    const snapshot = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir: tmp(), fetch: withoutOids });
    await expect(snapshot.describe(['config.json'])).rejects.toThrow(
      'org/model@main: the Hub listed config.json without a usable oid (undefined)',
    );
    await expect(snapshot.list()).rejects.toThrow(/the Hub listed config\.json without a usable oid/);
  });

  it('rejects a transfer cut short, keeping neither blob nor link, and fetches it whole the next time', async () => {
    const cacheDir = tmp();
    const snapshot = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir });
    const info = (await snapshot.describe(['model.safetensors'])).get('model.safetensors')!;
    hub.interrupt('model.safetensors', 100, 'short');
    await expect(snapshot.download(info)).rejects.toThrow(
      `org/model@main: downloading model.safetensors failed: got 100 of its ${WEIGHTS.length} bytes (the transfer was cut short)`,
    );
    expect(existsSync(join(snapshot.dir, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(cacheDir, 'models--org--model', 'blobs', info.etag))).toBe(false);
    expect(existsSync(join(cacheDir, 'models--org--model', 'blobs', `${info.etag}.incomplete`))).toBe(false);
    // A connection dropped mid-transfer: the same, with what broke it.
    hub.interrupt('model.safetensors', 100, 'reset');
    await expect(snapshot.download(info)).rejects.toThrow(
      /org\/model@main: downloading model\.safetensors failed: .+; load again to download it anew/,
    );
    expect(existsSync(join(cacheDir, 'models--org--model', 'blobs', `${info.etag}.incomplete`))).toBe(false);
    expect(new Uint8Array(readFileSync(await snapshot.download(info)))).toEqual(WEIGHTS);
  });

  it('shows progress over the bytes to fetch, and reports them as they arrive', async () => {
    const cacheDir = tmp();
    const lines: string[] = [];
    const stream = { isTTY: false, write: (text: string) => lines.push(text) };
    const reports: Array<[string, number, number]> = [];
    const snapshot = await HubSnapshot.resolve(model, {
      hubUrl: hub.url,
      cacheDir,
      onBytes: (path, bytes, size) => reports.push([path, bytes, size]),
    });
    const infos = await snapshot.describe(['config.json', 'model.safetensors']);
    // The config is fetched first on its own: downloadAll's display counts only what is left.
    await snapshot.download(infos.get('config.json')!);
    expect(reports).toEqual([['config.json', 7, 7]]);
    reports.length = 0;
    const locals = await snapshot.downloadAll([infos.get('config.json')!, infos.get('model.safetensors')!], {
      progress: true,
      progressOptions: { stream, mode: 'lines' },
    });
    expect(locals.map((p) => p.slice(snapshot.dir.length + 1))).toEqual(['config.json', 'model.safetensors']);
    const received = reports.map(([path, bytes, size]) => {
      expect([path, size]).toEqual(['model.safetensors', WEIGHTS.length]);
      return bytes;
    });
    expect(received.at(-1)).toBe(WEIGHTS.length);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatch(/^downloading org\/model@main: 1\/1 MiB 100%/);
    // Nothing left to fetch: no display at all.
    lines.length = 0;
    await snapshot.downloadAll([...infos.values()], { progress: true, progressOptions: { stream, mode: 'lines' } });
    expect(lines).toEqual([]);
  });

  it('ends a download whose byte callback throws with that error, keeping nothing', async () => {
    const cacheDir = tmp();
    const snapshot = await HubSnapshot.resolve(model, {
      hubUrl: hub.url,
      cacheDir,
      onBytes: () => {
        throw new Error('stop here');
      },
    });
    const info = (await snapshot.describe(['model.safetensors'])).get('model.safetensors')!;
    await expect(snapshot.download(info)).rejects.toThrow(/downloading model\.safetensors failed: stop here/);
    expect(existsSync(join(cacheDir, 'models--org--model', 'blobs', `${info.etag}.incomplete`))).toBe(false);
  });

  it('downloads a file once when loads in one process ask for it at the same time', async () => {
    const cacheDir = tmp();
    const once = await getsPerDownload();
    hub.delay('model.safetensors', 300);
    try {
      const before = gets('model.safetensors');
      const waits: string[] = [];
      const loads = [0, 1, 2].map(async () => {
        const s = await HubSnapshot.resolve(model, { hubUrl: hub.url, cacheDir, onWait: (p) => waits.push(p) });
        return s.download((await s.describe(['model.safetensors'])).get('model.safetensors')!);
      });
      const locals = await Promise.all(loads);
      for (const local of locals) expect(new Uint8Array(readFileSync(local))).toEqual(WEIGHTS);
      expect(gets('model.safetensors') - before).toBe(once);
      expect(waits).toEqual(['model.safetensors', 'model.safetensors']);
    } finally {
      hub.delay('model.safetensors', 0);
    }
  });

  it('downloads a file once when two processes ask for it at the same time', async () => {
    const cacheDir = tmp();
    const once = await getsPerDownload();
    hub.delay('model.safetensors', 1500);
    try {
      const before = gets('model.safetensors');
      const child = () =>
        new Promise<{ local: string; size: number; waited: boolean }>((resolve, reject) => {
          const script = join(import.meta.dirname, 'download-child.test-util.ts');
          const args = ['--import', 'tsx', script, hub.url, cacheDir, 'model', 'org/model', 'model.safetensors'];
          const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
          proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
          proc.on('close', (code) =>
            code === 0
              ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
              : reject(new Error(`child ${code}: ${err}`)),
          );
        });
      const results = await Promise.all([child(), child()]);
      expect(results.map((r) => r.size)).toEqual([WEIGHTS.length, WEIGHTS.length]);
      expect(new Uint8Array(readFileSync(results[0]!.local))).toEqual(WEIGHTS);
      expect(gets('model.safetensors') - before).toBe(once);
      expect(results.filter((r) => r.waited)).toHaveLength(1);
    } finally {
      hub.delay('model.safetensors', 0);
    }
  }, 30_000);
});
