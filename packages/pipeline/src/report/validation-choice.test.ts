import { describe, expect, it } from 'vitest';
import { beats, bestIndex, checkValidationSeeds, type CandidateScore } from './validation-choice.js';

const score = (s: Partial<CandidateScore>): CandidateScore => ({ all: 0.5, depot: 0, probe: 0.02, knowledge: 5, ...s });

describe('validation choice', () => {
  it('pass rates win higher, NLLs lower, and the first differing key decides', () => {
    expect(beats(score({ all: 0.6 }), score({ all: 0.5 }), ['all'])).toBe(true);
    expect(beats(score({ probe: 0.01 }), score({ probe: 0.02 }), ['probe'])).toBe(true);
    expect(beats(score({ knowledge: 5.2 }), score({ knowledge: 5.1 }), ['knowledge'])).toBe(false);
    // depot tied: the knowledge NLL decides, before overall pass@1 is looked at
    expect(
      beats(score({ depot: 0.1, knowledge: 5.0, all: 0.4 }), score({ depot: 0.1, knowledge: 5.3, all: 0.6 }), [
        'depot',
        'knowledge',
        'all',
      ]),
    ).toBe(true);
    // a difference in the last bits of a summed rate is a tie
    expect(beats(score({ all: 0.1 + 0.2 }), score({ all: 0.3 }), ['all'])).toBe(false);
    expect(beats(score({}), score({}), ['all', 'depot', 'probe'])).toBe(false);
  });

  it('bestIndex takes the best, the earliest of full ties', () => {
    const scores = [score({ all: 0.7 }), score({ all: 0.72 }), score({ all: 0.72 }), score({ all: 0.62 })];
    expect(bestIndex(scores, ['all'])).toBe(1);
    expect(bestIndex([score({}), score({})], ['all'])).toBe(0);
    expect(() => bestIndex([], ['all'])).toThrow(/no candidates/);
  });

  it('refuses sweep seeds that are evaluation seeds, repeated, or none', () => {
    expect(() => checkValidationSeeds([100, 101, 102], [0, 1, 2])).not.toThrow();
    expect(() => checkValidationSeeds([0], [0, 1, 2])).toThrow(/0 is also an evaluation seed \(0, 1, 2\)/);
    expect(() => checkValidationSeeds([5, 1, 2], [0, 1, 2])).toThrow(/1, 2 are also evaluation seeds/);
    expect(() => checkValidationSeeds([7, 7], [0])).toThrow(/seed 7 is given twice/);
    expect(() => checkValidationSeeds([], [0])).toThrow(/none given/);
  });
});
