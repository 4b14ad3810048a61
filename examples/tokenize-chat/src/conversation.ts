import type { ChatMessage } from '@molrl/tokenize';

/** A short code-agent trace: task, a decision with a tool call, the environment's feedback, the answer. */
export const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are a code agent. Think, then call python to check your work.' },
  { role: 'user', content: 'What is the sum of the first 100 primes?' },
  {
    role: 'assistant',
    content: 'Let me compute it.',
    reasoning_content: 'I need the first 100 primes; a sieve is enough.',
    tool_calls: [
      {
        type: 'function',
        function: {
          name: 'python',
          arguments: { code: 'from sympy import prime\nprint(sum(prime(k) for k in range(1, 101)))' },
        },
      },
    ],
  },
  { role: 'tool', content: '24133' },
  { role: 'assistant', content: 'The sum of the first 100 primes is 24133.' },
];

export const tools = [
  {
    type: 'function',
    function: {
      name: 'python',
      description: 'Run Python code and return what it prints.',
      parameters: { type: 'object', properties: { code: { type: 'string' } }, required: ['code'] },
    },
  },
];
