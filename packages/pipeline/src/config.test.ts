import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CONFIG, parseAssignments, resolveConfig, validateConfig } from './config.js';

describe('config', () => {
  it('the defaults are valid and point at the embedded model', () => {
    const c = validateConfig(structuredClone(DEFAULT_CONFIG));
    expect(c.model).toMatch(/default-model$/);
  });

  it('names every bad field, with its value', () => {
    const bad = structuredClone(DEFAULT_CONFIG) as unknown as Record<string, Record<string, unknown>>;
    bad.mol!.mode = 'sft';
    bad.grpo!.numGenerations = 1.5;
    bad.eval!.topP = 0;
    expect(() => validateConfig(bad, 'x.json')).toThrow(
      /x\.json: mol\.mode must be one of 'mol', 'ce', 'ce_nokl', got "sft"; grpo\.numGenerations must be an integer >= 2, got 1\.5; eval\.topP must be a number > 0 and <= 1, got 0/,
    );
  });

  it("takes MoL's loss normalisation and KL weight (defaults: 'separate', 1)", () => {
    expect(DEFAULT_CONFIG.mol).toMatchObject({ normalization: 'separate', klWeight: 1 });
    const paper = resolveConfig({ overrides: [parseAssignments(['mol.normalization=token', 'mol.klWeight=0.5'])] });
    expect(paper.mol).toMatchObject({ normalization: 'token', klWeight: 0.5 });
    expect(() => resolveConfig({ overrides: [{ mol: { normalization: 'paper', klWeight: -1 } }] })).toThrow(
      /mol\.normalization must be one of 'separate', 'token', 'sequence', got "paper"; mol\.klWeight must be a number >= 0, got -1/,
    );
  });

  it('rejects unknown fields and sections', () => {
    expect(() => resolveConfig({ overrides: [{ mol: { learningrate: 1 } }] })).toThrow(
      "mol.learningrate is not a known field (did you mean 'mol.learningRate'?)",
    );
    expect(() => resolveConfig({ overrides: [{ optimiser: {} }] })).toThrow(/optimiser is not a known field$/);
    expect(() => resolveConfig({ overrides: [{ grop: {} }] })).toThrow(
      "grop is not a known field (did you mean 'grpo'?)",
    );
  });

  it('checks fields against each other', () => {
    expect(() => resolveConfig({ overrides: [{ grpo: { numGenerations: 3 } }] })).toThrow(
      /grpo\.globalBatchSize must be a multiple of grpo\.numGenerations \(3\), got 16/,
    );
    expect(() => resolveConfig({ overrides: [{ data: { traces: 4, validation: 4 } }] })).toThrow(
      /data\.validation must be below data\.traces/,
    );
  });

  it('a file overrides the defaults and flags override the file; errors name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'molrl-config-'));
    const file = join(dir, 'run.json');
    writeFileSync(file, JSON.stringify({ seed: 3, grpo: { maxSteps: 2, lossType: 'grpo' } }));
    const c = resolveConfig({ file, overrides: [parseAssignments(['grpo.maxSteps=5', 'mol.mode=ce'])] });
    expect([c.seed, c.grpo.maxSteps, c.grpo.lossType, c.mol.mode, c.grpo.numGenerations]).toEqual([
      3,
      5,
      'grpo',
      'ce',
      DEFAULT_CONFIG.grpo.numGenerations,
    ]);
    writeFileSync(file, JSON.stringify({ grpo: { temperature: -1 } }));
    expect(() => resolveConfig({ file })).toThrow(
      new RegExp(`${file.replace(/[.]/g, '\\.')}: grpo\\.temperature must be a number >= 0`),
    );
    writeFileSync(file, '{ "seed": ');
    expect(() => resolveConfig({ file })).toThrow(ConfigError);
    expect(() => resolveConfig({ file: join(dir, 'missing.json') })).toThrow(/no such config file/);
  });

  it('a bad field of a flag or a file is named by where it came from; a section must be an object', () => {
    expect(() =>
      resolveConfig({ overrides: [{ grpo: { numGenerations: 1 } }], overrideNames: ['--set grpo.numGenerations=1'] }),
    ).toThrow(/^--set grpo\.numGenerations=1: grpo\.numGenerations must be an integer >= 2, got 1$/);
    expect(() => resolveConfig({ overrides: [{ seed: Infinity }], overrideNames: ['--set seed=1e400'] })).toThrow(
      /^--set seed=1e400: seed must be an integer >= 0 and <= 4294967295, got Infinity$/,
    );
    expect(() => resolveConfig({ overrides: [{ data: [] }] })).toThrow(/^config: data must be an object, got \[\]$/);
    // Fields that only clash together are named with every source.
    expect(() =>
      resolveConfig({ overrides: [{ grpo: { globalBatchSize: 6 } }], overrideNames: ['--set grpo.globalBatchSize=6'] }),
    ).toThrow(/^config \(--set grpo\.globalBatchSize=6\): grpo\.globalBatchSize must be a multiple/);
    // Over a run's own config: what the flags leave alone stays as the run has it.
    const run = resolveConfig({ overrides: [{ seed: 9, data: { traces: 12 } }] });
    expect(resolveConfig({ base: run, overrides: [{ seed: 9 }] })).toEqual(run);
  });

  it('parses --set values as JSON when they are, as strings otherwise', () => {
    expect(parseAssignments(['a.b=1', 'a.c=true', 'd=hello', 'e.f="2"'])).toEqual({
      a: { b: 1, c: true },
      d: 'hello',
      e: { f: '2' },
    });
    expect(() => parseAssignments(['novalue'])).toThrow(/expected section\.field=value/);
  });
});
