/**
 * The sample cache: one JSON line per finished sample (completion and
 * verdict), appended as it happens, so an interrupted run resumes where it
 * stopped. A torn last line (the process died mid-write) is cut off; a bad
 * line elsewhere is an error naming the file and line.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckVerdict } from './suite.js';

export interface SampleRecord {
  suite: string;
  item: string;
  sample: number;
  model: string;
  /** Identifies the sampling profile and prompt, so changed settings do not reuse old samples. */
  config: string;
  completion: string;
  extracted: string | null;
  verdict: CheckVerdict;
  correct: boolean;
  score: number;
  detail?: string;
  seconds: number;
  time: string;
}

export function sampleKey(r: Pick<SampleRecord, 'suite' | 'item' | 'sample' | 'model' | 'config'>): string {
  return JSON.stringify([r.suite, r.item, r.sample, r.model, r.config]);
}

export class SampleCache {
  private readonly records = new Map<string, SampleRecord>();

  constructor(readonly path: string | null) {
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    if (!existsSync(path)) return;
    const bytes = readFileSync(path);
    const end = bytes.lastIndexOf(0x0a) + 1;
    if (end < bytes.length) {
      // The torn last line of an interrupted write: cut it so the next append starts on a fresh line.
      truncateSync(path, end);
    }
    const lines = bytes.subarray(0, end).toString('utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let r: SampleRecord;
      try {
        r = JSON.parse(line) as SampleRecord;
      } catch (err) {
        throw new Error(`${path}, line ${i + 1}: not valid JSON (${(err as Error).message})`, { cause: err });
      }
      if (
        typeof r.suite !== 'string' ||
        typeof r.item !== 'string' ||
        typeof r.sample !== 'number' ||
        typeof r.completion !== 'string'
      ) {
        throw new Error(`${path}, line ${i + 1}: not a sample record (needs suite, item, sample, completion)`);
      }
      this.records.set(sampleKey(r), r);
    });
  }

  get size(): number {
    return this.records.size;
  }

  get(key: string): SampleRecord | undefined {
    return this.records.get(key);
  }

  add(r: SampleRecord): void {
    this.records.set(sampleKey(r), r);
    if (this.path) appendFileSync(this.path, JSON.stringify(r) + '\n');
  }
}
