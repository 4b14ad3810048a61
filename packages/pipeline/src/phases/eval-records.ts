/**
 * The evaluation phase's files as the report and the ablation read them back:
 * a stage's report.json, tasks.jsonl, probe.json and knowledge.json, each
 * checked field by field, so a damaged or hand-edited file fails with its
 * path (and line) and the field instead of a table cell that silently reads NaN.
 */
import { existsSync } from 'node:fs';
import type { EvaluationReport } from '@molrl/bench-math';
import { readJsonFile } from '../json-file.js';
import { readJsonl } from '../jsonl.js';
import type { Stage } from '../load.js';
import type { ProbeResult } from '../probe.js';
import {
  asRecord,
  checkField,
  isCount,
  isFiniteNumber,
  isFraction,
  isString,
  type JsonRecord,
} from '../record-check.js';
import type { RunFolder } from '../run-folder.js';
import { stageKnowledgePath, stageProbePath, stageReportPath, stageTasksPath, type TaskResult } from './eval.js';

/** One row of a stage's tasks.jsonl, checked (`where`: file:line). */
export function checkTaskResult(value: unknown, where: string): TaskResult {
  const row = asRecord(value, where);
  checkField(row, where, 'id', 'a string', isString);
  checkField(row, where, 'kind', 'a string', isString);
  if (row.library !== undefined) checkField(row, where, 'library', 'a string', isString);
  checkField(row, where, 'correct', 'a fraction in [0, 1]', isFraction);
  checkField(row, where, 'score', 'a finite number', isFiniteNumber);
  return row as unknown as TaskResult;
}

/** A stage's report.json, checked where the tables read it (`where`: the file). */
export function checkEvaluationReport(value: unknown, where: string): EvaluationReport {
  const report = asRecord(value, where, 'an evaluation report');
  checkField(report, where, 'model', 'a string', isString);
  checkField(report, where, 'results', 'an array of suite results', Array.isArray);
  (report.results as unknown[]).forEach((r, i) => {
    const at = `${where}: results[${i}]`;
    const result = asRecord(r, at, 'a suite result');
    checkField(result, at, 'suite', 'a string', isString);
    checkField(result, at, 'items', 'an integer >= 0', isCount);
    checkField(result, at, 'pass1', 'a fraction in [0, 1]', isFraction);
    checkField(result, at, 'meanScore', 'a finite number', isFiniteNumber);
  });
  return report as unknown as EvaluationReport;
}

/** A probe.json (or knowledge.json, whose `ids` name its documents), checked (`where`: the file). */
export function checkProbeResult(value: unknown, where: string, withIds = false): ProbeResult & { ids?: string[] } {
  const probe = asRecord(value, where, 'a probe result');
  checkField(probe, where, 'documents', 'an integer >= 0', isCount);
  checkField(probe, where, 'tokens', 'an integer >= 0', isCount);
  checkField(probe, where, 'nll', 'a finite number', isFiniteNumber);
  const documents = probe.documents as number;
  const perDocument = (v: unknown) => Array.isArray(v) && v.length === documents && v.every(isFiniteNumber);
  checkField(probe, where, 'perDocument', `an array of ${documents} finite numbers (one per document)`, perDocument);
  if (withIds) {
    const ids = (v: unknown) => Array.isArray(v) && v.length === documents && v.every(isString);
    checkField(probe, where, 'ids', `an array of ${documents} strings (one per document)`, ids);
  }
  return probe as JsonRecord as unknown as ProbeResult & { ids?: string[] };
}

/** A stage's report.json, checked; null when the stage has not been evaluated. */
export function readStageReport(run: RunFolder, stage: Stage): EvaluationReport | null {
  const path = stageReportPath(run, stage);
  return existsSync(path) ? checkEvaluationReport(readJsonFile(path), path) : null;
}

/** A stage's per-task results (tasks.jsonl), every row checked; null when there are none. */
export function readTaskResults(run: RunFolder, stage: Stage): TaskResult[] | null {
  const path = stageTasksPath(run, stage);
  return existsSync(path) ? readJsonl(path, checkTaskResult) : null;
}

/** A stage's general-ability probe (probe.json), checked; null when there is none. */
export function readProbe(run: RunFolder, stage: Stage): ProbeResult | null {
  const path = stageProbePath(run, stage);
  return existsSync(path) ? checkProbeResult(readJsonFile(path), path) : null;
}

/** The knowledge probe of a stage: per depot task, the NLL per token of its correct answer. */
export function readKnowledge(run: RunFolder, stage: Stage): (ProbeResult & { ids: string[] }) | null {
  const path = stageKnowledgePath(run, stage);
  return existsSync(path)
    ? (checkProbeResult(readJsonFile(path), path, true) as ProbeResult & { ids: string[] })
    : null;
}
