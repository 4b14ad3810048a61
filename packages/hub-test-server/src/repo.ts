import { createHash } from 'node:crypto';

/** A repo as the test describes it. */
export interface HubRepo {
  type?: 'model' | 'dataset';
  /** path -> content (strings are UTF-8 encoded). */
  files: Record<string, string | Uint8Array>;
  /** 40-hex commit id (default: derived from the files). */
  commit?: string;
  /** Extra branch or tag names that resolve to the commit. */
  refs?: string[];
  /** Bearer token required to read the repo. */
  token?: string;
  /**
   * Path suffixes of files stored in Git LFS; their paths-info and tree entries carry
   * `lfs: { oid, size, pointerSize }` as on the Hub (default: `DEFAULT_LFS_SUFFIXES`).
   */
  lfsSuffixes?: readonly string[];
}

/** Binary formats the Hub's default `.gitattributes` sends to LFS. */
export const DEFAULT_LFS_SUFFIXES: readonly string[] = [
  '.safetensors',
  '.bin',
  '.pt',
  '.pth',
  '.ckpt',
  '.onnx',
  '.h5',
  '.msgpack',
  '.model',
  '.gguf',
  '.parquet',
  '.arrow',
  '.npy',
  '.npz',
  '.pkl',
  '.pickle',
  '.gz',
  '.zip',
  '.tar',
  '.zst',
  '.xz',
];

export interface LfsInfo {
  /** sha256 of the content. */
  oid: string;
  size: number;
  pointerSize: number;
}

export interface RepoFile {
  data: Uint8Array;
  /** Git blob id: of the content, or of the LFS pointer for LFS files. */
  oid: string;
  lfs?: LfsInfo;
}

export interface PreparedRepo {
  name: string;
  type: string;
  files: Map<string, RepoFile>;
  commit: string;
  refs: Set<string>;
  token?: string;
  directoryOid(path: string): string;
}

const hex = (algorithm: 'sha1' | 'sha256', ...parts: Uint8Array[]) => {
  const hash = createHash(algorithm);
  for (const p of parts) hash.update(p);
  return hash.digest('hex');
};
const utf8 = (s: string) => new TextEncoder().encode(s);
const gitBlobOid = (content: Uint8Array) => hex('sha1', utf8(`blob ${content.length}\0`), content);

function repoFile(path: string, data: Uint8Array, lfsSuffixes: readonly string[]): RepoFile {
  if (!lfsSuffixes.some((s) => path.endsWith(s))) return { data, oid: gitBlobOid(data) };
  const oid = hex('sha256', data);
  const pointer = utf8(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${data.length}\n`);
  return { data, oid: gitBlobOid(pointer), lfs: { oid, size: data.length, pointerSize: pointer.length } };
}

export function prepareRepo(name: string, repo: HubRepo): PreparedRepo {
  const lfsSuffixes = repo.lfsSuffixes ?? DEFAULT_LFS_SUFFIXES;
  const files = new Map(
    Object.entries(repo.files).map(([path, content]) => [
      path,
      repoFile(path, typeof content === 'string' ? utf8(content) : content, lfsSuffixes),
    ]),
  );
  const commit =
    repo.commit ??
    hex('sha1', utf8(JSON.stringify([...files.keys()].sort()) + [...files.values()].map((f) => f.oid).join()));
  if (!/^[0-9a-f]{40}$/.test(commit))
    throw new Error(`repo ${name}: commit must be 40 lowercase hex digits, got "${commit}"`);
  return {
    name,
    type: repo.type ?? 'model',
    files,
    commit,
    refs: new Set(['main', ...(repo.refs ?? []), commit]),
    token: repo.token,
    directoryOid: (path) => hex('sha1', utf8(path)),
  };
}
