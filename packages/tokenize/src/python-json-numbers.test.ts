import { describe, expect, it } from 'vitest';
import { applyChatTemplate } from './chat-template.js';
import { pythonFloatRepr, pythonJsonNumbers } from './python-json-numbers.js';
import { Tokenizer } from './tokenizer.js';

describe("Python's numbers in tojson", () => {
  it("writes floats as CPython's repr does", () => {
    // Expected strings: CPython 3.11, [repr(v) for v in values].
    const cases: Array<[number, string]> = [
      [1e-5, '1e-05'],
      [0.00012, '0.00012'],
      [1.5e-7, '1.5e-07'],
      [1e-10, '1e-10'],
      [2.5e-6, '2.5e-06'],
      [-4.5e-5, '-4.5e-05'],
      [123456789.125, '123456789.125'],
      [0.1 + 0.2, '0.30000000000000004'],
      [0.0001, '0.0001'],
      [0.00009999, '9.999e-05'],
      [5e-324, '5e-324'],
      [-0.5, '-0.5'],
      [1e-4 * 1.5, '0.00015000000000000001'],
    ];
    for (const [value, python] of cases) expect(pythonFloatRepr(value), String(value)).toBe(python);
    // Integral values stay as JavaScript writes them (JavaScript cannot tell 1.0 from 1).
    expect(pythonFloatRepr(3)).toBe('3');
  });

  it('rewrites the number tokens of JSON text and nothing inside its strings', () => {
    const js = JSON.stringify({ lr: 1e-5, note: '0.00001 stays', list: [2.5e-6, 3, -4.5e-5], nested: { tol: 1e-7 } });
    // CPython: json.dumps of the same object (separators aside, which the template's tojson sets).
    expect(pythonJsonNumbers(js)).toBe(
      '{"lr":1e-05,"note":"0.00001 stays","list":[2.5e-06,3,-4.5e-05],"nested":{"tol":1e-07}}',
    );
    expect(pythonJsonNumbers('["a\\"1e-7", 1e-7]')).toBe('["a\\"1e-7", 1e-07]');
    expect(() => pythonJsonNumbers(3)).toThrow(/expected the filter's text, got number/);
  });

  it("renders a template's tojson, with and without arguments, as transformers does", () => {
    const config = {
      chat_template:
        '{{ tools[0] | tojson }}|{{ tools[0] | tojson(indent=2) }}|{% for m in messages %}{{ m.content }}{% endfor %}',
    };
    const text = applyChatTemplate(config, [{ role: 'user', content: 'rate 0.00001' }], {
      tools: [{ lr: 1e-5, list: [2.5e-6] }],
    });
    // CPython: json.dumps(tool), json.dumps(tool, indent=2); the message's text is not JSON and is left alone.
    expect(text).toBe(
      '{"lr": 1e-05, "list": [2.5e-06]}|{\n  "lr": 1e-05,\n  "list": [\n    2.5e-06\n  ]\n}|rate 0.00001',
    );
  });

  it("renders Qwen3's tool schema and tool call arguments with Python's numbers", () => {
    const tok = Tokenizer.qwen3();
    const tool = {
      type: 'function',
      function: {
        name: 'train',
        parameters: { type: 'object', properties: { lr: { type: 'number', default: 0.00003 } } },
      },
    };
    const text = tok.applyChatTemplate(
      [
        { role: 'user', content: 'train it' },
        { role: 'assistant', content: '', tool_calls: [{ function: { name: 'train', arguments: { lr: 1e-6 } } }] },
      ],
      { tools: [tool] },
    );
    expect(text).toContain('"default": 3e-05');
    expect(text).toContain('"arguments": {"lr": 1e-06}');
    expect(text).not.toMatch(/0\.00003|1e-6\b/);
  });
});
