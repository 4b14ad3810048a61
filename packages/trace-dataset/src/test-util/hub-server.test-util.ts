/**
 * A local HTTP server that answers like the Hugging Face Hub for the calls
 * @huggingface/hub makes when downloading files, so Hub-loading code is tested
 * offline. Reusable for models and datasets:
 *
 *   const hub = await startHubServer({ 'org/model': { files: { 'tokenizer.json': text } } });
 *   await Tokenizer.fromHub('org/model', { hubUrl: hub.url, cacheDir });
 *   await hub.close();
 *
 * Endpoints (model repos at the root, dataset repos under /datasets/, like the Hub):
 *   POST /api/{models|datasets}/{repo}/paths-info/{revision}   body {paths, expand}
 *   GET|HEAD /[datasets/]{repo}/resolve/{revision}/{path}        Range: bytes=a-b honoured
 *   GET /api/{models|datasets}/{repo}/tree/{revision}[/{path}]   folders and files, ?recursive=true for all depths
 *   GET /api/{models|datasets}/{repo}[/revision/{revision}]      repo info with siblings
 * A revision is "main", a branch/tag named in `refs`, or the repo's commit hash.
 * Every request is recorded in `requests`; `Authorization` is checked when the
 * repo has a `token`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  type?: 'model' | 'dataset';
  /** path -> content */
  files: Record<string, string | Uint8Array>;
  /** 40-hex commit id (default: derived from the files). */
  commit?: string;
  /** Extra branch or tag names that resolve to the commit. */
  refs?: string[];
  /** Bearer token required to read the repo. */
  token?: string;
}

export interface HubServer {
  url: string;
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}

function sha1(data: Uint8Array): string {
  return createHash('sha1').update(data).digest('hex');
}

export async function startHubServer(repos: Record<string, HubRepo>): Promise<HubServer> {
  const requests: HubServer['requests'] = [];
  const prepared = Object.entries(repos).map(([name, repo]) => {
    const files = new Map(Object.entries(repo.files).map(([p, c]) => [p, typeof c === 'string' ? new TextEncoder().encode(c) : c]));
    const commit = repo.commit ?? sha1(new TextEncoder().encode(JSON.stringify([...files.keys()].sort()) + [...files.values()].map(sha1).join()));
    return { name, type: repo.type ?? 'model', files, commit, refs: new Set(['main', ...(repo.refs ?? []), commit]), token: repo.token };
  });
  const find = (type: string, rest: string) => {
    // The repo name is the longest prefix of `rest` naming a known repo of this type.
    const candidates = prepared.filter((r) => r.type === type && (rest === r.name || rest.startsWith(r.name + '/')));
    candidates.sort((a, b) => b.name.length - a.name.length);
    const repo = candidates[0];
    return repo ? { repo, tail: rest.slice(repo.name.length + 1) } : null;
  };
  const send = (res: ServerResponse, status: number, body: string | Uint8Array, headers: Record<string, string> = {}) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  const notFound = (res: ServerResponse, code: string, message: string) =>
    send(res, 404, JSON.stringify({ error: message }), { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    let path = decodeURIComponent(url.pathname).replace(/^\/+/, '');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const isApi = path.startsWith('api/');
    if (isApi) path = path.slice(4);
    let type = 'model';
    if (isApi) {
      const m = /^(models|datasets|spaces)\/(.*)$/.exec(path);
      if (!m) return notFound(res, 'RepoNotFound', `no route ${url.pathname}`);
      type = m[1].slice(0, -1);
      path = m[2];
    } else if (path.startsWith('datasets/')) {
      type = 'dataset';
      path = path.slice('datasets/'.length);
    }
    const found = find(type, path);
    if (!found) return notFound(res, 'RepoNotFound', `repository ${path} not found`);
    const { repo, tail } = found;
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`) {
      return send(res, 401, JSON.stringify({ error: 'Invalid credentials' }), { 'Content-Type': 'application/json', 'X-Error-Code': 'GatedRepo' });
    }
    const [verb, revRaw, ...fileParts] = tail.split('/');
    const revision = revRaw ?? 'main';
    const lastCommit = { id: repo.commit, title: 'Upload', date: '2026-01-01T00:00:00.000Z' };
    const entry = (p: string) => {
      const data = repo.files.get(p)!;
      return { type: 'file', path: p, oid: sha1(data), size: data.length, lastCommit };
    };
    if (isApi && verb === 'paths-info') {
      if (!repo.refs.has(revision)) return notFound(res, 'RevisionNotFound', `revision ${revision} not found`);
      const { paths } = JSON.parse(body || '{}') as { paths?: string[] };
      const out = (paths ?? []).filter((p) => repo.files.has(p)).map(entry);
      return send(res, 200, JSON.stringify(out), { 'Content-Type': 'application/json' });
    }
    if (isApi && verb === 'tree') {
      if (!repo.refs.has(revision)) return notFound(res, 'RevisionNotFound', `revision ${revision} not found`);
      // Like the Hub: entries under the folder (files and folders), all depths when recursive.
      const prefix = fileParts.join('/');
      const recursive = url.searchParams.get('recursive') === 'true';
      const base = prefix ? prefix + '/' : '';
      const dirs = new Set<string>();
      const fileEntries: string[] = [];
      for (const p of repo.files.keys()) {
        if (!p.startsWith(base)) continue;
        const rest = p.slice(base.length).split('/');
        for (let d = 1; d < rest.length && (recursive || d === 1); d++) dirs.add(base + rest.slice(0, d).join('/'));
        if (recursive || rest.length === 1) fileEntries.push(p);
      }
      const out = [
        ...[...dirs].sort().map((p) => ({ type: 'directory', path: p, oid: sha1(new TextEncoder().encode(p)), size: 0 })),
        ...fileEntries.sort().map(entry),
      ];
      return send(res, 200, JSON.stringify(out), { 'Content-Type': 'application/json' });
    }
    if (isApi && (verb === undefined || verb === 'revision')) {
      const info = { id: repo.name, sha: repo.commit, private: false, siblings: [...repo.files.keys()].sort().map((rfilename) => ({ rfilename })) };
      return send(res, 200, JSON.stringify(info), { 'Content-Type': 'application/json' });
    }
    if (!isApi && (verb === 'resolve' || verb === 'raw')) {
      if (!repo.refs.has(revision)) return notFound(res, 'RevisionNotFound', `revision ${revision} not found`);
      const file = fileParts.join('/');
      const data = repo.files.get(file);
      if (!data) return notFound(res, 'EntryNotFound', `${file} not found in ${repo.name}`);
      const headers: Record<string, string> = {
        ETag: `"${sha1(data)}"`,
        'X-Repo-Commit': repo.commit,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream',
      };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] === '' ? data.length - 1 : Math.min(Number(range[2]), data.length - 1);
        headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
        return send(res, 206, req.method === 'HEAD' ? '' : data.subarray(start, end + 1), headers);
      }
      headers['Content-Length'] = String(data.length);
      return send(res, 200, req.method === 'HEAD' ? '' : data, headers);
    }
    return notFound(res, 'EntryNotFound', `no route ${url.pathname}`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
