import { binaryReward, multiStageReward, type Sandbox } from '@molrl/sandbox-reward';
import type { Sample } from './completions.js';

export interface Scored {
  sample: Sample;
  multiStage: number;
  binary: number;
  stage: string;
  status: string;
  reason: string;
  ms: number;
}

/** Score every sample with both rewards, concurrently (the sandbox pool spreads the runs). */
export function scoreSamples(sandbox: Sandbox, samples: readonly Sample[], timeoutMs = 5_000): Promise<Scored[]> {
  return Promise.all(
    samples.map(async (sample) => {
      const options = { sandbox, limits: { timeoutMs } };
      const [multi, binary] = await Promise.all([
        multiStageReward(sample.completion, sample.answer, options),
        binaryReward(sample.completion, sample.answer, options),
      ]);
      return {
        sample,
        multiStage: multi.reward,
        binary: binary.reward,
        stage: multi.stage,
        status: multi.record?.status ?? '-',
        reason: multi.reason,
        ms: multi.record?.ms ?? 0,
      };
    }),
  );
}
