/**
 * Group-relative advantages, as TRL's `GRPOTrainer._generate_and_score_completions`
 * computes them: each reward minus the mean of its group (the G completions of one
 * prompt, laid out contiguously), divided by `std + 1e-4` of its group (`'group'`,
 * TRL's default and the original GRPO), of the whole batch (`'batch'`), or not at
 * all (`'none'`, Dr.GRPO). std is the unbiased one (`torch.std`).
 */
export type RewardScaling = 'group' | 'batch' | 'none';

export interface GroupAdvantagesOptions {
  scale?: RewardScaling;
}

/** TRL adds this to the std before dividing. */
export const ADVANTAGE_STD_EPSILON = 1e-4;

function unbiasedStd(values: ArrayLike<number>, start: number, end: number): number {
  const n = end - start;
  let mean = 0;
  for (let i = start; i < end; i++) mean += values[i]!;
  mean /= n;
  let ss = 0;
  for (let i = start; i < end; i++) ss += (values[i]! - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

function checkRewards(rewards: ArrayLike<number>, groupSize: number, where: string): void {
  if (!Number.isInteger(groupSize) || groupSize < 1)
    throw new Error(`${where}: groupSize must be an integer >= 1, got ${groupSize}`);
  if (rewards.length === 0) throw new Error(`${where}: rewards is empty`);
  if (rewards.length % groupSize !== 0) {
    throw new Error(
      `${where}: ${rewards.length} rewards do not split into groups of ${groupSize} (rewards must be laid out group after group)`,
    );
  }
  for (let i = 0; i < rewards.length; i++) {
    if (!Number.isFinite(rewards[i]))
      throw new Error(`${where}: rewards[${i}] is ${rewards[i]} (rewards must be finite numbers)`);
  }
}

/** `options.scale` (default 'group'), checked. */
function scaleOf(options: GroupAdvantagesOptions, where: string): RewardScaling {
  const scale = options.scale ?? 'group';
  if (scale !== 'group' && scale !== 'batch' && scale !== 'none') {
    throw new Error(`${where}: scale must be 'group', 'batch' or 'none', got ${JSON.stringify(scale)}`);
  }
  return scale;
}

export function groupAdvantages(
  rewards: ArrayLike<number>,
  groupSize: number,
  options: GroupAdvantagesOptions = {},
): Float32Array {
  const scale = scaleOf(options, 'groupAdvantages');
  checkRewards(rewards, groupSize, 'groupAdvantages');
  if (scale === 'group' && groupSize < 2)
    throw new Error(`groupAdvantages: scale 'group' needs groupSize >= 2 (the std of one reward is undefined)`);
  if (scale === 'batch' && rewards.length < 2)
    throw new Error(`groupAdvantages: scale 'batch' needs at least 2 rewards`);
  const n = rewards.length;
  const out = new Float32Array(n);
  const batchStd = scale === 'batch' ? unbiasedStd(rewards, 0, n) : 0;
  for (let g = 0; g < n; g += groupSize) {
    let mean = 0;
    for (let i = g; i < g + groupSize; i++) mean += rewards[i]!;
    mean /= groupSize;
    const divisor =
      scale === 'group'
        ? unbiasedStd(rewards, g, g + groupSize) + ADVANTAGE_STD_EPSILON
        : scale === 'batch'
          ? batchStd + ADVANTAGE_STD_EPSILON
          : 1;
    for (let i = g; i < g + groupSize; i++) out[i] = (rewards[i]! - mean) / divisor;
  }
  return out;
}

/** Per-group reward std (unbiased), one value per group (what `rewardStdMetrics` logs for 'group' and 'none'). */
export function groupStds(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  checkRewards(rewards, groupSize, 'groupStds');
  const out = new Float64Array(rewards.length / groupSize);
  for (let g = 0; g < out.length; g++)
    out[g] = groupSize < 2 ? Number.NaN : unbiasedStd(rewards, g * groupSize, (g + 1) * groupSize);
  return out;
}

/** What TRL logs about the reward spread of a rollout batch. */
export interface RewardStdMetrics {
  /** `reward_std`: the mean of the std the advantages use (or would use). */
  rewardStd: number;
  /** `frac_reward_zero_std`: the share of completions whose std is 0 (`torch.isclose`, atol 1e-8). */
  fracRewardZeroStd: number;
}

/**
 * TRL's (v0.25) `reward_std` and `frac_reward_zero_std` for a rollout batch,
 * taken from the std of `scale` as `groupAdvantages` forms it: the per-group stds
 * for `'group'` and `'none'` (Dr.GRPO still logs them), the one batch std for
 * `'batch'` (then `frac_reward_zero_std` is 0 or 1: the whole batch is constant
 * or not). Per completion means per group here, as groups are the same size.
 */
export function rewardStdMetrics(
  rewards: ArrayLike<number>,
  groupSize: number,
  options: GroupAdvantagesOptions = {},
): RewardStdMetrics {
  const scale = scaleOf(options, 'rewardStdMetrics');
  checkRewards(rewards, groupSize, 'rewardStdMetrics');
  const stds =
    scale === 'batch'
      ? [rewards.length < 2 ? Number.NaN : unbiasedStd(rewards, 0, rewards.length)]
      : [...groupStds(rewards, groupSize)];
  // torch.isclose(std, 0): |std| <= atol (1e-8); a NaN std (one reward) is not close to 0.
  const zero = stds.filter((s) => Math.abs(s) <= 1e-8).length;
  return { rewardStd: stds.reduce((a, b) => a + b, 0) / stds.length, fracRewardZeroStd: zero / stds.length };
}
