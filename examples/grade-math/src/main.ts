/**
 * Grade a handful of model outputs against their gold answers and show what
 * was extracted, how it was read, and the verdict.
 *
 *   npm start -w @molrl/example-grade-math
 */
import { grade } from '@molrl/bench-math';
import { EXAMPLES } from './outputs.js';

let agree = 0;
for (const ex of EXAMPLES) {
  const g = grade(ex.gold, ex.output);
  if (g.verdict === ex.expected) agree++;
  console.log(`${g.verdict === ex.expected ? 'ok  ' : 'DIFF'} ${g.verdict.padEnd(9)} gold ${ex.gold}`);
  console.log(`     extracted: ${g.extracted ?? '(none)'}`);
  console.log(`     read as:   ${g.predictionReadings.join(' | ') || '-'}   (gold: ${g.goldReadings.join(' | ')})`);
  console.log(`     why:       ${ex.why}\n`);
}
console.log(`${agree}/${EXAMPLES.length} verdicts as expected`);
if (agree !== EXAMPLES.length) process.exitCode = 1;
