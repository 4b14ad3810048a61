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

  it('keeps every line valid JSON: what JSON cannot hold is refused naming the field, and nothing is written', () => {
    const path = join(dir(), 'm.jsonl');
    const w = new MetricsWriter(path);
    // Non-finite numbers are written as JSON.stringify writes them (null): the trainers' records rely on it.
    w.write({ step: 1, loss: Number.NaN, grad_norm: Number.POSITIVE_INFINITY });
    expect(() => w.write({ step: 2, tokens: 5n } as never)).toThrow(
      `MetricsWriter.write(${path}): field "tokens" is a bigint (5n), which JSON cannot hold`,
    );
    expect(() => w.write({ step: 2, f: (() => 1) as never })).toThrow('field "f" is a function');
    const cycle: Record<string, unknown> = { step: 2 };
    cycle.self = cycle;
    expect(() => w.write(cycle as never)).toThrow(
      `MetricsWriter.write(${path}): Converting circular structure to JSON`,
    );
    expect(() => w.write(null as never)).toThrow(`MetricsWriter.write(${path}): a record must be an object, got null`);
    expect(() => w.write([1, 2] as never)).toThrow('a record must be an object, got an array');
    expect(() => w.write('step 2' as never)).toThrow('a record must be an object, got "step 2"');
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ step: 1, loss: null, grad_norm: null });
    expect(() => new MetricsWriter('')).toThrow('MetricsWriter: path must be a non-empty string, got ""');
  });

  it('names a line that is JSON but not an object', () => {
    const path = join(dir(), 'm.jsonl');
    writeFileSync(path, '{"step":1}\n[1,2]\n{"step":3}\n');
    expect(() => readMetrics(path)).toThrow(`${path}:2: not a JSON object (JSON array)`);
    writeFileSync(path, '{"step":1}\n42\n{"step":3}\n');
    expect(() => readMetrics(path)).toThrow(`${path}:2: not a JSON object (JSON number)`);
    writeFileSync(path, '{"step":1}\nnull\n');
    expect(readMetrics(path)).toEqual([{ step: 1 }]);
  });

  it('refuses a NaN resume point instead of dropping every numbered record', async () => {
    const records: MetricRecord[] = [{ step: 1 }, { step: 2 }];
    expect(() => truncateMetrics(records, 'step', Number.NaN)).toThrow(
      'truncateMetrics: upTo must be a number (not NaN), got NaN',
    );
    expect(() => truncateMetrics(records, '', 1)).toThrow('truncateMetrics: key must be a non-empty string, got ""');
    expect(() => truncateMetrics(undefined as never, 'step', 1)).toThrow('records must be an array, got undefined');
    const path = join(dir(), 'metrics.jsonl');
    writeFileSync(path, '{"step":1}\n{"step":2}\n');
    await expect(truncateMetricsFile(path, 'step', Number.NaN)).rejects.toThrow(
      'truncateMetricsFile: upTo must be a number (not NaN), got NaN',
    );
    expect(readFileSync(path, 'utf8')).toBe('{"step":1}\n{"step":2}\n');
    expect(truncateMetrics(records, 'step', Number.POSITIVE_INFINITY)).toEqual(records);
  });
});
