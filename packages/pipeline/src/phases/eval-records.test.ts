import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFolder } from '../run-folder.js';
import { stageKnowledgePath, stageProbePath, stageReportPath, stageTasksPath } from './eval.js';
import { readKnowledge, readProbe, readStageReport, readTaskResults } from './eval-records.js';

const REPORT = {
  model: 'qwen3-tiny',
  date: '2026-12-07T00:00:00.000Z',
  results: [{ suite: 'CodeAgent-Test', items: 4, pass1: 0.5, meanScore: 0.6, samplesPerItem: 1 }],
};
const TASK = { id: 'k0', kind: 'digit-sum', correct: 1, score: 1 };
const PROBE = { documents: 2, tokens: 10, nll: 1.5, perDocument: [1, 2] };

function runWithFile(path: (run: RunFolder) => string, text: string): { run: RunFolder; file: string } {
  const run = new RunFolder(join(mkdtempSync(join(tmpdir(), 'molrl-eval-records-')), 'run'));
  const file = path(run);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return { run, file };
}

describe("the evaluation phase's files as the report reads them", () => {
  it('reads good files as they are, and a stage not evaluated has none', () => {
    const empty = new RunFolder(join(mkdtempSync(join(tmpdir(), 'molrl-eval-records-')), 'run'));
    expect(readStageReport(empty, 'base')).toBeNull();
    expect(readTaskResults(empty, 'base')).toBeNull();
    expect(readProbe(empty, 'base')).toBeNull();
    expect(readKnowledge(empty, 'base')).toBeNull();
    expect(readStageReport(runWithFile((r) => stageReportPath(r, 'mol'), JSON.stringify(REPORT)).run, 'mol')).toEqual(
      REPORT,
    );
    const depot = { ...TASK, id: 'k1', library: 'depot', correct: 0, score: 0.25 };
    const tasks = [TASK, depot].map((t) => JSON.stringify(t)).join('\n') + '\n';
    expect(readTaskResults(runWithFile((r) => stageTasksPath(r, 'mol'), tasks).run, 'mol')).toEqual([TASK, depot]);
    expect(readProbe(runWithFile((r) => stageProbePath(r, 'mol'), JSON.stringify(PROBE)).run, 'mol')).toEqual(PROBE);
    const knowledge = { ...PROBE, ids: ['k1', 'k2'] };
    expect(
      readKnowledge(runWithFile((r) => stageKnowledgePath(r, 'mol'), JSON.stringify(knowledge)).run, 'mol'),
    ).toEqual(knowledge);
  });

  it.each([
    ['not an object', [], 'an evaluation report must be a JSON object, got []'],
    ['no results', { ...REPORT, results: undefined }, 'field "results" must be an array of suite results, got missing'],
    [
      'a pass rate above 1',
      { ...REPORT, results: [{ ...REPORT.results[0], pass1: 50 }] },
      'results[0]: field "pass1" must be a fraction in [0, 1], got 50',
    ],
    [
      'a suite result that is text',
      { ...REPORT, results: ['CodeAgent-Test'] },
      'results[0]: a suite result must be a JSON object, got "CodeAgent-Test"',
    ],
    [
      'a mean score of null',
      { ...REPORT, results: [{ ...REPORT.results[0], meanScore: null }] },
      'results[0]: field "meanScore" must be a finite number, got null',
    ],
  ])('a report.json with %s is refused with its path and field', (_name, bad, message) => {
    const { run, file } = runWithFile((r) => stageReportPath(r, 'grpo'), JSON.stringify(bad));
    expect(() => readStageReport(run, 'grpo')).toThrow(`${file}: ${message}`);
  });

  it('a report.json that is not JSON names its line and column', () => {
    const { run, file } = runWithFile((r) => stageReportPath(r, 'base'), '{\n  "model": ');
    expect(() => readStageReport(run, 'base')).toThrow(new RegExp(`^${file}:2:12: not valid JSON`));
  });

  it.each([
    ['a share correct above 1', { ...TASK, correct: 2 }, 'field "correct" must be a fraction in [0, 1], got 2'],
    ['no id', { ...TASK, id: undefined }, 'field "id" must be a string, got missing'],
    ['a score of text', { ...TASK, score: 'high' }, 'field "score" must be a finite number, got "high"'],
  ])('a tasks.jsonl row with %s is refused with its file, line and field', (_name, bad, message) => {
    const text = [TASK, bad].map((t) => JSON.stringify(t)).join('\n') + '\n';
    const { run, file } = runWithFile((r) => stageTasksPath(r, 'base'), text);
    expect(() => readTaskResults(run, 'base')).toThrow(`${file}:2: ${message}`);
  });

  it.each([
    [
      'fewer values than documents',
      { ...PROBE, perDocument: [1] },
      'field "perDocument" must be an array of 2 finite numbers (one per document), got [1]',
    ],
    ['an nll of null', { ...PROBE, nll: null }, 'field "nll" must be a finite number, got null'],
    ['a token count of -1', { ...PROBE, tokens: -1 }, 'field "tokens" must be an integer >= 0, got -1'],
  ])('a probe.json with %s is refused with its path and field', (_name, bad, message) => {
    const { run, file } = runWithFile((r) => stageProbePath(r, 'base'), JSON.stringify(bad));
    expect(() => readProbe(run, 'base')).toThrow(`${file}: ${message}`);
  });

  it('a knowledge.json needs one id per document', () => {
    const { run, file } = runWithFile((r) => stageKnowledgePath(r, 'base'), JSON.stringify({ ...PROBE, ids: ['k1'] }));
    expect(() => readKnowledge(run, 'base')).toThrow(
      `${file}: field "ids" must be an array of 2 strings (one per document), got ["k1"]`,
    );
  });
});
