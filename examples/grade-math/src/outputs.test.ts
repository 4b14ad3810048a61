import { grade } from '@molrl/bench-math';
import { expect, it } from 'vitest';
import { EXAMPLES } from './outputs.js';

it('every example gets the verdict it is meant to', () => {
  for (const ex of EXAMPLES)
    expect({ gold: ex.gold, verdict: grade(ex.gold, ex.output).verdict }).toEqual({
      gold: ex.gold,
      verdict: ex.expected,
    });
});
