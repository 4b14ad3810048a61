import { describe, expect, it } from 'vitest';
import { extractCode } from './extract-code.js';

describe('extractCode', () => {
  it('reads fenced python and javascript blocks', () => {
    expect(extractCode('Let me compute.\n```python\nprint(1)\n```\nDone.')).toMatchObject({
      code: 'print(1)\n',
      language: 'python',
      format: 'fenced',
    });
    expect(extractCode('```py\nx = 2\n```')?.language).toBe('python');
    expect(extractCode('```js\nconsole.log(1)\n```')).toMatchObject({
      code: 'console.log(1)\n',
      language: 'javascript',
    });
    expect(extractCode('```javascript\n1\n```')?.language).toBe('javascript');
  });

  it('gives untagged fences the default language and skips other languages', () => {
    expect(extractCode('```\nprint(3)\n```')?.language).toBe('python');
    expect(extractCode('```\nconsole.log(3)\n```', 'javascript')?.language).toBe('javascript');
    expect(extractCode('```bash\nrm -rf /\n```\n```text\nhello\n```')).toBeNull();
  });

  it('reads the smolagents Code: ... <end_code> format, fenced or not', () => {
    const fenced = 'Thought: add them\nCode:\n```py\nresult = 2 + 2\nfinal_answer(result)\n```<end_code>';
    expect(extractCode(fenced)).toMatchObject({ code: 'result = 2 + 2\nfinal_answer(result)\n', format: 'fenced' });
    const bare = 'Thought: add them\nCode:\nresult = 2 + 2\nfinal_answer(result)\n<end_code>';
    expect(extractCode(bare)).toMatchObject({ code: 'result = 2 + 2\nfinal_answer(result)\n', format: 'smolagents' });
  });

  it('reads <code> tags', () => {
    expect(extractCode('<code>print(5)</code>')).toMatchObject({
      code: 'print(5)',
      format: 'code-tag',
      language: 'python',
    });
  });

  it('lets the last block win', () => {
    const text = '```python\nprint("first try")\n```\nOops, fix:\n```python\nprint("second try")\n```';
    expect(extractCode(text)?.code).toBe('print("second try")\n');
    const mixed = '<code>print(1)</code>\nThen:\n```js\nconsole.log(2)\n```';
    expect(extractCode(mixed)).toMatchObject({ code: 'console.log(2)\n', language: 'javascript' });
  });

  it('returns null when there is no code', () => {
    expect(extractCode('The answer is 42.')).toBeNull();
    expect(extractCode('```python\n   \n```')).toBeNull();
    // An unterminated fence (a truncated completion) is not a block.
    expect(extractCode('```python\nprint(1)')).toBeNull();
  });

  it('refuses a completion that is not text and a default language it cannot run', () => {
    expect(() => extractCode(undefined as never)).toThrow('extractCode: completion must be a string, got undefined');
    expect(() => extractCode({ text: '```py\n1\n```' } as never)).toThrow('completion must be a string, got object');
    // An untagged fence was handed out as language 'py', which the sandbox refuses only at the run.
    expect(() => extractCode('```\nprint(1)\n```', 'py' as never)).toThrow(
      /`defaultLanguage`: expected 'python' or 'javascript', got "py"/,
    );
  });
});
