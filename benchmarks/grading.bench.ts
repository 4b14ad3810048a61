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
 * Rows: case "grade-math500", impl "molrl", size 500, unit "answers/s".
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
const rows = [row({ case: 'grade-math500', impl: 'molrl', size: pairs.length, value: perSecond, unit: 'answers/s' })];
printTable(rows);
if (!quick) console.log(`written to ${writeResults('grading', rows)}`);
