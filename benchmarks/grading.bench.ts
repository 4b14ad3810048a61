/**
 * Grading throughput: answers graded per second by @molrl/bench-math's
 * `grade` (extraction + parsing + equivalence), on the 500 MATH-500 gold
 * answers against varied predictions, in four equal shares: the gold boxed in
 * a model-style output, the gold alone, a perturbed (wrong) answer, and prose
 * without an answer. Each gold is parsed afresh every time, as an evaluator
 * grading a new output does.
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/grading.bench.ts [--quick]
 *
 * A second case times runaway outputs (a looping answer phrase, unclosed
 * boxes and math delimiters, huge binomials and factorials, long lists): the
 * grader bounds its work, so each is graded in milliseconds whatever its size.
 *
 * Rows: case "grade-math500", impl "molrl", size 500, unit "answers/s";
 * case "grade-runaway", impl "molrl", size = outputs, unit "ms/answer" (the slowest).
 */
import { loadavg } from 'node:os';
import { Bench } from 'tinybench';
import { grade, loadBuiltin } from '@molrl/bench-math';
import { printTable, row, writeResults } from './lib/results.js';

const quick = process.argv.includes('--quick');

/** A wrong variant of a gold answer: its first digit changed, else another word or sign. */
function perturb(answer: string): string {
  const d = /\d/.exec(answer);
  if (d) return answer.slice(0, d.index) + String((Number(d[0]) + 1) % 10) + answer.slice(d.index + 1);
  if (answer.includes('-')) return answer.replace('-', '+');
  return `${answer} + 1`;
}

const problems = (await loadBuiltin('math500')).problems;
const pairs = problems.map((p, i) => {
  const kind = i % 4;
  const prediction =
    kind === 0
      ? `<think>Let me work it out.</think>Combining the cases above, the result follows.\n\nThe final answer is $\\boxed{${p.answer}}$.`
      : kind === 1
        ? p.answer
        : kind === 2
          ? `So we get $\\boxed{${perturb(p.answer)}}$.`
          : 'I could not finish this problem in time.\nThe approach was to set up the equations first.';
  return {
    gold: p.answer,
    prediction,
    expected: kind === 0 || kind === 1 ? 'correct' : kind === 2 ? 'incorrect' : 'no-answer',
  };
});

// The verdicts must be the expected ones before anything is timed.
const wrong = pairs.filter((x) => grade(x.gold, x.prediction).verdict !== x.expected);
if (wrong.length > 0) {
  for (const w of wrong.slice(0, 10)) console.log(`unexpected verdict: ${JSON.stringify(w)}`);
  throw new Error(`${wrong.length} verdicts differ from the expected ones`);
}

const bench = new Bench({ time: quick ? 500 : 5000, iterations: quick ? 2 : 10, warmupIterations: 1 });
bench.add('grade-math500', () => {
  for (const x of pairs) grade(x.gold, x.prediction);
});
await bench.run();
const result = bench.tasks[0]!.result;
if (result.state !== 'completed') throw new Error(`grade-math500: benchmark ${result.state}`);
const perSecond = pairs.length / (result.latency.p50 / 1000);
console.log(
  `grade-math500: ${perSecond.toFixed(0)} answers/s (median ${result.latency.p50.toFixed(1)} ms per 500, ${result.latency.samplesCount} rounds)`,
);
console.log(
  `load average: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
const runaway = [
  'The final answer is 5. '.repeat(50_000),
  'Answer: 7\n'.repeat(50_000),
  '\\boxed{'.repeat(50_000),
  '\\[ x '.repeat(50_000),
  '$ a '.repeat(50_000),
  'The final answer is ' + '. '.repeat(100_000) + 'x',
  '\\boxed{\\binom{10^9}{5\\cdot10^8}}',
  '\\boxed{2^{2^{2^{2^{10}}}}}',
  '\\boxed{' + '\\binom{9999}{4999}+'.repeat(100) + '1}',
  '\\boxed{' + '400!+'.repeat(350) + '1}',
  '\\boxed{' + Array.from({ length: 300 }, (_, i) => String(299 - i)).join(',') + '}',
];
const slowest: number[] = [];
for (let round = 0; round < (quick ? 1 : 5); round++) {
  let worst = 0;
  for (const output of runaway) {
    const start = performance.now();
    grade('5', output);
    worst = Math.max(worst, performance.now() - start);
  }
  slowest.push(worst);
}
slowest.sort((a, b) => a - b);
const runawayMs = slowest[slowest.length >> 1]!;
console.log(
  `grade-runaway: the slowest of ${runaway.length} runaway outputs takes ${runawayMs.toFixed(1)} ms (median over rounds)`,
);
const rows = [
  row({ case: 'grade-math500', impl: 'molrl', size: pairs.length, value: perSecond, unit: 'answers/s' }),
  row({ case: 'grade-runaway', impl: 'molrl', size: runaway.length, value: runawayMs, unit: 'ms/answer' }),
];
printTable(rows);
if (!quick) console.log(`written to ${writeResults('grading', rows)}`);
