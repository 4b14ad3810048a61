import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubFile } from './hub.js';
import { Tokenizer } from './tokenizer.js';
import { trainBpeTokenizer } from './trainer.js';

describe('Tokenizer.fromHub against a local Hub', () => {
  const trained = trainBpeTokenizer(['hello world, hello hub. '.repeat(50)], {
    vocabSize: 300,
    progress: { mode: 'silent' },
  });
  const files = {
    'tokenizer.json': JSON.stringify(trained.tokenizerJson),
    'tokenizer_config.json': JSON.stringify({
      ...trained.tokenizerConfig,
      chat_template: '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}',
    }),
  };
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({
      'molrl/tiny': { files, refs: ['v1'] },
      'molrl/private': { files, token: 'hf_secret' },
      'molrl/no-config': { files: { 'tokenizer.json': files['tokenizer.json'] } },
    });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('downloads tokenizer.json and tokenizer_config.json into the cache and loads them', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
    const tok = await Tokenizer.fromHub('molrl/tiny', { hubUrl: hub.url, cacheDir });
    expect(tok.decode(tok.encode('hello hub'))).toBe('hello hub');
    expect(tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('[user]x');
    // Fetched at the commit main names, not at the moving branch.
    const head = readFileSync(join(cacheDir, 'models--molrl--tiny', 'refs', 'main'), 'utf8');
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(hub.requests.some((r) => r.url.includes(`/molrl/tiny/resolve/${head}/tokenizer.json`))).toBe(true);
    // By tag, and again from the cache by commit without downloading the files again.
    await Tokenizer.fromHub('molrl/tiny', { hubUrl: hub.url, cacheDir, revision: 'v1' });
    const seen = hub.requests.length;
    const before = hub.requests.filter((r) => r.method === 'GET' && r.url.includes('/resolve/')).length;
    const again = await Tokenizer.fromHub('molrl/tiny', { hubUrl: hub.url, cacheDir });
    expect(again.encode('hello')).toEqual(tok.encode('hello'));
    expect(hub.requests.length).toBeGreaterThan(seen);
    expect(hub.requests.filter((r) => r.method === 'GET' && r.url.includes('/resolve/')).length).toBe(before);
  });

  it('uses the cached files of a revision when the Hub cannot be reached', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
    const online = await Tokenizer.fromHub('molrl/tiny', { hubUrl: hub.url, cacheDir });
    const offline = await Tokenizer.fromHub('molrl/tiny', { hubUrl: 'http://127.0.0.1:1', cacheDir });
    expect(offline.encode('hello hub')).toEqual(online.encode('hello hub'));
    expect(offline.applyChatTemplate([{ role: 'user', content: 'x' }])).toBe('[user]x');
    // Nothing cached for another revision: the network error is reported.
    await expect(
      Tokenizer.fromHub('molrl/tiny', { hubUrl: 'http://127.0.0.1:1', cacheDir, revision: 'v1' }),
    ).rejects.toThrow(/molrl\/tiny@v1: cannot download tokenizer.json/);
  });

  it('sends the access token, and fails clearly without it or for a missing repo', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
    const tok = await Tokenizer.fromHub('molrl/private', { hubUrl: hub.url, cacheDir, accessToken: 'hf_secret' });
    expect(tok.vocabSize).toBe(Tokenizer.fromJSON(trained.tokenizerJson).vocabSize);
    await expect(
      Tokenizer.fromHub('molrl/private', { hubUrl: hub.url, cacheDir: mkdtempSync(join(tmpdir(), 'molrl-hub-')) }),
    ).rejects.toThrow(
      /molrl\/private@main: cannot download tokenizer.json: the Hub refused access \(401\).*no token was sent/,
    );
    await expect(Tokenizer.fromHub('molrl/absent', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
      /molrl\/absent@main: cannot download tokenizer.json: the repo does not exist on the Hub \(404\)/,
    );
    await expect(Tokenizer.fromHub('molrl/tiny', { hubUrl: hub.url, cacheDir, revision: 'nope' })).rejects.toThrow(
      /molrl\/tiny@nope: cannot download tokenizer.json: revision 'nope' does not exist on the Hub \(404\)/,
    );
  });

  it('loads a repo without tokenizer_config.json', async () => {
    const tok = await Tokenizer.fromHub('molrl/no-config', {
      hubUrl: hub.url,
      cacheDir: mkdtempSync(join(tmpdir(), 'molrl-hub-')),
    });
    expect(tok.encode('hello').length).toBeGreaterThan(0);
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(/chat_template: missing/);
  });
});

describe('Tokenizer.fromHub errors name the files in the cache', () => {
  const trained = trainBpeTokenizer(['hello world, hello hub. '.repeat(50)], {
    vocabSize: 300,
    progress: { mode: 'silent' },
  });
  const tokenizerJson = JSON.stringify(trained.tokenizerJson);
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({
      'molrl/bad-json': {
        files: {
          'tokenizer.json': JSON.stringify({
            ...trained.tokenizerJson,
            truncation: { max_length: 8, direction: 'left' },
          }),
        },
      },
      'molrl/bad-config': {
        files: {
          'tokenizer.json': tokenizerJson,
          'tokenizer_config.json': JSON.stringify({ ...trained.tokenizerConfig, eos_token: 5 }),
        },
      },
      'molrl/bad-template': {
        files: {
          'tokenizer.json': tokenizerJson,
          'tokenizer_config.json': JSON.stringify({ chat_template: '{% for m in messages %}' }),
        },
      },
    });
  });
  afterAll(async () => {
    await hub.close();
  });
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  /** The start of an error naming `file` in the repo's snapshot folder. */
  const snapshot = (cacheDir: string, repo: string, file: string) =>
    new RegExp(`^${escapeRe(join(cacheDir, `models--molrl--${repo}`, 'snapshots'))}/[0-9a-f]{40}/${escapeRe(file)}: `);

  it('a bad tokenizer.json, tokenizer_config.json or chat template names its path in the cache', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
    await expect(Tokenizer.fromHub('molrl/bad-json', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
      snapshot(cacheDir, 'bad-json', 'tokenizer.json'),
    );
    await expect(Tokenizer.fromHub('molrl/bad-config', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
      snapshot(cacheDir, 'bad-config', 'tokenizer_config.json'),
    );
    const tok = await Tokenizer.fromHub('molrl/bad-template', { hubUrl: hub.url, cacheDir });
    expect(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }])).toThrow(
      snapshot(cacheDir, 'bad-template', 'tokenizer_config.json'),
    );
  });

  it('refuses an option it does not know, naming the camelCase one', async () => {
    await expect(
      Tokenizer.fromHub('molrl/bad-json', { hubUrl: hub.url, cache_dir: '/tmp/x' } as never),
    ).rejects.toThrow("Tokenizer.fromHub: unknown option 'cache_dir' (did you mean 'cacheDir'?)");
    await expect(hubFile('molrl/bad-json', 'tokenizer.json', { hub_url: hub.url } as never)).rejects.toThrow(
      "hubFile: unknown option 'hub_url' (did you mean 'hubUrl'?)",
    );
  });
});

describe('Hub revisions: one commit per load, refs/<revision> naming it', () => {
  const trained = trainBpeTokenizer(['hello world, hello hub. '.repeat(50)], {
    vocabSize: 300,
    progress: { mode: 'silent' },
  });
  const tokenizerJson = JSON.stringify(trained.tokenizerJson);
  const config = (template: string) => JSON.stringify({ ...trained.tokenizerConfig, chat_template: template });
  const TEMPLATE_A = '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}';
  const TEMPLATE_B = '{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}';
  const HEAD_A = 'a'.repeat(40);
  const HEAD_B = 'b'.repeat(40);
  const TAG = 'c'.repeat(40);
  // As on the real Hub: each file's last commit is older than the branch's head, and differs per file.
  const fileCommits = { 'tokenizer.json': '1'.repeat(40), 'tokenizer_config.json': '2'.repeat(40) };
  const repo = (head: string, template: string) => ({
    files: { 'tokenizer.json': tokenizerJson, 'tokenizer_config.json': config(template) },
    commit: head,
    fileCommits,
    revisions: { 'v2-no-config': { files: { 'tokenizer.json': tokenizerJson }, commit: TAG } },
  });
  const folder = (cacheDir: string) => join(cacheDir, 'models--molrl--moving');
  const user = [{ role: 'user' as const, content: 'x' }];
  const offline = 'http://127.0.0.1:1';

  it('takes every file from the commit the branch names and records it in refs/main', async () => {
    const hub = await startHubServer({ 'molrl/moving': repo(HEAD_A, TEMPLATE_A) });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
      const tok = await Tokenizer.fromHub('molrl/moving', { hubUrl: hub.url, cacheDir });
      expect(tok.applyChatTemplate(user)).toBe('[user]x');
      expect(readFileSync(join(folder(cacheDir), 'refs', 'main'), 'utf8')).toBe(HEAD_A);
      for (const f of ['tokenizer.json', 'tokenizer_config.json'])
        expect(existsSync(join(folder(cacheDir), 'snapshots', HEAD_A, f))).toBe(true);
      for (const c of Object.values(fileCommits))
        expect(existsSync(join(folder(cacheDir), 'snapshots', c))).toBe(false);
      // Offline, refs/main finds both files.
      const again = await Tokenizer.fromHub('molrl/moving', { hubUrl: offline, cacheDir });
      expect(again.applyChatTemplate(user)).toBe('[user]x');
      expect(await hubFile('molrl/moving', 'tokenizer_config.json', { hubUrl: offline, cacheDir })).toBe(
        config(TEMPLATE_A),
      );
    } finally {
      await hub.close();
    }
  });

  it('serves the new files when the branch has moved, and each commit its own', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
    const before = await startHubServer({ 'molrl/moving': repo(HEAD_A, TEMPLATE_A) });
    try {
      const tok = await Tokenizer.fromHub('molrl/moving', { hubUrl: before.url, cacheDir });
      expect(tok.applyChatTemplate(user)).toBe('[user]x');
    } finally {
      await before.close();
    }
    // main moved to HEAD_B; the Hub still reports the same last commits for the files.
    const after = await startHubServer({ 'molrl/moving': repo(HEAD_B, TEMPLATE_B) });
    try {
      const tok = await Tokenizer.fromHub('molrl/moving', { hubUrl: after.url, cacheDir });
      expect(tok.applyChatTemplate(user)).toBe('<user>x');
      expect(readFileSync(join(folder(cacheDir), 'refs', 'main'), 'utf8')).toBe(HEAD_B);
      expect(after.requests.some((r) => r.url.includes(`/resolve/${HEAD_B}/tokenizer_config.json`))).toBe(true);
    } finally {
      await after.close();
    }
    // Offline: main is HEAD_B now, and the old commit still has its own files.
    expect((await Tokenizer.fromHub('molrl/moving', { hubUrl: offline, cacheDir })).applyChatTemplate(user)).toBe(
      '<user>x',
    );
    const old = await Tokenizer.fromHub('molrl/moving', { hubUrl: offline, cacheDir, revision: HEAD_A });
    expect(old.applyChatTemplate(user)).toBe('[user]x');
  });

  it('loads a tag at its own commit, records a file it lacks, and then loads it offline', async () => {
    const hub = await startHubServer({ 'molrl/moving': repo(HEAD_A, TEMPLATE_A) });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
      const tok = await Tokenizer.fromHub('molrl/moving', { hubUrl: hub.url, cacheDir, revision: 'v2-no-config' });
      expect(() => tok.applyChatTemplate(user)).toThrow(/chat_template: missing/);
      expect(readFileSync(join(folder(cacheDir), 'refs', 'v2-no-config'), 'utf8')).toBe(TAG);
      expect(existsSync(join(folder(cacheDir), '.no_exist', TAG, 'tokenizer_config.json'))).toBe(true);
      expect(existsSync(join(folder(cacheDir), 'snapshots', HEAD_A))).toBe(false);
      const again = await Tokenizer.fromHub('molrl/moving', { hubUrl: offline, cacheDir, revision: 'v2-no-config' });
      expect(again.encode('hello hub')).toEqual(tok.encode('hello hub'));
      // main was never loaded: the tag's files are not served for it.
      await expect(Tokenizer.fromHub('molrl/moving', { hubUrl: offline, cacheDir })).rejects.toThrow(
        /molrl\/moving@main: cannot download tokenizer.json/,
      );
    } finally {
      await hub.close();
    }
  });

  it('rejects a download cut short, keeps nothing of it, and fetches it whole the next time', async () => {
    const hub = await startHubServer({ 'molrl/moving': repo(HEAD_A, TEMPLATE_A) });
    try {
      const cacheDir = mkdtempSync(join(tmpdir(), 'molrl-hub-'));
      hub.interrupt('tokenizer.json', 100, 'short');
      await expect(Tokenizer.fromHub('molrl/moving', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
        /molrl\/moving@main: cannot download tokenizer.json: got 100 of its \d+ bytes/,
      );
      expect(existsSync(join(folder(cacheDir), 'snapshots', HEAD_A, 'tokenizer.json'))).toBe(false);
      const tok = await Tokenizer.fromHub('molrl/moving', { hubUrl: hub.url, cacheDir });
      expect(tok.applyChatTemplate(user)).toBe('[user]x');
    } finally {
      await hub.close();
    }
  });

  it('refuses a path that would leave the cache folder', async () => {
    await expect(hubFile('molrl/moving', '../../etc/passwd', { hubUrl: offline })).rejects.toThrow(
      /hubFile: path must be a file path in the repository/,
    );
  });
});
