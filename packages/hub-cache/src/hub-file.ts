/** A file of a repo at one commit, as the Hub lists it. */
export interface HubFileInfo {
  path: string;
  /** Bytes of the file itself (an LFS file's content, not its pointer). */
  size: number;
  /** What the cache names its blob after: the LFS sha256, the Xet hash or the git oid. */
  etag: string;
}
