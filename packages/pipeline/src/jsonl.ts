/** JSONL files of the run folder: written atomically, read back with errors naming file and line. */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@molrl/progress';

export function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileAtomicSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

export function readJsonl<T>(path: string): T[] {
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as T);
      } catch (error) {
        throw new Error(`${path}:${i + 1}: not JSON (${(error as Error).message})`, { cause: error });
      }
    });
  return out;
}
