/**
 * A local HTTP server that answers the Hub endpoints `@huggingface/hub` uses
 * for downloads: POST /api/models/:repo/paths-info/:rev, GET (with or without
 * Range) /:repo/resolve/:rev/:path, HEAD /:repo/raw/:rev/:path. Files come
 * from an in-memory map per repo; unknown files get the Hub's EntryNotFound 404.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHub {
  url: string;
  /** Every request as "METHOD path" (to check what was fetched and how often). */
  requests: string[];
  close(): Promise<void>;
}

export async function startFakeHub(repos: Record<string, Record<string, Uint8Array>>, commit = 'a'.repeat(40)): Promise<FakeHub> {
  const requests: string[] = [];
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

  const notFound = (res: ServerResponse) => {
    res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'Entry not found' }));
  };

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = decodeURIComponent(url.pathname);
    requests.push(`${req.method} ${path}`);
    const pathsInfo = /^\/api\/models\/(.+?\/.+?)\/paths-info\/([^/]+)$/.exec(path);
    if (pathsInfo && req.method === 'POST') {
      const [, repo, rev] = pathsInfo;
      const files = repos[repo];
      if (!files || (rev !== 'main' && rev !== commit)) {
        res.writeHead(404, { 'X-Error-Code': 'RepoNotFound', 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: `Repository ${repo} not found` }));
        return;
      }
      let body = '';
      for await (const chunk of req) body += chunk;
      const wanted = (JSON.parse(body) as { paths: string[] }).paths;
      const out = wanted
        .filter((p) => files[p])
        .map((p) => ({
          type: 'file',
          path: p,
          oid: sha(files[p]).slice(0, 40),
          size: files[p].length,
          ...(p.endsWith('.safetensors') ? { lfs: { oid: sha(files[p]), size: files[p].length, pointerSize: 134 } } : {}),
          lastCommit: { id: commit, title: 'upload', date: '2025-01-01T00:00:00.000Z' },
        }));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(out));
      return;
    }
    const file = /^\/(.+?\/.+?)\/(resolve|raw)\/([^/]+)\/(.+)$/.exec(path);
    if (file) {
      const [, repo, , rev, name] = file;
      const data = rev === 'main' || rev === commit ? repos[repo]?.[name] : undefined;
      if (!data) return notFound(res);
      const headers = { ETag: `"${sha(data)}"`, 'X-Repo-Commit': commit, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
      if (req.method === 'HEAD') {
        res.writeHead(200, { ...headers, 'Content-Length': data.length });
        res.end();
        return;
      }
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
        res.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${data.length}`, 'Content-Length': end - start + 1 });
        res.end(Buffer.from(data.subarray(start, end + 1)));
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Length': data.length });
      res.end(Buffer.from(data));
      return;
    }
    notFound(res);
  };

  const server: Server = createServer((req, res) => {
    handler(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
