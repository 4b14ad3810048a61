/** Model outputs to grade, each with its gold answer and the verdict a careful grader gives. */
export interface GradingExample {
  gold: string;
  output: string;
  expected: 'correct' | 'incorrect' | 'no-answer';
  why: string;
}

export const EXAMPLES: GradingExample[] = [
  {
    gold: '\\frac{14}{3}',
    output: 'Adding the areas gives $\\boxed{4\\frac{2}{3}}$.',
    expected: 'correct',
    why: 'mixed number equals the fraction',
  },
  {
    gold: '10,\\!080',
    output: 'There are \\boxed{10080} arrangements.',
    expected: 'correct',
    why: 'thousands separator',
  },
  {
    gold: '(-\\infty, 2) \\cup (3, \\infty)',
    output: '$\\boxed{(3,\\infty)\\cup(-\\infty,2)}$',
    expected: 'correct',
    why: 'union order',
  },
  { gold: '(3,4]', output: 'The set is \\boxed{[3,4]}.', expected: 'incorrect', why: 'closed at 3 instead of open' },
  {
    gold: '\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}',
    output: '\\boxed{\\begin{bmatrix} -\\frac13 \\\\ \\frac23 \\\\ \\frac53 \\end{bmatrix}}',
    expected: 'correct',
    why: 'same vector, other notation',
  },
  {
    gold: '3 \\pm 2 \\sqrt{2}',
    output: 'The roots are $3-2\\sqrt2$ and $3+2\\sqrt2$, so \\boxed{3-2\\sqrt{2}, 3+2\\sqrt{2}}',
    expected: 'correct',
    why: '± is the two roots, in any order',
  },
  {
    gold: 'y = 2x + 3',
    output: 'Final Answer: The final answer is $2x+3$. I hope it is correct.',
    expected: 'correct',
    why: 'right side of the line equation',
  },
  {
    gold: '5x - 7y + 11z + 4 = 0',
    output: '\\boxed{-5x + 7y - 11z - 4 = 0}',
    expected: 'correct',
    why: 'the same plane, equation times -1',
  },
  {
    gold: '\\text{(C)}',
    output: '<think>A or C... it is C.</think> The correct option is **(C)**.\n\n**Answer:** C',
    expected: 'correct',
    why: 'choice letter; the think block is ignored',
  },
  {
    gold: '90^\\circ',
    output: '\\boxed{\\frac{\\pi}{2}}',
    expected: 'incorrect',
    why: 'degrees are not converted to radians',
  },
  {
    gold: '\\frac{\\sqrt{3}}{3}',
    output: 'so the ratio is $\\boxed{\\frac{1}{\\sqrt3}}$',
    expected: 'correct',
    why: 'rationalised or not, the same number',
  },
  {
    gold: '\\frac{1}{3}',
    output: '\\boxed{0.333}',
    expected: 'incorrect',
    why: 'a rounded decimal is not the exact value',
  },
  {
    gold: '42',
    output: '<think>The answer is \\boxed{42}, let me double check',
    expected: 'no-answer',
    why: 'the output stops inside its think block',
  },
];
