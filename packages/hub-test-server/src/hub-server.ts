/**
 * A local HTTP server that answers like the Hugging Face Hub for the calls
 * @huggingface/hub makes when reading repos, so Hub-loading code is tested
 * offline. Model repos live at the root, dataset repos under /datasets/:
 *
 *   POST /api/{models|datasets}/{repo}/paths-info/{revision}   body {paths, expand}
 *   GET|HEAD /[datasets/]{repo}/{resolve|raw}/{revision}/{path}  Range: bytes=a-b honoured
 *   GET /api/{models|datasets}/{repo}/tree/{revision}[/{path}]   folders and files, ?recursive=true for all depths
 *   GET /api/{models|datasets}/{repo}[/revision/{revision}]      repo info with siblings
 *
 * A revision is "main", a branch/tag named in `refs` or `revisions`, or a commit
 * hash (URL-encoded when it holds a slash, as `refs/pr/1`). Every request is
 * recorded in `requests`; `Authorization` is checked when the repo has a `token`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareRepo, type HubRepo, type HubRevision, type PreparedRepo } from './repo.js';

export interface HubRequest {
  method: string;
  /** The request target as sent (path and query, not decoded). */
  url: string;
}

export interface HubServer {
  /** Base URL to pass as `hubUrl`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received, in order. */
  requests: HubRequest[];
  /**
   * Cut the next full GET of a file at `path` (any repo) after `afterBytes` bytes of its
   * content: `'reset'` (default) announces the full Content-Length and then drops the
   * connection, as a network failure does; `'short'` sends the bytes without a
   * Content-Length and ends the response cleanly, as a broken proxy may.
   */
  interrupt(path: string, afterBytes: number, how?: 'reset' | 'short'): void;
  /**
   * Make every full GET of a file at `path` (any repo) pause `ms` milliseconds halfway
   * through its content, as a slow link does, so that two downloads overlap; 0 ends it.
   */
  delay(path: string, ms: number): void;
  /**
   * Move a branch of repo `repoName` (made if new; `main` too) to a new commit
   * holding `revision.files`, as a push does: the branch names the new commit,
   * the old commit stays addressable by its id (and by any tag or ref that named
   * it). `type` picks between a model and a dataset repo of the same name.
   * Returns the new commit.
   */
  push(repoName: string, branch: string, revision: HubRevision, type?: 'model' | 'dataset'): string;
  close(): Promise<void>;
}

/** Starts a server on a free port of 127.0.0.1 serving `repos` (keyed by repo name, e.g. `org/model`). */
export async function startHubServer(repos: Record<string, HubRepo>): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const interruptions = new Map<string, { afterBytes: number; how: 'reset' | 'short' }>();
  const delays = new Map<string, number>();
  const prepared = Object.entries(repos).map(([name, repo]) => prepareRepo(name, repo));
  const find = (type: string, rest: string): { repo: PreparedRepo; tail: string } | null => {
    // The repo name is the longest prefix of `rest` naming a known repo of this type.
    const candidates = prepared.filter((r) => r.type === type && (rest === r.name || rest.startsWith(r.name + '/')));
    candidates.sort((a, b) => b.name.length - a.name.length);
    const repo = candidates[0];
    return repo ? { repo, tail: rest.slice(repo.name.length + 1) } : null;
  };
  const send = (
    res: ServerResponse,
    status: number,
    body: string | Uint8Array,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, headers);
    res.end(body);
  };
  const sendJson = (res: ServerResponse, value: unknown) =>
    send(res, 200, JSON.stringify(value), { 'Content-Type': 'application/json' });
  const notFound = (res: ServerResponse, code: string, message: string) =>
    send(res, 404, JSON.stringify({ error: message }), {
      'Content-Type': 'application/json',
      'X-Error-Code': code,
      'X-Error-Message': message,
    });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '' });
    const url = new URL(req.url ?? '/', 'http://localhost');
    // An encoded slash (a revision such as refs%2Fpr%2F1) stays inside its segment.
    let path = decodeURIComponent(url.pathname.replace(/%2F/gi, '\u0000')).replace(/^\/+/, '');
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
      if (repo.gated && req.headers.authorization)
        return send(
          res,
          403,
          JSON.stringify({
            error: `Access to model ${repo.name} is restricted and you are not in the authorized list.`,
          }),
          { 'Content-Type': 'application/json', 'X-Error-Code': 'GatedRepo' },
        );
      return send(res, 401, JSON.stringify({ error: 'Invalid credentials' }), {
        'Content-Type': 'application/json',
        'X-Error-Code': 'GatedRepo',
      });
    }
    const [verb, revRaw, ...fileParts] = tail.split('/').map((s) => s.split('\u0000').join('/'));
    const revision = revRaw || 'main';
    const snapshot = repo.resolve(revision);
    const noRevision = () => notFound(res, 'RevisionNotFound', `revision ${revision} not found`);
    const entry = (p: string) => {
      const file = snapshot!.files.get(p)!;
      const lastCommit = {
        id: snapshot!.fileCommits.get(p) ?? snapshot!.commit,
        title: 'Upload',
        date: '2026-01-01T00:00:00.000Z',
      };
      return {
        type: 'file',
        path: p,
        oid: file.oid,
        size: file.data.length,
        ...(file.lfs ? { lfs: file.lfs } : {}),
        lastCommit,
      };
    };
    if (isApi && verb === 'paths-info') {
      if (!snapshot) return noRevision();
      const { paths } = JSON.parse(body || '{}') as { paths?: string[] };
      return sendJson(res, (paths ?? []).filter((p) => snapshot.files.has(p)).map(entry));
    }
    if (isApi && verb === 'tree') {
      if (!snapshot) return noRevision();
      // Like the Hub: entries under the folder (files and folders), all depths when recursive.
      const prefix = fileParts.join('/');
      const recursive = url.searchParams.get('recursive') === 'true';
      const base = prefix ? prefix + '/' : '';
      const dirs = new Set<string>();
      const fileEntries: string[] = [];
      for (const p of snapshot.files.keys()) {
        if (!p.startsWith(base)) continue;
        const rest = p.slice(base.length).split('/');
        for (let d = 1; d < rest.length && (recursive || d === 1); d++) dirs.add(base + rest.slice(0, d).join('/'));
        if (recursive || rest.length === 1) fileEntries.push(p);
      }
      return sendJson(res, [
        ...[...dirs].sort().map((p) => ({ type: 'directory', path: p, oid: repo.directoryOid(p), size: 0 })),
        ...fileEntries.sort().map(entry),
      ]);
    }
    if (isApi && (verb === undefined || verb === '' || verb === 'revision')) {
      // /api/models/{repo} is main; /revision/{rev} any revision (HEAD is main, as on the Hub).
      const at = verb === 'revision' ? (revision === 'HEAD' ? repo.resolve('main') : snapshot) : repo.resolve('main');
      if (!at) return noRevision();
      return sendJson(res, {
        id: repo.name,
        sha: at.commit,
        private: !!repo.token,
        ...(repo.gated ? { gated: 'manual' } : { gated: false }),
        siblings: [...at.files.keys()].sort().map((rfilename) => ({ rfilename })),
      });
    }
    if (!isApi && (verb === 'resolve' || verb === 'raw')) {
      if (!snapshot) return noRevision();
      const path = fileParts.join('/');
      const file = snapshot.files.get(path);
      if (!file) return notFound(res, 'EntryNotFound', `${path} not found in ${repo.name}`);
      const { data } = file;
      const headers: Record<string, string> = {
        // The Hub's ETag is the LFS sha256 for LFS files and the git oid otherwise.
        ETag: `"${file.lfs?.oid ?? file.oid}"`,
        'X-Repo-Commit': snapshot.commit,
        'Accept-Ranges': 'bytes',
        'Content-Type': 'application/octet-stream',
      };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] === '' ? data.length - 1 : Math.min(Number(range[2]), data.length - 1);
        headers['Content-Range'] = `bytes ${start}-${end}/${data.length}`;
        headers['Content-Length'] = String(end - start + 1);
        return send(res, 206, req.method === 'HEAD' ? '' : data.subarray(start, end + 1), headers);
      }
      const cut = req.method === 'GET' ? interruptions.get(path) : undefined;
      if (cut) {
        interruptions.delete(path);
        if (cut.how === 'short') {
          res.writeHead(200, headers);
          res.end(data.subarray(0, cut.afterBytes));
          return;
        }
        headers['Content-Length'] = String(data.length);
        res.writeHead(200, headers);
        res.write(data.subarray(0, cut.afterBytes), () => setTimeout(() => res.destroy(), 20));
        return;
      }
      headers['Content-Length'] = String(data.length);
      const pause = req.method === 'GET' ? (delays.get(path) ?? 0) : 0;
      if (pause > 0) {
        const half = data.length >> 1;
        res.writeHead(200, headers);
        res.write(data.subarray(0, half));
        setTimeout(() => res.end(data.subarray(half)), pause);
        return;
      }
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
    interrupt: (path, afterBytes, how = 'reset') => {
      interruptions.set(path, { afterBytes, how });
    },
    delay: (path, ms) => {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`delay: ms must be a number >= 0, got ${ms}`);
      if (ms === 0) delays.delete(path);
      else delays.set(path, ms);
    },
    push: (repoName, branch, revision, type) => {
      const matches = prepared.filter((r) => r.name === repoName && (type === undefined || r.type === type));
      if (matches.length !== 1)
        throw new Error(
          matches.length
            ? `push: '${repoName}' names a model and a dataset repo: pass the type`
            : `push: no ${type ? `${type} ` : ''}repo '${repoName}' (serving ${prepared.map((r) => `${r.type} ${r.name}`).join(', ') || 'none'})`,
        );
      return matches[0]!.push(branch, revision);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
