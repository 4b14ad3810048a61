/**
 * `<outputDir>/completions.jsonl` (config `logCompletions`, TRL's
 * `log_completions`): every sampled completion with its prompt, each reward
 * function's score, the weighted total and the advantage, one JSON object per
 * line, appended as each rollout batch is scored. Like metrics.jsonl it holds
 * only what the run stands behind: on its first write after a (re)start it is
 * cut back to the steps before the one being taken, so a resumed run does not
 * repeat the rows of rollouts its checkpoint did not keep.
 */
import { MetricsWriter, truncateMetricsFile, type MetricRecord } from '@molrl/progress';

/** One completion's line. `rewards/<name>` is null where that function gave no score. */
export interface CompletionRecord extends MetricRecord {
  /** The optimizer step whose rollout batch sampled it (the first of its numIterations steps). */
  step: number;
  /** The prompt as the model saw it (chat messages rendered by the template). */
  prompt: string;
  completion: string;
  /** Tokens up to and including the first EOS (all of them when it never ended), as `completions/mean_length` counts. */
  completion_length: number;
  /** Whether it ended with an EOS token rather than at maxCompletionLength. */
  terminated: boolean;
  /** The weighted sum of the reward functions' scores. */
  reward: number;
  advantage: number;
}

export const COMPLETIONS_FILE = 'completions.jsonl';

export class CompletionLog {
  private readonly writer: MetricsWriter;
  private started = false;

  constructor(readonly path: string) {
    this.writer = new MetricsWriter(path);
  }

  /** Append one rollout batch's rows; the first call of a run first drops rows from `step` on. */
  async write(step: number, rows: readonly CompletionRecord[]): Promise<void> {
    if (!this.started) {
      await truncateMetricsFile(this.path, 'step', step - 1);
      this.started = true;
    }
    for (const row of rows) this.writer.write({ ...row });
  }
}
