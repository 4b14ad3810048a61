import { describe, expect, it } from 'vitest';
import { fitContext } from './context.js';
import { declaredTools, externalApiUse, DEFAULT_EXTERNAL_API_RULE } from './external-api.js';
import { feedbackShare, mixedBatches, packTraces } from './pack.js';
import { extractCodeBlocks, lastFinalAnswer, parseTrace } from './parse-trace.js';
import { splitEmbeddedObservations } from './messages.js';
import { assignSplits, splitSizes } from './splits.js';
import { histogramBins, histogramSvg, niceTicks } from './svg.js';
import { applyThinkMode, EMPTY_THINK_BLOCK } from './think.js';
import { Rng } from './rng.js';
import { localTrace, requestsTrace, webTrace } from './test-util/fixtures.test-util.js';
import type { LabelledTrace, TokenLabel } from './types.js';

const step = (code: string, feedback = 'Observation:\nExecution logs:\nLast output from code snippet:\nNone') => ({
  decision: '',
  code: [code],
  feedback,
});

describe('external-API rule', () => {
  it('keeps local traces and excludes web tools, network imports and network observations, with reasons', () => {
    expect(externalApiUse(parseTrace(localTrace(1), 0, 'f'))).toEqual({ external: false, reasons: [] });
    const web = externalApiUse(parseTrace(webTrace(), 0, 'f'));
    expect(web.external).toBe(true);
    expect(web.reasons).toContain('step 1: calls web_search()');
    expect(web.reasons.some((r) => r.includes('observation shows network access'))).toBe(true);
    expect(externalApiUse(parseTrace(requestsTrace(), 0, 'f')).reasons).toEqual(['step 1: imports requests']);
  });

  it('each clause on its own', () => {
    const sys = 'Tools:\n- final_answer: answers\n- stock_price: live quotes\ndef weather(city: str) -> str:';
    expect(declaredTools(sys).sort()).toEqual(['final_answer', 'stock_price', 'weather']);
    const v = (code: string, feedback?: string) => externalApiUse({ system: sys, steps: [step(code, feedback)] });
    expect(v('print(stock_price("ACME"))').reasons).toEqual(['step 1: calls non-local tool stock_price()']);
    expect(v('x = weather ("Paris")').external).toBe(true);
    expect(v('from urllib.request import urlopen').reasons).toEqual(['step 1: imports urllib']);
    expect(v('import os, http.client as h').reasons).toEqual(['step 1: imports http']);
    expect(v('import math\nfinal_answer(math.gcd(4, 6))').external).toBe(false);
    expect(v('my_web_search = 3\nprint(my_web_search)').external).toBe(false); // a name, not a call of the tool
    expect(v('obj.web_search(1)').external).toBe(false); // a method of something else
    expect(
      v('print(1)', 'Observation:\nrequests.exceptions.ConnectionError: Max retries exceeded with url: /').external,
    ).toBe(true);
    expect(
      externalApiUse(
        { system: sys, steps: [step('stock_price(1)')] },
        { ...DEFAULT_EXTERNAL_API_RULE, localTools: ['final_answer', 'stock_price', 'weather'] },
      ).external,
    ).toBe(false);
  });
});

describe('parsing', () => {
  it('takes observations stored as user messages as the step feedback', () => {
    const row = localTrace(2);
    row.messages = row.messages
      .filter((m) => m.role !== 'tool-call')
      .map((m) => (m.role === 'tool-response' ? { ...m, role: 'user' } : m));
    const t = parseTrace(row, 0, 'f');
    expect(t.steps).toHaveLength(2);
    expect(t.steps[0]!.feedback).toMatch(/^Observation:\nExecution logs:/);
    expect(t.task).toBe('What is the sum of the squares of 1..12?');
  });
});

describe('observations inside assistant turns', () => {
  it('are split out as tool-response messages, the decisions kept in order', () => {
    const msgs = [
      { role: 'user', content: 'New task:\nx' },
      {
        role: 'assistant',
        content:
          'Thought: a\nCode:\n```py\nprint(1)\n```<end_code>\nObservation:\nExecution logs:\n1\n\nThought: b\nCode:\n```py\nfinal_answer(1)\n```<end_code>\nObservation: 1',
      },
    ];
    expect(splitEmbeddedObservations(msgs)).toEqual([
      msgs[0],
      { role: 'assistant', content: 'Thought: a\nCode:\n```py\nprint(1)\n```<end_code>' },
      { role: 'tool-response', content: 'Observation:\nExecution logs:\n1' },
      { role: 'assistant', content: 'Thought: b\nCode:\n```py\nfinal_answer(1)\n```<end_code>' },
      { role: 'tool-response', content: 'Observation: 1' },
    ]);
    expect(splitEmbeddedObservations([msgs[0]!])).toEqual([msgs[0]]);
  });
});

describe('parsing helpers', () => {
  it('finds code in fences, <code> tags and tool-call arguments, and the final answer', () => {
    expect(extractCodeBlocks('Thought: x\nCode:\n```py\na = 1\n```<end_code>\n```python\nb = 2\n```')).toEqual([
      'a = 1',
      'b = 2',
    ]);
    expect(extractCodeBlocks('<code>print(1)</code>')).toEqual(['print(1)']);
    expect(
      extractCodeBlocks(
        "Calling tools:\n[{'id': 'c', 'function': {'name': 'python_interpreter', 'arguments': 'x = \\'a\\'\\nprint(x)'}}]",
      ),
    ).toEqual(["x = 'a'\nprint(x)"]);
    expect(lastFinalAnswer('final_answer(f(g(1), [2, 3]))\n')).toBe('f(g(1), [2, 3])');
    expect(lastFinalAnswer('print(1)')).toBeNull();
  });
});

describe('think blocks', () => {
  const msgs = [
    { role: 'user', content: 'task' },
    { role: 'assistant', content: '<think>\nlong reasoning\n</think>\n\nThought: go' },
    { role: 'assistant', content: 'Thought: no think here' },
    { role: 'assistant', content: 'Thought: x', reasoning_content: 'hidden' },
    { role: 'tool', content: '<think> not a decision </think>' },
  ];
  it('clear empties existing blocks and reasoning, leaves the rest', () => {
    const out = applyThinkMode(msgs, 'clear');
    expect(out.map((m) => m.content)).toEqual([
      'task',
      EMPTY_THINK_BLOCK + 'Thought: go',
      'Thought: no think here',
      EMPTY_THINK_BLOCK + 'Thought: x',
      '<think> not a decision </think>',
    ]);
    expect(out[3]).not.toHaveProperty('reasoning_content');
  });
  it('a reasoning that closes in a later message is cleared too', () => {
    const split = [
      { role: 'assistant', content: '<think>\nstarts here' },
      { role: 'assistant', content: 'and ends here\n</think>\n\nThought: go' },
    ];
    expect(applyThinkMode(split, 'clear').map((m) => m.content)).toEqual([
      EMPTY_THINK_BLOCK,
      EMPTY_THINK_BLOCK + 'Thought: go',
    ]);
  });

  it('insert-empty gives every decision one empty block', () => {
    const out = applyThinkMode(msgs, 'insert-empty');
    expect(
      out.slice(1, 4).every((m) => m.content.startsWith(EMPTY_THINK_BLOCK) && !m.content.slice(1).includes('<think>')),
    ).toBe(true);
    expect(applyThinkMode(msgs, 'keep')).toBe(msgs);
  });
});

function fake(n: number, pattern: TokenLabel[]): LabelledTrace {
  return {
    ids: Array.from({ length: n }, (_, i) => i + 1),
    labels: Array.from({ length: n }, (_, i) => pattern[i % pattern.length]!),
    emptyThink: new Array(n).fill(false),
  };
}

describe('context policy and packing', () => {
  it('drops or truncates over maxLength', () => {
    const t = fake(10, ['prompt', 'decision', 'feedback']);
    expect(fitContext(t, { maxLength: 10 })).toBe(t);
    expect(fitContext(t, { maxLength: 9 })).toBeNull();
    expect(fitContext(t, { maxLength: 4, overLength: 'truncate' })).toEqual({
      ids: [1, 2, 3, 4],
      labels: ['prompt', 'decision', 'feedback', 'prompt'],
      emptyThink: [false, false, false, false],
    });
    expect(() => fitContext(t, { maxLength: 0 })).toThrow(/maxLength/);
  });

  it('packs into full rows with segment ids and positions restarting per segment', () => {
    const traces = [fake(5, ['decision']), fake(3, ['feedback']), fake(6, ['prompt']), fake(2, ['decision'])];
    const rows = packTraces(traces, { rowLength: 8, padId: 0 });
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.ids).toHaveLength(8);
      for (let i = 0; i < 8; i++) {
        if (row.segmentIds[i] === 0) expect(row.labels[i]).toBe('glue');
        else
          expect(row.positions[i]).toBe(
            i === 0 || row.segmentIds[i - 1] !== row.segmentIds[i] ? 0 : row.positions[i - 1]! + 1,
          );
      }
    }
    // Every trace lands once, whole and in order.
    const placed = rows.flatMap((r) => r.traces).sort();
    expect(placed).toEqual([0, 1, 2, 3]);
    const row = rows.find((r) => r.traces.includes(1))!;
    const seg = row.traces.indexOf(1) + 1;
    expect(row.ids.filter((_, i) => row.segmentIds[i] === seg)).toEqual([1, 2, 3]);
    expect(() => packTraces([fake(9, ['prompt'])], { rowLength: 8, padId: 0 })).toThrow(/traces\[0\]: 9 tokens/);
  });

  it('mixed batches keep the feedback share near the whole set', () => {
    const rows = [
      ...Array.from({ length: 16 }, () => ({ labels: fake(10, ['decision']).labels })),
      ...Array.from({ length: 16 }, () => ({ labels: fake(10, ['feedback']).labels })),
    ];
    const target = feedbackShare(rows);
    expect(target).toBeCloseTo(0.5);
    const batches = mixedBatches(rows, { batchSize: 4, seed: 3 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
    for (const b of batches) expect(feedbackShare(b.map((i) => rows[i]!))).toBeCloseTo(0.5);
    expect(mixedBatches(rows, { batchSize: 4, seed: 3 })).toEqual(batches);
  });
});

describe('splits', () => {
  it('paper sizes when there are enough traces, proportions otherwise', () => {
    expect(splitSizes(5000)).toEqual({ train: 3000, validation: 100, test: 200 });
    expect(splitSizes(330)).toEqual({ train: 300, validation: 10, test: 20 });
    expect(splitSizes(13)).toEqual({ train: 11, validation: 1, test: 1 });
    expect(splitSizes(2)).toEqual({ train: 2, validation: 0, test: 0 });
    expect(splitSizes(10, { validation: 2, test: 3 })).toEqual({ train: 5, validation: 2, test: 3 });
    expect(() => splitSizes(10, { train: 9, validation: 2 })).toThrow(
      'splits: train (9), validation (2) and test (0) need 11 traces, have 10',
    );
    // With train the rest, the message names what the others need, not a negative train.
    expect(() => splitSizes(10, { validation: 6, test: 5 })).toThrow(
      'splits: validation (6) and test (5) need 11 traces, have 10 (train takes the rest)',
    );
    expect(() => splitSizes(10, { valid: 2 } as never)).toThrow(
      "splits: unknown split 'valid' (the splits are train, validation and test)",
    );
  });
  it('assignment is a deterministic partition by seed', () => {
    const a = assignSplits(100, splitSizes(100), 1);
    expect(assignSplits(100, splitSizes(100), 1)).toEqual(a);
    expect(assignSplits(100, splitSizes(100), 2)).not.toEqual(a);
    expect(a.filter((s) => s === 'test')).toHaveLength(6);
    expect(a.filter((s) => s === 'validation')).toHaveLength(3);
    expect(a.filter((s) => s === 'train')).toHaveLength(91);
  });
});

describe('SVG histograms', () => {
  it('bins, ticks and a well-formed picture', () => {
    expect(histogramBins([1, 2, 2, 5], { integerBins: true }).map((b) => b.count)).toEqual([1, 2, 0, 0, 1]);
    expect(histogramBins([0, 10], { bins: 2 }).map((b) => b.count)).toEqual([1, 1]);
    expect(niceTicks(0, 97)).toEqual([0, 20, 40, 60, 80]);
    const svg = histogramSvg([1, 2, 2, 3, 3, 3], { title: 'Turns', xLabel: 'turns', integerBins: true });
    expect(svg.match(/class="bar"/g)).toHaveLength(3);
    expect(svg).toContain('>turns</text>');
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(histogramSvg([], { title: 'empty <x>', xLabel: 'x' })).toContain('empty &lt;x&gt;');
  });
});

describe('argument checks', () => {
  const one = {
    ids: [1, 2, 3],
    labels: ['prompt', 'prompt', 'prompt'] as TokenLabel[],
    emptyThink: [false, false, false],
  };
  it.each([
    [
      'fitContext overLength',
      () => fitContext(one, { maxLength: 2, overLength: 'cut' as never }),
      /overLength: expected 'drop' or 'truncate', got "cut"/,
    ],
    ['packTraces padId', () => packTraces([one], { rowLength: 4, padId: 'x' as never }), /padId: expected a token id/],
    [
      'applyThinkMode mode',
      () => applyThinkMode([{ role: 'assistant', content: 'x' }], 'nope' as never),
      /mode must be 'keep', 'clear' or 'insert-empty'/,
    ],
    [
      'assignSplits sizes',
      () => assignSplits(3, { train: 5, validation: 0, test: 0 }, 0),
      /sizes 5 \+ 0 \+ 0 exceed the 3 items/,
    ],
    ['splitSizes n', () => splitSizes(Number.NaN), /splitSizes: n must be an integer >= 0, got NaN/],
    [
      'histogram values',
      () => histogramSvg([1, Number.NaN], { title: 't', xLabel: 'x' }),
      /values\[1\] is NaN, not a finite number/,
    ],
    ['histogram bins', () => histogramBins([1, 2], { bins: 0 }), /bins must be an integer >= 1, got 0/],
    ['Rng seed', () => new Rng(Number.NaN), /Rng: seed must be a finite number, got NaN/],
    ['externalApiUse', () => externalApiUse(null as never), /externalApiUse: expected a parsed Trace/],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(message);
  });

  it('integer bins over a huge range fall back to regular bins (one bin per value would not fit)', () => {
    const bins = histogramBins([0, 1e9], { integerBins: true, bins: 10 });
    expect(bins).toHaveLength(10);
    expect(bins.reduce((n, b) => n + b.count, 0)).toBe(2);
  });
});
