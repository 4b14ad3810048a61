/**
 * Loading from the Hub as a transformers user exercises it: revisions, the
 * cache's reuse and atomicity, auth, endpoints, offline mode, what a Qwen3 repo
 * holds beside the weights, and the errors each failure gives.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from '@molrl/hub-test-server';
import { setBackend } from '@molrl/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FIXTURES } from './fixtures.test-util.js';
import { downloadModelFiles, resolveModelDir } from './hub.js';
import { Qwen3ForCausalLM } from './model.js';
import { SafetensorsCheckpoint, writeSafetensorsCheckpoint } from './safetensors/checkpoint.js';
import { SafetensorsFile } from './safetensors/reader.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'molrl-hubload-'));
const TOKEN = 'hf_test_token_granted';
const [C1, C2, C3, C4] = ['1', '2', '3', '4'].map((d) => d.repeat(40));

/** A fixture folder as a repo's files. */
function folder(
  name: string,
  edit: (files: Record<string, Uint8Array>) => void = () => {},
): Record<string, Uint8Array> {
  const dir = join(FIXTURES, name);
  const files: Record<string, Uint8Array> = {};
  for (const f of readdirSync(dir)) files[f] = readFileSync(join(dir, f));
  edit(files);
  return files;
}
const withConfig = (files: Record<string, Uint8Array>, fields: Record<string, unknown>) => {
  files['config.json'] = new TextEncoder().encode(
    JSON.stringify({ ...JSON.parse(new TextDecoder().decode(files['config.json'])), ...fields }),
  );
};

describe('loading from the Hub', () => {
  let hub: HubServer;
  beforeAll(async () => {
    await setBackend('cpu');
    hub = await startHubServer({
      // main at C1; branch dev at C2 with 3 layers' worth... of a different config; tag v1 at C1.
      'org/revs': {
        files: folder('tiny-f32', (f) => withConfig(f, { bos_token_id: 11 })),
        commit: C1,
        refs: ['v1'],
        revisions: { dev: { files: folder('tiny-f32', (f) => withConfig(f, { bos_token_id: 22 })), commit: C2 } },
      },
      // As on the Hub: each file's lastCommit is the commit that last changed it, not main's head.
      'org/history': { files: folder('tiny-sharded'), commit: C3, fileCommits: { 'config.json': C4 } },
      'org/plain': { files: folder('tiny-f32') },
      'org/sharded': { files: folder('tiny-sharded') },
      'org/private': { files: folder('tiny-f32'), token: TOKEN },
      'org/gated': { files: folder('tiny-f32'), token: TOKEN, gated: true },
      'org/pytorch': {
        files: {
          'config.json': readFileSync(join(FIXTURES, 'tiny-f32', 'config.json')),
          'pytorch_model.bin': new Uint8Array(16),
          'tokenizer.json': '{}',
        },
      },
      'org/bad-shards': {
        files: folder('tiny-sharded', (f) => {
          delete f['model-00002-of-00002.safetensors'];
        }),
      },
    });
  });
  afterAll(() => hub.close());
  afterEach(() => vi.unstubAllEnvs());

  const gets = () => hub.requests.filter((r) => r.method === 'GET' && /\/(resolve|raw)\//.test(r.url)).length;

  it('puts every file of a revision in the snapshot of its commit, however the files were last changed', async () => {
    const cacheDir = tmp();
    const dir = await resolveModelDir('org/history', { hubUrl: hub.url, cacheDir });
    expect(dir).toBe(join(cacheDir, 'models--org--history', 'snapshots', C3));
    expect(readFileSync(join(cacheDir, 'models--org--history', 'refs', 'main'), 'utf8')).toBe(C3);
    const m = await Qwen3ForCausalLM.fromPretrained('org/history', { hubUrl: hub.url, cacheDir });
    expect(m.config.num_hidden_layers).toBe(2);
  });

  it('loads a branch, a tag and a commit, each from its own snapshot, and never serves one for another', async () => {
    const cacheDir = tmp();
    const bos = async (revision?: string, extra: object = {}) =>
      (await Qwen3ForCausalLM.fromPretrained('org/revs', { hubUrl: hub.url, cacheDir, revision, ...extra })).config
        .bos_token_id;
    expect(await bos()).toBe(11);
    // Only main is cached: dev is not served from it, offline or not.
    await expect(resolveModelDir('org/revs', { cacheDir, revision: 'dev', localFilesOnly: true })).rejects.toThrow(
      /org\/revs@dev is not in the cache/,
    );
    expect(await bos('dev')).toBe(22);
    expect(await bos('v1')).toBe(11);
    expect(await bos(C2)).toBe(22);
    expect(await bos(C1)).toBe(11);
    expect(readdirSync(join(cacheDir, 'models--org--revs', 'snapshots')).sort()).toEqual([C1, C2]);
    expect(await bos('dev', { localFilesOnly: true })).toBe(22);
    expect(await bos('v1', { localFilesOnly: true })).toBe(11);
    await expect(bos('nope')).rejects.toThrow(/org\/revs@nope: revision 'nope' does not exist on the Hub/);
  });

  it('makes no request for a cached commit and one for a cached branch, downloading nothing again', async () => {
    const cacheDir = tmp();
    await Qwen3ForCausalLM.fromPretrained('org/sharded', { hubUrl: hub.url, cacheDir });
    const before = hub.requests.length;
    const files = gets();
    await Qwen3ForCausalLM.fromPretrained('org/sharded', { hubUrl: hub.url, cacheDir });
    // A branch may move: one request asks where it points, as huggingface_hub's HEAD does; no file is fetched.
    expect(hub.requests.length - before).toBe(1);
    expect(gets()).toBe(files);
    const commit = readFileSync(join(cacheDir, 'models--org--sharded', 'refs', 'main'), 'utf8');
    await Qwen3ForCausalLM.fromPretrained('org/sharded', { hubUrl: hub.url, cacheDir, revision: commit });
    // The repo has no generation_config.json: that is recorded (.no_exist, as huggingface_hub does), not asked again.
    expect(hub.requests.length - before).toBe(1);
    expect(existsSync(join(cacheDir, 'models--org--sharded', '.no_exist', commit, 'generation_config.json'))).toBe(
      true,
    );
  });

  for (const how of ['reset', 'short'] as const) {
    it(`leaves nothing a later load takes as complete when a download is cut (${how})`, async () => {
      const cacheDir = tmp();
      hub.interrupt('model.safetensors', 1000, how);
      await expect(Qwen3ForCausalLM.fromPretrained('org/plain', { hubUrl: hub.url, cacheDir })).rejects.toThrow(
        /org\/plain@main: downloading model.safetensors failed/,
      );
      // config.json came; the weights did not, under any name a later load would read.
      const [commit] = readdirSync(join(cacheDir, 'models--org--plain', 'snapshots'));
      expect(existsSync(join(cacheDir, 'models--org--plain', 'snapshots', commit, 'model.safetensors'))).toBe(false);
      vi.stubEnv('HF_HUB_OFFLINE', '1');
      await expect(Qwen3ForCausalLM.fromPretrained('org/plain', { cacheDir })).rejects.toThrow(
        /offline: org\/plain@main is not in the cache/,
      );
      await expect(Qwen3ForCausalLM.fromPretrained('org/plain', { cacheDir, revision: commit })).rejects.toThrow(
        new RegExp(`offline: org/plain@${commit} is not in the cache \\(no .*${commit}/model\\.safetensors\\)`),
      );
      vi.unstubAllEnvs();
      const m = await Qwen3ForCausalLM.fromPretrained('org/plain', { hubUrl: hub.url, cacheDir });
      expect(m.config.vocab_size).toBe(128);
      const blobs = readdirSync(join(cacheDir, 'models--org--plain', 'blobs'));
      expect(blobs.filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    });
  }

  it('downloads each file once when loads of the same model run at the same time', async () => {
    const cacheDir = tmp();
    const shard = Object.keys(folder('tiny-sharded')).find((f) => f.endsWith('.safetensors'))!;
    const gets = () => hub.requests.filter((r) => r.method === 'GET' && r.url.includes('/org/sharded/resolve/')).length;
    const alone = gets();
    await resolveModelDir('org/sharded', { hubUrl: hub.url, cacheDir: tmp() });
    const perLoad = gets() - alone;
    hub.delay(shard, 200);
    try {
      const before = gets();
      const dirs = await Promise.all(
        [0, 1, 2].map(() => resolveModelDir('org/sharded', { hubUrl: hub.url, cacheDir })),
      );
      expect(new Set(dirs).size).toBe(1);
      expect(gets() - before).toBe(perLoad);
      const model = await Qwen3ForCausalLM.fromPretrained(dirs[0]!);
      expect(model.config.num_hidden_layers).toBeGreaterThan(0);
    } finally {
      hub.delay(shard, 0);
    }
  });

  it('sends $HF_TOKEN, the token file or an explicit token as a Bearer header', async () => {
    vi.stubEnv('HF_TOKEN', TOKEN);
    await expect(resolveModelDir('org/private', { hubUrl: hub.url, cacheDir: tmp() })).resolves.toBeDefined();
    vi.stubEnv('HF_TOKEN', '');
    const tokenFile = join(tmp(), 'token');
    writeFileSync(tokenFile, TOKEN + '\n');
    vi.stubEnv('HF_TOKEN_PATH', tokenFile);
    await expect(resolveModelDir('org/private', { hubUrl: hub.url, cacheDir: tmp() })).resolves.toBeDefined();
    vi.stubEnv('HF_TOKEN_PATH', join(tmp(), 'absent'));
    await expect(
      resolveModelDir('org/private', { hubUrl: hub.url, cacheDir: tmp(), accessToken: TOKEN }),
    ).resolves.toBeDefined();
  });

  it('says what to do on a 401, a 403 and a 404', async () => {
    vi.stubEnv('HF_TOKEN_PATH', join(tmp(), 'absent'));
    const load = (repo: string, accessToken?: string) =>
      resolveModelDir(repo, { hubUrl: hub.url, cacheDir: tmp(), accessToken });
    await expect(load('org/private')).rejects.toThrow(
      /org\/private@main: the Hub refused access \(401\).*no token was sent: set HF_TOKEN or pass accessToken/,
    );
    await expect(load('org/private', 'hf_wrong')).rejects.toThrow(
      /org\/private@main: the Hub refused access \(401\).*the token sent was not accepted/,
    );
    await expect(load('org/gated', 'hf_wrong')).rejects.toThrow(
      new RegExp(`org/gated@main: the repo is gated \\(403\\).*request access at ${hub.url}/org/gated`),
    );
    await expect(load('org/absent')).rejects.toThrow(
      /org\/absent@main: the repo does not exist on the Hub \(404\).*check the id; a private repo also needs a token/,
    );
  });

  it('uses $HF_ENDPOINT when no hubUrl is given', async () => {
    vi.stubEnv('HF_ENDPOINT', hub.url);
    const before = hub.requests.length;
    await expect(resolveModelDir('org/plain', { cacheDir: tmp() })).resolves.toMatch(/models--org--plain/);
    expect(hub.requests.length).toBeGreaterThan(before);
  });

  it('falls back to the cache when the Hub cannot be reached, and says so when nothing is cached', async () => {
    const cacheDir = tmp();
    const dir = await resolveModelDir('org/plain', { hubUrl: hub.url, cacheDir });
    const down = await startHubServer({});
    const url = down.url;
    await down.close();
    expect(await resolveModelDir('org/plain', { hubUrl: url, cacheDir })).toBe(dir);
    await expect(resolveModelDir('org/sharded', { hubUrl: url, cacheDir })).rejects.toThrow(
      new RegExp(
        `^hub org/sharded@main: cannot reach ${url.replace(/\./g, '\\.')} \\(.*; check the connection or HF_ENDPOINT\\), and the cache cannot serve it: org/sharded@main is not in the cache`,
      ),
    );
  });

  it('downloadModelFiles honours localFilesOnly: the cache or an error, never a request', async () => {
    const cacheDir = tmp();
    const before = hub.requests.length;
    await expect(downloadModelFiles('org/plain', { hubUrl: hub.url, cacheDir, localFilesOnly: true })).rejects.toThrow(
      /^hub org\/plain@main is not in the cache \(no .*refs\/main\)/,
    );
    expect(hub.requests.length).toBe(before);
    const dir = await downloadModelFiles('org/plain', { hubUrl: hub.url, cacheDir });
    const seen = hub.requests.length;
    expect(await downloadModelFiles('org/plain', { hubUrl: hub.url, cacheDir, localFilesOnly: true })).toBe(dir);
    expect(hub.requests.length).toBe(seen);
  });

  it('refuses a repo with PyTorch .bin weights only, naming them', async () => {
    await expect(Qwen3ForCausalLM.fromPretrained('org/pytorch', { hubUrl: hub.url, cacheDir: tmp() })).rejects.toThrow(
      /org\/pytorch@main: the repo has no safetensors weights, only pytorch_model\.bin.*convert/,
    );
    const dir = tmp();
    writeFileSync(join(dir, 'config.json'), readFileSync(join(FIXTURES, 'tiny-f32', 'config.json')));
    writeFileSync(join(dir, 'pytorch_model.bin'), new Uint8Array(16));
    await expect(Qwen3ForCausalLM.fromPretrained(dir)).rejects.toThrow(
      /no safetensors weights, only pytorch_model\.bin.*convert/,
    );
  });

  it('names the shard an index lists but the repo lacks', async () => {
    await expect(resolveModelDir('org/bad-shards', { hubUrl: hub.url, cacheDir: tmp() })).rejects.toThrow(
      /org\/bad-shards@main: model\.safetensors\.index\.json lists model-00002-of-00002\.safetensors, which the repo does not have/,
    );
  });
});

describe('checkpoint files a transformers user meets', () => {
  it('refuses a tensor held by two shards, and one a shard holds that the index does not list', async () => {
    const dir = tmp();
    const t = (name: string, v: number) => ({
      name,
      dtype: 'F32' as const,
      shape: [2],
      data: new Float32Array(2).fill(v),
    });
    await writeSafetensorsCheckpoint(dir, [t('a', 1), t('b', 2), t('c', 3)], { maxShardBytes: 8 });
    const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
    // Shard 2 also holds 'a' (a re-save over an old checkpoint): which copy is meant?
    const { writeSafetensors } = await import('./safetensors/writer.js');
    await writeSafetensors(join(dir, 'model-00002-of-00003.safetensors'), [t('b', 2), t('a', 9)]);
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(
      /tensor 'a' is in both model-00001-of-00003\.safetensors and model-00002-of-00003\.safetensors/,
    );
    await writeSafetensors(join(dir, 'model-00002-of-00003.safetensors'), [t('b', 2), t('d', 9)]);
    await expect(SafetensorsCheckpoint.open(dir)).rejects.toThrow(
      /model-00002-of-00003\.safetensors holds tensor 'd', which the index does not list/,
    );
    expect(index.weight_map.a).toBe('model-00001-of-00003.safetensors');
  });

  it('says a Git LFS pointer is not the weights', async () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'model.safetensors'),
      'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'ab'.repeat(32) + '\nsize 331680\n',
    );
    await expect(SafetensorsFile.open(join(dir, 'model.safetensors'))).rejects.toThrow(
      /model\.safetensors: a Git LFS pointer, not the file .*git lfs pull/,
    );
  });

  it("with dtype 'auto' and no torch_dtype in config.json, stores weights as the checkpoint's", async () => {
    await setBackend('cpu');
    const dir = tmp();
    for (const f of readdirSync(join(FIXTURES, 'tiny-bf16')))
      writeFileSync(join(dir, f), readFileSync(join(FIXTURES, 'tiny-bf16', f)));
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    delete config.torch_dtype;
    delete config.dtype;
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    const m = await Qwen3ForCausalLM.fromPretrained(dir, { dtype: 'auto' });
    expect(m.namedParameters().get('model.norm.weight')!.dtype).toBe('bfloat16');
    // transformers 5 writes "dtype" instead of "torch_dtype".
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, dtype: 'float16' }));
    const h = await Qwen3ForCausalLM.fromPretrained(dir, { dtype: 'auto' });
    expect(h.namedParameters().get('model.norm.weight')!.dtype).toBe('float16');
  });
});
