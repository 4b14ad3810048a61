import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFolder } from '../run-folder.js';
import { readDataManifest, readTaskRecords, readTraceRecords } from './data-records.js';

const TRACE = {
  id: 't0',
  split: 'train',
  kind: 'digit-sum',
  correct: true,
  n_steps: 1,
  messages: [
    { role: 'system', content: 's' },
    { role: 'user', content: 'u' },
    { role: 'assistant', content: 'a' },
    { role: 'tool-call', content: 'c' },
    { role: 'tool-response', content: 'r' },
  ],
};
const TASK = {
  id: 'k0',
  kind: 'digit-sum',
  question: 'Sum the digits of 12.',
  answer: '3',
  args: '12',
  signature: 'solve(n)',
};

function runWith(file: string, rows: unknown[]): { run: RunFolder; path: string } {
  const run = new RunFolder(join(mkdtempSync(join(tmpdir(), 'molrl-records-')), 'run'));
  mkdirSync(run.dataDir, { recursive: true });
  const path = join(run.dataDir, file);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return { run, path };
}

describe('the data records the later phases read', () => {
  it('reads good rows as they are', () => {
    expect(readTraceRecords(runWith('traces.jsonl', [TRACE, { ...TRACE, id: 't1' }]).run)).toEqual([
      TRACE,
      { ...TRACE, id: 't1' },
    ]);
    const withLibrary = { ...TASK, library: 'depot' };
    expect(readTaskRecords(runWith('grpo-tasks.jsonl', [TASK, withLibrary]).run, 'grpo-tasks.jsonl')).toEqual([
      TASK,
      withLibrary,
    ]);
  });

  it.each([
    [
      'no messages',
      { ...TRACE, messages: undefined },
      'field "messages" must be a non-empty array of { role, content }, got missing',
    ],
    [
      'messages not an array',
      { ...TRACE, messages: 'x' },
      'field "messages" must be a non-empty array of { role, content }, got "x"',
    ],
    [
      'a split with a typo',
      { ...TRACE, split: 'Train' },
      `field "split" must be one of 'train', 'validation', got "Train"`,
    ],
    [
      'an unknown role',
      { ...TRACE, messages: [{ role: 'bot', content: 'x' }] },
      'messages[0].role must be one of system, user, assistant, tool-call, tool-response, got "bot"',
    ],
    [
      'content not a string',
      { ...TRACE, messages: [{ role: 'user', content: 5 }] },
      'messages[0].content must be a string, got 5',
    ],
    [
      'a message not an object',
      { ...TRACE, messages: [null] },
      'messages[0] must be an object { role, content }, got null',
    ],
    ['n_steps not an integer', { ...TRACE, n_steps: 1.5 }, 'field "n_steps" must be an integer >= 0, got 1.5'],
    ['a null row', null, 'a row must be a JSON object, got null'],
  ])('a trace row with %s is refused with its file, line and field', (_name, bad, message) => {
    const { run, path } = runWith('traces.jsonl', [TRACE, bad]);
    expect(() => readTraceRecords(run)).toThrow(`${path}:2: ${message}`);
  });

  it.each([
    ['no question', { ...TASK, question: undefined }, 'field "question" must be a non-empty string, got missing'],
    ['an empty answer', { ...TASK, answer: ' ' }, 'field "answer" must be a non-empty string, got " "'],
    ['a library that is not a string', { ...TASK, library: 3 }, 'field "library" must be a string, got 3'],
  ])('a task row with %s is refused with its file, line and field', (_name, bad, message) => {
    for (const file of ['grpo-tasks.jsonl', 'eval-tasks.jsonl'] as const) {
      const { run, path } = runWith(file, [bad]);
      expect(() => readTaskRecords(run, file)).toThrow(`${path}:1: ${message}`);
    }
  });

  it('a data file that is gone says how to make the data again', () => {
    const { run } = runWith('traces.jsonl', [TRACE]);
    expect(() => readTaskRecords(run, 'eval-tasks.jsonl')).toThrow(
      `${join(run.dataDir, 'eval-tasks.jsonl')} is missing, but ${run.dir}/state.json records the data phase as done; ` +
        `make the data again with \`molrl data --out ${run.dir} --force\``,
    );
  });

  const MANIFEST = {
    traces: { train: 8, validation: 2, correct: 7, meanSteps: 2.5, seed: 1000, depot: 3 },
    grpoTasks: { count: 4, seed: 2000 },
    evalTasks: { count: 5, seed: 3000, set: 'test' },
  };

  it('reads the data manifest, and a run without data has none', () => {
    const run = new RunFolder(join(mkdtempSync(join(tmpdir(), 'molrl-records-')), 'run'));
    expect(readDataManifest(run)).toBeNull();
    mkdirSync(run.dataDir, { recursive: true });
    writeFileSync(join(run.dataDir, 'manifest.json'), JSON.stringify(MANIFEST));
    expect(readDataManifest(run)).toEqual(MANIFEST);
    // A manifest of an older run (no depot count, no seeds) still reads.
    const older = {
      traces: { train: 8, validation: 2, correct: 7, meanSteps: 2 },
      grpoTasks: { count: 4 },
      evalTasks: { count: 5 },
    };
    writeFileSync(join(run.dataDir, 'manifest.json'), JSON.stringify(older));
    expect(readDataManifest(run)).toEqual(older);
  });

  it.each([
    ['not an object', [], 'the data manifest must be a JSON object, got []'],
    ['no traces', { ...MANIFEST, traces: undefined }, 'traces: this part must be a JSON object, got missing'],
    [
      'a count that is text',
      { ...MANIFEST, grpoTasks: { count: '4' } },
      'grpoTasks: field "count" must be an integer >= 0, got "4"',
    ],
    [
      'a negative mean',
      { ...MANIFEST, traces: { ...MANIFEST.traces, meanSteps: -1 } },
      'traces: field "meanSteps" must be a number >= 0, got -1',
    ],
    [
      'a depot count that is a fraction',
      { ...MANIFEST, traces: { ...MANIFEST.traces, depot: 0.5 } },
      'traces: field "depot" must be an integer >= 0, got 0.5',
    ],
  ])('a data manifest with %s is refused with its path and field', (_name, bad, message) => {
    const run = new RunFolder(join(mkdtempSync(join(tmpdir(), 'molrl-records-')), 'run'));
    mkdirSync(run.dataDir, { recursive: true });
    const path = join(run.dataDir, 'manifest.json');
    writeFileSync(path, JSON.stringify(bad));
    expect(() => readDataManifest(run)).toThrow(`${path}: ${message}`);
  });
});
