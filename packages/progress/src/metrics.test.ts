import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsWriter, readMetrics, truncateMetrics, truncateMetricsFile, type MetricRecord } from './metrics.js';

const dir = () => mkdtempSync(join(tmpdir(), 'molrl-progress-'));

describe('MetricsWriter', () => {
  it('appends one JSON object per line with a time stamp', () => {
    const path = join(dir(), 'sub', 'metrics.jsonl');
    const w = new MetricsWriter(path);
    w.write({ step: 1, loss: 2.5 });
    w.write({ step: 2, loss: 2.1, phase: 'mol' });
    const records = readMetrics(path);
    expect(records.map((r) => r.step)).toEqual([1, 2]);
    expect(records[1]!.phase).toBe('mol');
    expect(typeof records[0]!.time).toBe('string');
  });

  it('skips a torn last line but names a malformed line elsewhere', () => {
    const path = join(dir(), 'm.jsonl');
    writeFileSync(path, '{"step":1}\n{"step":2}\n{"step":3');
    expect(readMetrics(path)).toHaveLength(2);
    writeFileSync(path, '{"step":1}\nnot json\n{"step":3}\n');
    expect(() => readMetrics(path)).toThrow(`${path}:2: not a JSON object`);
  });

  it('truncates records past a resume point', () => {
    const records: MetricRecord[] = [{ step: 1 }, { step: 2 }, { step: 3 }, { event: 'start' }];
    expect(truncateMetrics(records, 'step', 2)).toEqual([{ step: 1 }, { step: 2 }, { event: 'start' }]);
  });

  it('truncates a metrics file in place, and leaves a missing one missing', async () => {
    const path = join(dir(), 'metrics.jsonl');
    await truncateMetricsFile(path, 'step', 1);
    expect(existsSync(path)).toBe(false);
    writeFileSync(path, ['{"step":1}', '{"step":2}', '{"event":"start"}', '{"step":3}'].join('\n') + '\n');
    await truncateMetricsFile(path, 'step', 2);
    expect(readFileSync(path, 'utf8')).toBe('{"step":1}\n{"step":2}\n{"event":"start"}\n');
  });
});
