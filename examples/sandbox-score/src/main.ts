/**
 * Score a batch of model outputs with the sandboxed rewards and print one line
 * per output: multi-stage reward, binary reward, the stage reached and why.
 *
 *   npm start -w @molrl/example-sandbox-score
 */
import { createSandbox } from '@molrl/sandbox-reward';
import { SAMPLES } from './completions.js';
import { scoreSamples } from './score-samples.js';

const started = performance.now();
const sandbox = await createSandbox();
try {
  await sandbox.ready();
  console.log(
    `sandbox ready: ${sandbox.workers} workers per language, ${(performance.now() - started).toFixed(0)} ms\n`,
  );
  const scored = await scoreSamples(sandbox, SAMPLES);
  const width = Math.max(...scored.map((s) => s.sample.name.length));
  console.log(`${'sample'.padEnd(width)}  multi  binary  ${'stage'.padEnd(12)}  ${'status'.padEnd(13)}  reason`);
  for (const s of scored) {
    console.log(
      `${s.sample.name.padEnd(width)}  ${s.multiStage.toFixed(1).padStart(5)}  ${String(s.binary).padStart(6)}  ${s.stage.padEnd(12)}  ${s.status.padEnd(13)}  ${s.reason.slice(0, 90)}`,
    );
  }
  const mean = scored.reduce((a, s) => a + s.multiStage, 0) / scored.length;
  console.log(`\nmean multi-stage reward ${mean.toFixed(3)} over ${scored.length} outputs`);
} finally {
  await sandbox.close();
}
// Exit here rather than by running out of work: a GC during Node's teardown that collects one of
// isolated-vm's handles can abort the process once isolated-vm's environment is gone (see the
// sandbox's README, Known limits). The CLI exits the same way.
process.exit(process.exitCode ?? 0);
