/**
 * A second process for the lock tests: downloads one file of a repo into a
 * cache and prints its local path and size as JSON.
 *
 *   node --import tsx download-child.test-util.ts <hubUrl> <cacheDir> <type> <repo> <path>
 */
import { statSync } from 'node:fs';
import { HubSnapshot } from './hub-snapshot.js';
import type { HubRepoType } from './repo-id.js';

const [hubUrl, cacheDir, type, name, path] = process.argv.slice(2) as [string, string, HubRepoType, string, string];
const snapshot = await HubSnapshot.resolve({ type, name }, { hubUrl, cacheDir });
const info = (await snapshot.describe([path])).get(path);
if (!info) throw new Error(`${name} has no ${path}`);
let waited = false;
const local = await HubSnapshot.resolve({ type, name }, { hubUrl, cacheDir, onWait: () => (waited = true) }).then((s) =>
  s.download(info),
);
console.log(JSON.stringify({ local, size: statSync(local).size, waited }));
