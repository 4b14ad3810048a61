/**
 * A GRPO loss on hand-made rewards: two prompts, four completions each,
 * rewarded with the paper's multi-stage values (0 no code, 0.1 parses, 0.4
 * runs, 1.0 correct). It prints the group-relative advantages under each
 * reward scaling, then the loss, its metrics and the gradient's size for
 * every loss normalisation, with a KL term to a reference policy.
 *
 *   npm start -w @molrl/example-grpo-loss [-- --backend cpu|webgpu|gpujs]
 */
import { parseArgs } from 'node:util';
import { groupAdvantages, grpoLossAsync, GRPO_LOSS_TYPES } from '@molrl/grpo';
import { rand, setBackend, tensor } from '@molrl/tensor';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'cpu' } } });
try {
  await setBackend(values.backend);
} catch (error) {
  throw new Error(`--backend '${values.backend}': ${(error as Error).message}`, { cause: error });
}
console.log(`backend: ${values.backend}`);

const groupSize = 4;
const rewards = [1.0, 0.4, 0.1, 0.0, /* second prompt */ 0.4, 0.4, 1.0, 0.4];
for (const scale of ['group', 'batch', 'none'] as const) {
  const a = groupAdvantages(rewards, groupSize, { scale });
  console.log(`advantages (${scale.padEnd(5)}): ${[...a].map((x) => x.toFixed(3).padStart(6)).join(' ')}`);
}

// Per-token log-probabilities of 8 completions of up to 6 tokens: the policy now,
// the policy that sampled them (a little different: ratios off 1, some clipped),
// and the reference model. Completions end at different lengths (the mask).
const [batch, length] = [rewards.length, 6];
const logps = rand([batch, length], { seed: 1, low: -3, high: -0.1 });
const oldLogps = logps.add(rand([batch, length], { seed: 2, low: -0.4, high: 0.4 }));
const refLogps = logps.add(rand([batch, length], { seed: 3, low: -0.3, high: 0.3 }));
const lengths = [6, 3, 5, 1, 6, 2, 4, 6];
const mask = lengths.map((n) => Array.from({ length }, (_, t) => (t < n ? 1 : 0)));
const advantages = groupAdvantages(rewards, groupSize, { scale: 'group' });

for (const lossType of GRPO_LOSS_TYPES) {
  const policy = tensor(await logps.data(), [batch, length], { requiresGrad: true });
  // The async form reads the metrics on every backend (webgpu reads only asynchronously).
  const { loss, metrics } = await grpoLossAsync({
    logps: policy,
    oldLogps,
    refLogps,
    advantages,
    mask,
    lossType,
    epsilonLow: 0.2,
    epsilonHigh: 0.28,
    beta: 0.04,
    maxCompletionLength: 8,
  });
  loss.backward();
  const grad = await policy.grad!.data();
  const gradNorm = Math.sqrt(grad.reduce((s, g) => s + g * g, 0));
  console.log(
    `${lossType.padEnd(8)} loss ${(await loss.item()).toFixed(5).padStart(9)}  |grad| ${gradNorm.toFixed(5)}  kl ${metrics.kl!.toFixed(5)}  ` +
      `clipped low ${metrics['clip_ratio/low_mean'].toFixed(3)} high ${metrics['clip_ratio/high_mean'].toFixed(3)} region ${metrics['clip_ratio/region_mean'].toFixed(3)}`,
  );
}
