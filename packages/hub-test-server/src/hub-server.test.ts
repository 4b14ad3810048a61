import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  downloadFile,
  downloadFileToCacheDir,
  fileExists,
  listFiles,
  modelInfo,
  pathsInfo,
  type RepoDesignation,
} from '@huggingface/hub';
import { describe, expect, it } from 'vitest';
import { startHubServer } from './hub-server.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-hub-'));

describe('startHubServer with @huggingface/hub', () => {
  it('serves dataset files and listings', async () => {
    const hub = await startHubServer({
      'org/traces': { type: 'dataset', files: { 'data/train.jsonl': '{"a":1}\n', 'README.md': '# traces' } },
    });
    try {
      const repo = { type: 'dataset' as const, name: 'org/traces' };
      const blob = await downloadFile({ repo, path: 'data/train.jsonl', hubUrl: hub.url });
      expect(await blob!.text()).toBe('{"a":1}\n');
      const list = async (recursive: boolean, path?: string) => {
        const out: string[] = [];
        for await (const f of listFiles({ repo, hubUrl: hub.url, recursive, path })) out.push(`${f.type}:${f.path}`);
        return out;
      };
      expect(await list(true)).toEqual(['directory:data', 'file:README.md', 'file:data/train.jsonl']);
      expect(await list(false)).toEqual(['directory:data', 'file:README.md']);
      expect(await list(false, 'data')).toEqual(['file:data/train.jsonl']);
      const local = await downloadFileToCacheDir({ repo, path: 'README.md', hubUrl: hub.url, cacheDir: tmp() });
      expect(local).toMatch(/datasets--org--traces\/snapshots\/[0-9a-f]{40}\/README\.md$/);
      await expect(downloadFile({ repo, path: 'missing.txt', hubUrl: hub.url })).resolves.toBeNull();
      // The same name as a model repo does not exist.
      await expect(downloadFile({ repo: 'org/traces', path: 'README.md', hubUrl: hub.url })).rejects.toThrow();
    } finally {
      await hub.close();
    }
  });

  it('answers fileExists (HEAD on raw) and records every request', async () => {
    const hub = await startHubServer({ 'org/model': { files: { 'config.json': '{}' } } });
    try {
      await expect(fileExists({ repo: 'org/model', path: 'config.json', hubUrl: hub.url })).resolves.toBe(true);
      await expect(fileExists({ repo: 'org/model', path: 'weights.bin', hubUrl: hub.url })).resolves.toBe(false);
      expect(hub.requests).toEqual([
        { method: 'HEAD', url: '/org/model/raw/main/config.json' },
        { method: 'HEAD', url: '/org/model/raw/main/weights.bin' },
      ]);
    } finally {
      await hub.close();
    }
  });

  it('resolves main, named refs and the commit, and nothing else', async () => {
    const commit = 'a'.repeat(40);
    const hub = await startHubServer({ 'org/model': { files: { 'config.json': '{"v":1}' }, commit, refs: ['v1'] } });
    try {
      for (const revision of ['main', 'v1', commit]) {
        const blob = await downloadFile({ repo: 'org/model', path: 'config.json', revision, hubUrl: hub.url });
        expect(await blob!.text()).toBe('{"v":1}');
      }
      const cacheDir = tmp();
      const local = await downloadFileToCacheDir({
        repo: 'org/model',
        path: 'config.json',
        revision: 'v1',
        hubUrl: hub.url,
        cacheDir,
      });
      expect(local).toBe(join(cacheDir, 'models--org--model', 'snapshots', commit, 'config.json'));
      await expect(
        downloadFile({ repo: 'org/model', path: 'config.json', revision: 'v2', hubUrl: hub.url }),
      ).rejects.toThrow(/revision v2 not found/);
    } finally {
      await hub.close();
    }
  });

  it('requires the bearer token of a private repo', async () => {
    const hub = await startHubServer({ 'org/private': { files: { 'a.txt': 'secret' }, token: 'hf_secret' } });
    try {
      const repo: RepoDesignation = 'org/private';
      await expect(downloadFile({ repo, path: 'a.txt', hubUrl: hub.url })).rejects.toThrow();
      const blob = await downloadFile({ repo, path: 'a.txt', hubUrl: hub.url, accessToken: 'hf_secret' });
      expect(await blob!.text()).toBe('secret');
    } finally {
      await hub.close();
    }
  });

  it('describes binary weights as LFS files and serves byte ranges of them', async () => {
    const weights = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const hub = await startHubServer({ 'org/model': { files: { 'model.safetensors': weights, 'config.json': '{}' } } });
    try {
      const entries = new Map<string, { lfs?: { oid: string; size: number } }>();
      for await (const f of listFiles({ repo: 'org/model', hubUrl: hub.url })) entries.set(f.path, f);
      expect(entries.get('model.safetensors')!.lfs).toMatchObject({
        oid: createHash('sha256').update(weights).digest('hex'),
        size: 1000,
      });
      expect(entries.get('config.json')!.lfs).toBeUndefined();
      // downloadFileToCacheDir names the blob after the LFS sha256, as in the Hub cache.
      const cacheDir = tmp();
      const local = await downloadFileToCacheDir({
        repo: 'org/model',
        path: 'model.safetensors',
        hubUrl: hub.url,
        cacheDir,
      });
      expect(Array.from(readFileSync(local))).toEqual(Array.from(weights));
      expect(realpathSync(local)).toBe(
        join(realpathSync(cacheDir), 'models--org--model', 'blobs', createHash('sha256').update(weights).digest('hex')),
      );
      const res = await fetch(`${hub.url}/org/model/resolve/main/model.safetensors`, {
        headers: { Range: 'bytes=10-19' },
      });
      expect(res.status).toBe(206);
      expect(res.headers.get('content-range')).toBe('bytes 10-19/1000');
      expect(res.headers.get('content-length')).toBe('10');
      expect(Array.from(new Uint8Array(await res.arrayBuffer()))).toEqual(Array.from(weights.subarray(10, 20)));
    } finally {
      await hub.close();
    }
  });

  it('lists a repo with its siblings and rejects a malformed commit', async () => {
    const hub = await startHubServer({ 'org/model': { files: { 'b.txt': 'b', 'a/c.txt': 'c' } } });
    try {
      const info = (await (await fetch(`${hub.url}/api/models/org/model`)).json()) as {
        id: string;
        sha: string;
        siblings: Array<{ rfilename: string }>;
      };
      expect(info.id).toBe('org/model');
      expect(info.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(info.siblings.map((s) => s.rfilename)).toEqual(['a/c.txt', 'b.txt']);
      expect((await fetch(`${hub.url}/api/models/org/absent`)).headers.get('x-error-code')).toBe('RepoNotFound');
    } finally {
      await hub.close();
    }
    await expect(startHubServer({ 'org/bad': { files: {}, commit: 'abc' } })).rejects.toThrow(
      /repo org\/bad: commit must be 40 lowercase hex digits/,
    );
  });

  it('serves further branches and tags at commits of their own, and per-file last commits', async () => {
    const [c1, c2, c3] = ['1', '2', '3'].map((d) => d.repeat(40));
    const hub = await startHubServer({
      'org/model': {
        files: { 'config.json': '{"v":1}', 'w.safetensors': 'w1' },
        commit: c1,
        fileCommits: { 'w.safetensors': c3 },
        revisions: {
          dev: { files: { 'config.json': '{"v":2}' }, commit: c2 },
          'refs/pr/1': { files: { 'x.txt': 'x' } },
        },
      },
    });
    try {
      const text = async (revision: string, path = 'config.json') =>
        (await downloadFile({ repo: 'org/model', path, revision, hubUrl: hub.url }))!.text();
      expect(await text('main')).toBe('{"v":1}');
      expect(await text('dev')).toBe('{"v":2}');
      expect(await text(c2)).toBe('{"v":2}');
      expect(await text('refs/pr/1', 'x.txt')).toBe('x');
      await expect(
        fileExists({ repo: 'org/model', path: 'w.safetensors', revision: 'dev', hubUrl: hub.url }),
      ).resolves.toBe(false);
      const info = await modelInfo({
        name: 'org/model',
        revision: 'dev',
        hubUrl: hub.url,
        additionalFields: ['sha', 'filePaths'],
      });
      expect([info.sha, info.filePaths]).toEqual([c2, ['config.json']]);
      expect((await modelInfo({ name: 'org/model', hubUrl: hub.url, additionalFields: ['sha'] })).sha).toBe(c1);
      await expect(modelInfo({ name: 'org/model', revision: 'nope', hubUrl: hub.url })).rejects.toThrow(
        /revision nope not found/,
      );
      // The Hub's lastCommit is the commit that last changed the file, not the revision's head.
      const paths = await pathsInfo({
        repo: 'org/model',
        paths: ['config.json', 'w.safetensors'],
        expand: true,
        hubUrl: hub.url,
      });
      expect(paths.map((p) => p.lastCommit.id)).toEqual([c1, c3]);
    } finally {
      await hub.close();
    }
  });

  it('moves a branch to a new commit on push; the old commit, and a tag at it, still serve the old files', async () => {
    const [c1, c2, c4] = ['1', '2', '4'].map((d) => d.repeat(40));
    const hub = await startHubServer({
      'org/model': { files: { 'config.json': '{"v":1}' }, commit: c1, refs: ['v1'] },
      'org/data': { type: 'dataset', files: { 'a.jsonl': '{}' } },
    });
    try {
      const text = async (revision: string, path = 'config.json') =>
        (await downloadFile({ repo: 'org/model', path, revision, hubUrl: hub.url }))!.text();
      const sha = async (revision?: string) =>
        (await modelInfo({ name: 'org/model', revision, hubUrl: hub.url, additionalFields: ['sha'] })).sha;
      expect(hub.push('org/model', 'main', { files: { 'config.json': '{"v":2}' }, commit: c2, fileCommits: {} })).toBe(
        c2,
      );
      expect([await sha(), await sha('main'), await sha('v1')]).toEqual([c2, c2, c1]);
      expect([await text('main'), await text(c1), await text('v1')]).toEqual(['{"v":2}', '{"v":1}', '{"v":1}']);
      // A new branch; its commit derived from the files when not given; per-file last commits its own.
      const dev = hub.push('org/model', 'dev', {
        files: { 'w.bin': 'w', 'config.json': '{"v":3}' },
        fileCommits: { 'w.bin': c4 },
      });
      expect(dev).toMatch(/^[0-9a-f]{40}$/);
      const paths = await pathsInfo({
        repo: 'org/model',
        revision: 'dev',
        paths: ['config.json', 'w.bin'],
        expand: true,
        hubUrl: hub.url,
      });
      expect(paths.map((p) => p.lastCommit.id)).toEqual([dev, c4]);
      expect(await text(dev)).toBe('{"v":3}');
      expect(hub.push('org/data', 'main', { files: { 'b.jsonl': '{}' } }, 'dataset')).toMatch(/^[0-9a-f]{40}$/);
      expect(() => hub.push('org/absent', 'main', { files: {} })).toThrow(
        /push: no repo 'org\/absent' \(serving model org\/model, dataset org\/data\)/,
      );
      expect(() => hub.push('org/model', c1, { files: {} })).toThrow(/push names a branch, not a commit/);
      expect(() => hub.push('org/model', 'other', { files: { 'config.json': '{"v":1}' }, commit: c1 })).toThrow(
        /commit 1{40} already exists at another revision/,
      );
    } finally {
      await hub.close();
    }
  });

  it('answers 403 to a token without access to a gated repo, 401 to none', async () => {
    const hub = await startHubServer({ 'org/gated': { files: { 'a.txt': 'a' }, token: 'hf_granted', gated: true } });
    try {
      const status = async (auth?: string) =>
        (
          await fetch(`${hub.url}/org/gated/resolve/main/a.txt`, {
            headers: auth ? { Authorization: `Bearer ${auth}` } : {},
          })
        ).status;
      expect([await status(), await status('hf_other'), await status('hf_granted')]).toEqual([401, 403, 200]);
    } finally {
      await hub.close();
    }
  });

  it('cuts the next download of a file short, once', async () => {
    const data = Uint8Array.from({ length: 4000 }, (_, i) => i % 256);
    const hub = await startHubServer({ 'org/model': { files: { 'w.bin': data } } });
    try {
      const url = `${hub.url}/org/model/resolve/main/w.bin`;
      hub.interrupt('w.bin', 100);
      await expect(fetch(url).then((r) => r.arrayBuffer())).rejects.toThrow();
      hub.interrupt('w.bin', 100, 'short');
      expect((await (await fetch(url)).arrayBuffer()).byteLength).toBe(100);
      expect((await (await fetch(url)).arrayBuffer()).byteLength).toBe(4000);
    } finally {
      await hub.close();
    }
  });

  it('pauses every full download of a delayed file halfway, until the delay is lifted', async () => {
    const data = Uint8Array.from({ length: 4000 }, (_, i) => i % 256);
    const hub = await startHubServer({ 'org/model': { files: { 'w.bin': data } } });
    try {
      const url = `${hub.url}/org/model/resolve/main/w.bin`;
      const timed = async () => {
        const started = performance.now();
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        return { ms: performance.now() - started, bytes };
      };
      hub.delay('w.bin', 300);
      const slow = await timed();
      expect(slow.bytes).toEqual(data);
      expect(slow.ms).toBeGreaterThanOrEqual(290);
      hub.delay('w.bin', 0);
      expect((await timed()).bytes).toEqual(data);
      expect(() => hub.delay('w.bin', -1)).toThrow(/ms must be a number >= 0/);
    } finally {
      await hub.close();
    }
  });
});
