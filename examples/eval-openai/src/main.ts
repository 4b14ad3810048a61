/**
 * npm start -w @molrl/example-eval-openai -- [--base-url http://localhost:8000/v1 --model Qwen/Qwen3-8B]
 *   [--api-key KEY] [--no-extensions] [--benchmarks math500,aime24,aime25] [--limit N] [--max-tokens N]
 *   [--concurrency 16] [--out eval-out]
 * Environment: OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_API_KEY. A rerun with the same --out resumes.
 */
import { parseArgs, runEval } from './run-eval.js';

try {
  const { markdown, files } = await runEval(parseArgs(process.argv.slice(2), process.env));
  console.log('\n' + markdown);
  console.log(`report: ${files.markdown}, ${files.json}`);
} catch (err) {
  console.error(`eval-openai: ${(err as Error).message}`);
  process.exitCode = 1;
}
