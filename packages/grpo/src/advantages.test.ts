import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { groupAdvantages, groupStds, rewardStdMetrics, type RewardScaling } from './advantages.js';

interface AdvantageCase {
  rewards: number[];
  groupSize: number;
  scale: RewardScaling;
  advantages: number[];
  rewardStd: number;
  fracRewardZeroStd: number;
}

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/advantage-cases.json', import.meta.url), 'utf8')) as {
  cases: AdvantageCase[];
};

describe('groupAdvantages against TRL (PyTorch fixtures)', () => {
  for (const c of fixtures.cases) {
    it(`${c.rewards.length} rewards, groups of ${c.groupSize}, scale ${c.scale}`, () => {
      const got = groupAdvantages(Float32Array.from(c.rewards), c.groupSize, { scale: c.scale });
      expect(got).toBeInstanceOf(Float32Array);
      expect(got.length).toBe(c.rewards.length);
      // float32 against TRL's float32: within 5e-6 (TRL's std epsilon, 1e-4, moves them by up to 4e-4).
      c.advantages.forEach((a, i) => expect(got[i]).toBeCloseTo(a, 5));
    });
  }

  for (const c of fixtures.cases) {
    it(`reward_std and frac_reward_zero_std: ${c.rewards.length} rewards, groups of ${c.groupSize}, scale ${c.scale}`, () => {
      const got = rewardStdMetrics(Float32Array.from(c.rewards), c.groupSize, { scale: c.scale });
      expect(got.rewardStd).toBeCloseTo(c.rewardStd, 5);
      expect(got.fracRewardZeroStd).toBeCloseTo(c.fracRewardZeroStd, 6);
    });
  }

  it('with batch scaling, logs the batch std: constant groups in a varied batch are not zero-std', () => {
    // TRL v0.25 logs the std it divides by: the batch's under 'batch', the groups' under 'group' and 'none'.
    const rewards = [1, 1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0, 1, 0.4, 0.1];
    expect(rewardStdMetrics(rewards, 4, { scale: 'batch' }).fracRewardZeroStd).toBe(0);
    expect(rewardStdMetrics(rewards, 4, { scale: 'none' }).fracRewardZeroStd).toBeCloseTo(2 / 3, 12);
    expect(rewardStdMetrics([0.4, 0.4, 0.4, 0.4], 2, { scale: 'batch' })).toEqual({
      rewardStd: 0,
      fracRewardZeroStd: 1,
    });
  });

  it('a group of equal rewards gets zero advantages (not NaN) under every scaling', () => {
    for (const scale of ['group', 'batch', 'none'] as const) {
      expect([...groupAdvantages([1, 1, 1, 1, 0, 1, 0, 1], 4, { scale }).slice(0, 4)]).toEqual([0, 0, 0, 0]);
    }
  });

  it('defaults to per-group scaling', () => {
    expect(groupAdvantages([0, 1, 0, 0], 2)).toEqual(groupAdvantages([0, 1, 0, 0], 2, { scale: 'group' }));
  });

  it('rejects rewards that do not form whole groups or are not finite, naming the problem', () => {
    expect(() => groupAdvantages([1, 2, 3], 2)).toThrow(/3 rewards do not split into groups of 2/);
    expect(() => groupAdvantages([1, Number.NaN], 2)).toThrow(/rewards\[1\] is NaN/);
    expect(() => groupAdvantages([1, 2], 1)).toThrow(/scale 'group' needs groupSize >= 2/);
    expect(() => groupAdvantages([1, 2], 2, { scale: 'max' as RewardScaling })).toThrow(
      /scale must be 'group', 'batch' or 'none'/,
    );
  });

  it('groupStds gives one unbiased std per group', () => {
    const s = groupStds([0, 1, 2, 2], 2);
    expect(s[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s[1]).toBe(0);
  });
});
