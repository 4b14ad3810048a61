/**
 * Rows in the CodeAgent-Traces schema as smolagents writes its memory: a
 * `messages` list of {role, content} where content is a list of
 * {type: "text", text} parts, roles system / user / assistant / tool-call /
 * tool-response, observations "Observation:\nExecution logs:\n...Last output from
 * code snippet:\n...", errors "Call id: ...\nError:\n...".
 */
const parts = (text: string) => [{ type: 'text', text }];

const SYSTEM_LOCAL = `You are an expert assistant who can solve any task using code blobs.
You only have access to these tools:
- final_answer: Provides a final answer to the given problem.
Now Begin!`;

const SYSTEM_WEB = `You are an expert assistant who can solve any task using code blobs.
You only have access to these tools:
- web_search: Performs a web search for your query then returns a string of the top search results.
- visit_webpage: Visits a webpage at the given url and reads its content as a markdown string.
- final_answer: Provides a final answer to the given problem.
Now Begin!`;

function step(thought: string, code: string, observation: string, callId: string) {
  return [
    { role: 'assistant', content: parts(`Thought: ${thought}\nCode:\n\`\`\`py\n${code}\n\`\`\`<end_code>`) },
    {
      role: 'tool-call',
      content: parts(
        `Calling tools:\n[{'id': '${callId}', 'type': 'function', 'function': {'name': 'python_interpreter', 'arguments': '${code.replace(/\n/g, '\\n').replace(/'/g, "\\'")}'}}]`,
      ),
    },
    { role: 'tool-response', content: parts(observation) },
  ];
}

export function localTrace(i: number) {
  const n = 10 + i;
  return {
    model_id: 'Qwen/Qwen2.5-Coder-32B-Instruct',
    source: 'fixture',
    messages: [
      { role: 'system', content: parts(SYSTEM_LOCAL) },
      { role: 'user', content: parts(`New task:\nWhat is the sum of the squares of 1..${n}?`) },
      ...step(
        'I will compute it in Python.',
        `total = sum(k * k for k in range(1, ${n}))\nprint(total)`,
        `Observation:\nExecution logs:\n${((n - 1) * n * (2 * n - 1)) / 6}\nLast output from code snippet:\nNone`,
        'call_1',
      ),
      ...step(
        'That range stops before n; fix the bound, then answer.',
        `final_answer(sum(k * k for k in range(1, ${n + 1})))`,
        `Observation:\nExecution logs:\nLast output from code snippet:\n${(n * (n + 1) * (2 * n + 1)) / 6}`,
        'call_2',
      ),
    ],
    true_answer: String((n * (n + 1) * (2 * n + 1)) / 6),
  };
}

export function webTrace() {
  return {
    model_id: 'Qwen/Qwen2.5-Coder-32B-Instruct',
    source: 'fixture',
    messages: [
      { role: 'system', content: parts(SYSTEM_WEB) },
      { role: 'user', content: parts('New task:\nWho won the 2018 chess olympiad?') },
      ...step(
        'Search the web.',
        'results = web_search(query="2018 chess olympiad winner")\nprint(results)',
        'Observation:\nExecution logs:\n## Search Results\n[Chess Olympiad 2018](https://example.org)\nLast output from code snippet:\nNone',
        'call_1',
      ),
      ...step(
        'China won.',
        'final_answer("China")',
        'Observation:\nExecution logs:\nLast output from code snippet:\nChina',
        'call_2',
      ),
    ],
    true_answer: 'China',
  };
}

export function requestsTrace() {
  return {
    model_id: 'm',
    source: 'fixture',
    messages: [
      { role: 'system', content: parts(SYSTEM_LOCAL) },
      { role: 'user', content: parts('New task:\nFetch the page size of example.org.') },
      ...step(
        'Use requests.',
        'import requests\nr = requests.get("https://example.org")\nprint(len(r.text))',
        "Call id: call_1\nError:\nCode execution failed at line 'import requests' due to: InterpreterError: Import of requests is not allowed.\nNow let's retry: take care not to repeat previous errors! If you have retried several times, try a completely different approach.\n",
        'call_1',
      ),
    ],
    true_answer: '1256',
  };
}

export function thinkingTrace() {
  return {
    model_id: 'Qwen/Qwen3-8B',
    source: 'fixture',
    messages: [
      { role: 'system', content: parts(SYSTEM_LOCAL) },
      { role: 'user', content: parts('New task:\nWhat is 7 * 6?') },
      {
        role: 'assistant',
        content: parts(
          '<think>\nSeven sixes... 42. Let me just compute.\n</think>\n\nThought: I will compute it.\nCode:\n```py\nfinal_answer(7 * 6)\n```<end_code>',
        ),
      },
      { role: 'tool-response', content: parts('Observation:\nExecution logs:\nLast output from code snippet:\n42') },
    ],
    true_answer: '42',
  };
}

/** Rows that do not parse, with the reason each should be reported with. */
export const BAD_ROWS: Array<{ row: Record<string, unknown>; reason: RegExp }> = [
  { row: { source: 'fixture' }, reason: /missing column "messages"/ },
  { row: { messages: [{ content: parts('x') }] }, reason: /messages\[0\]\.role/ },
  {
    row: {
      messages: [
        { role: 'system', content: parts('s') },
        { role: 'assistant', content: parts('a') },
      ],
    },
    reason: /no user message/,
  },
  {
    row: {
      messages: [
        { role: 'system', content: parts('s') },
        { role: 'user', content: parts('task') },
      ],
    },
    reason: /no decision/,
  },
];
