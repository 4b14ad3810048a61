import { describe, expect, it } from 'vitest';
import { shaderKey, shaderTemplate, uniformStruct } from './shader.js';

describe('shader templates', () => {
  const template = shaderTemplate('shaderTestTemplate', ({ rank }: { rank: number; op?: string }) => ({
    code: `// rank ${rank}`,
  }));

  it('key pipelines by the template name and its parameters, whatever order they were written in', () => {
    expect(shaderKey(template, { rank: 2, op: 'add' })).toBe(shaderKey(template, { op: 'add', rank: 2 }));
    expect(shaderKey(template, { rank: 2, op: 'add' })).not.toBe(shaderKey(template, { rank: 3, op: 'add' }));
    expect(shaderKey(template, { rank: 2 })).toBe('shaderTestTemplate{"rank":2}');
    expect(shaderKey(template, { rank: 2, op: 'a' })).not.toBe(shaderKey(template, { rank: 2, op: 'b' }));
  });

  it('refuse a second template with the same name (it would share pipelines)', () => {
    expect(() => shaderTemplate('shaderTestTemplate', () => ({ code: '' }))).toThrow(
      "shaderTemplate: a template named 'shaderTestTemplate' already exists",
    );
  });

  it('declare their uniforms from a layout', () => {
    expect(
      uniformStruct([
        ['n', 'u32'],
        ['scale', 'f32'],
      ]),
    ).toBe('struct Params {\n  n: u32,\n  scale: f32,\n}\n@group(0) @binding(0) var<uniform> u: Params;\n');
    expect(uniformStruct([])).toBe('');
  });
});
