/**
 * Reports: per suite pass@1 (the mean over items of correct/samples, i.e.
 * pass@1 averaged over the k runs), unbiased pass@k for every k up to the
 * samples, the no-answer rate, and for MATH the breakdown by subject and
 * level. Rendered as the paper's table (benchmark columns, model rows) in
 * Markdown, and as JSON.
 */
import { writeFileAtomic } from '@molrl/progress';
import type { SamplingProfile } from './generator.js';
import { meanPassAtK } from './pass-at-k.js';
import type { SampleRecord } from './cache.js';
import type { EvalSuite } from './suite.js';

export interface GroupScore {
  items: number;
  pass1: number;
}

export interface SuiteResult {
  suite: string;
  items: number;
  samplesPerItem: number;
  /** Fraction in [0, 1]. */
  pass1: number;
  /** "pass@1", "pass@2", ... up to the samples per item. */
  passAtK: Record<string, number>;
  noAnswerRate: number;
  /** Mean checker score (the multi-stage reward for code tasks). */
  meanScore: number;
  bySubject?: Record<string, GroupScore>;
  byLevel?: Record<string, GroupScore>;
}

export interface EvaluationReport {
  model: string;
  profile: SamplingProfile;
  date: string;
  results: SuiteResult[];
}

function group(entries: Array<{ key: string; n: number; c: number }>): Record<string, GroupScore> {
  const out: Record<string, { items: number; sum: number }> = {};
  for (const e of entries) {
    const g = (out[e.key] ??= { items: 0, sum: 0 });
    g.items++;
    g.sum += e.c / e.n;
  }
  return Object.fromEntries(
    Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
      .map(([k, g]) => [k, { items: g.items, pass1: g.sum / g.items }]),
  );
}

export function buildReport(
  model: string,
  profile: SamplingProfile,
  suites: EvalSuite[],
  records: SampleRecord[],
): EvaluationReport {
  const results: SuiteResult[] = suites.map((suite) => {
    const bySample = new Map<string, SampleRecord[]>();
    for (const r of records) {
      if (r.suite !== suite.name) continue;
      const list = bySample.get(r.item) ?? [];
      list.push(r);
      bySample.set(r.item, list);
    }
    const per = suite.items.map((item) => {
      const rs = (bySample.get(item.id) ?? []).filter((r) => r.sample < suite.samples);
      return {
        item,
        n: rs.length,
        c: rs.filter((r) => r.correct).length,
        noAnswer: rs.filter((r) => r.verdict === 'no-answer').length,
        score: rs.reduce((s, r) => s + r.score, 0),
      };
    });
    const complete = per.filter((p) => p.n > 0);
    const minN = complete.length ? Math.min(...complete.map((p) => p.n)) : 0;
    const passAtK: Record<string, number> = {};
    for (let k = 1; k <= minN; k++) passAtK[`pass@${k}`] = meanPassAtK(complete, k);
    const samples = complete.reduce((s, p) => s + p.n, 0);
    const result: SuiteResult = {
      suite: suite.name,
      items: complete.length,
      samplesPerItem: suite.samples,
      pass1: complete.length ? complete.reduce((s, p) => s + p.c / p.n, 0) / complete.length : 0,
      passAtK,
      noAnswerRate: samples ? complete.reduce((s, p) => s + p.noAnswer, 0) / samples : 0,
      meanScore: samples ? complete.reduce((s, p) => s + p.score, 0) / samples : 0,
    };
    if (complete.some((p) => p.item.subject !== undefined)) {
      result.bySubject = group(
        complete.filter((p) => p.item.subject !== undefined).map((p) => ({ key: p.item.subject!, n: p.n, c: p.c })),
      );
    }
    if (complete.some((p) => p.item.level !== undefined)) {
      result.byLevel = group(
        complete
          .filter((p) => p.item.level !== undefined)
          .map((p) => ({ key: `Level ${p.item.level}`, n: p.n, c: p.c })),
      );
    }
    return result;
  });
  return { model, profile, date: new Date().toISOString(), results };
}

const pct = (x: number) => (100 * x).toFixed(1);

/** The paper's table: one row per model, one column per benchmark (pass@1, %); then MATH breakdowns. */
export function renderMarkdown(reports: EvaluationReport[]): string {
  const columns: string[] = [];
  for (const r of reports) for (const s of r.results) if (!columns.includes(s.suite)) columns.push(s.suite);
  const lines: string[] = [];
  lines.push(`| Model | ${columns.join(' | ')} |`);
  lines.push(`|---|${columns.map(() => '---:').join('|')}|`);
  for (const r of reports) {
    const cells = columns.map((c) => {
      const s = r.results.find((x) => x.suite === c);
      return s && s.items > 0 ? pct(s.pass1) : '–';
    });
    lines.push(`| ${r.model} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    'pass@1 (%), averaged over the samples per problem ' +
      columns
        .map((c) => {
          const s = reports[0]?.results.find((x) => x.suite === c);
          return s ? `${c}: ${s.samplesPerItem}` : '';
        })
        .filter(Boolean)
        .join(', ') +
      '.',
  );
  for (const r of reports) {
    for (const s of r.results) {
      const extra = Object.keys(s.passAtK).filter((k) => k !== 'pass@1');
      if (!s.bySubject && !s.byLevel && extra.length === 0) continue;
      lines.push('', `### ${r.model}: ${s.suite}`, '');
      lines.push(
        `items ${s.items}, samples/item ${s.samplesPerItem}, no answer ${pct(s.noAnswerRate)}%` +
          (extra.length
            ? ', ' +
              Object.entries(s.passAtK)
                .map(([k, v]) => `${k} ${pct(v)}`)
                .join(', ')
            : ''),
      );
      for (const [title, g] of [
        ['Subject', s.bySubject],
        ['Level', s.byLevel],
      ] as const) {
        if (!g) continue;
        lines.push('', `| ${title} | items | pass@1 |`, '|---|---:|---:|');
        for (const [k, v] of Object.entries(g)) lines.push(`| ${k} | ${v.items} | ${pct(v.pass1)} |`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** Write <base>.md and <base>.json atomically; returns both paths. */
export async function writeReport(
  base: string,
  reports: EvaluationReport[],
): Promise<{ markdown: string; json: string }> {
  const markdown = `${base}.md`;
  const json = `${base}.json`;
  await writeFileAtomic(markdown, renderMarkdown(reports));
  await writeFileAtomic(json, JSON.stringify(reports, null, 2) + '\n');
  return { markdown, json };
}
