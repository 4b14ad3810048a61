import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(hub.requests.some((r) => r.url.includes('/molrl/tiny/resolve/main/tokenizer.json'))).toBe(true);
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
    ).rejects.toThrow(/molrl\/private@main: cannot download tokenizer.json/);
    await expect(Tokenizer.fromHub('molrl/absent', { hubUrl: hub.url, cacheDir })).rejects.toThrow(/molrl\/absent/);
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
