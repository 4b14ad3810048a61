/** JSONL files of the run folder: written atomically, read back with errors naming file and line. */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '@molrl/progress';

export function writeJsonl(path: string, rows: readonly unknown[]): void {
  writeFileAtomicSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
}

/** The rows of a JSONL file; `check(row, 'path:line')` checks and types each one (it throws naming the field). */
export function readJsonl<T>(path: string, check: (row: unknown, where: string) => T = (row) => row as T): T[] {
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch (error) {
        throw new Error(`${path}:${i + 1}: not JSON (${(error as Error).message})`, { cause: error });
      }
      out.push(check(row, `${path}:${i + 1}`));
    });
  return out;
}
