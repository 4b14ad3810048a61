import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '../index.js';
import { binaryReward, multiStageReward } from './reward.js';

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await createSandbox({ workers: 1, pythonStandby: false, limits: { timeoutMs: 30_000 } });
  await sandbox.ready();
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
});

const py = (code: string) => `Let me compute it.\n\`\`\`python\n${code}\n\`\`\``;

describe('multiStageReward', () => {
  it("gives the paper's stage rewards", async () => {
    const options = { sandbox };
    expect(await multiStageReward('The answer is 4.', '4', options)).toMatchObject({
      reward: 0,
      stage: 'no-code',
      record: null,
      reason: 'no code found',
    });
    expect(await multiStageReward(py('print(2 +'), '4', options)).toMatchObject({ reward: 0, stage: 'syntax-error' });
    expect(await multiStageReward(py('print(1 / 0)'), '4', options)).toMatchObject({ reward: 0.1, stage: 'parses' });
    expect(await multiStageReward(py('print(2 + 3)'), '4', options)).toMatchObject({ reward: 0.4, stage: 'executes' });
    const correct = await multiStageReward(py('print(2 + 2)'), '4', options);
    expect(correct).toMatchObject({ reward: 1, stage: 'correct', answer: { text: '4' } });
    expect(correct.record?.status).toBe('ok');
    expect(await multiStageReward(py("open('/etc/passwd').read()"), '4', options)).toMatchObject({
      reward: 0,
      stage: 'forbidden',
    });
  });

  it('counts a timeout as parsing only', async () => {
    const r = await multiStageReward(py('while True:\n    pass'), '4', { sandbox, limits: { timeoutMs: 300 } });
    expect(r).toMatchObject({ reward: 0.1, stage: 'parses' });
    expect(r.record?.status).toBe('timeout');
  }, 180_000);

  it('uses configured weights', async () => {
    const weights = { parses: 0.2, executes: 0.5, correct: 2, forbidden: -1 };
    expect((await multiStageReward(py('print(1 / 0)'), '4', { sandbox, weights })).reward).toBe(0.2);
    expect((await multiStageReward(py('print(4)'), '4', { sandbox, weights })).reward).toBe(2);
    expect((await multiStageReward(py('import os\nos.system("id")'), '4', { sandbox, weights })).reward).toBe(-1);
  });

  it('reads the answer from final_answer, a variable or the last printed line', async () => {
    const code = py("answer = 10\nprint('7')\nprint('debug: done')\nfinal_answer(12)");
    expect((await multiStageReward(code, '12', { sandbox, result: 'final-answer' })).stage).toBe('correct');
    expect((await multiStageReward(code, 'debug: done', { sandbox, result: 'last-line' })).stage).toBe('correct');
    expect(
      (await multiStageReward(py('answer = 10\nprint(3)'), '10', { sandbox, result: 'variable', variable: 'answer' }))
        .stage,
    ).toBe('correct');
    const none = await multiStageReward(py('x = 1'), '1', { sandbox, result: 'final-answer' });
    expect(none).toMatchObject({ stage: 'executes', reward: 0.4, answer: null });
    expect(none.reason).toContain('final_answer() was not called');
  });

  it('compares exactly, numerically, normalized, or with a function', async () => {
    expect((await multiStageReward(py('print(0.1 + 0.2)'), '0.3', { sandbox, compare: 'exact' })).stage).toBe(
      'executes',
    );
    expect((await multiStageReward(py('print(0.1 + 0.2)'), '0.3', { sandbox, compare: 'numeric' })).stage).toBe(
      'correct',
    );
    expect(
      (await multiStageReward(py('print(0.31)'), '0.3', { sandbox, compare: 'numeric', tolerance: { absolute: 0.05 } }))
        .stage,
    ).toBe('correct');
    expect((await multiStageReward(py("print('  PARIS ')"), 'Paris', { sandbox, compare: 'normalized' })).stage).toBe(
      'correct',
    );
    const isEven = (got: { text: string }) => Number(got.text) % 2 === 0;
    expect((await multiStageReward(py('print(8)'), null, { sandbox, compare: isEven })).stage).toBe('correct');
    expect((await multiStageReward(py('print(7)'), null, { sandbox, compare: isEven })).stage).toBe('executes');
  });

  it('does not score near misses of integer and text answers as correct', async () => {
    // Each of these was 'correct' before: the relative tolerance (1e-6 of a
    // million is 1), doubles past 2^53, and whitespace dropped between words.
    const cases: Array<[code: string, expected: string]> = [
      ['final_answer(10**6 + 1)', '1000000'],
      ['final_answer(2**64 + 1)', String(2n ** 64n)],
      ['final_answer(float(10**6) + 0.9)', '1000000'],
      ['final_answer("".join(["world", "hello"]))', 'world hello'],
    ];
    for (const [code, expected] of cases) {
      const r = await multiStageReward(py(code), expected, { sandbox });
      expect(r.stage, code).toBe('executes');
      expect(
        (await binaryReward(`\`\`\`js\nfinal_answer(${JSON.stringify(r.answer!.text)})\n\`\`\``, expected, { sandbox }))
          .reward,
      ).toBe(0);
    }
    // The exact answers still score.
    expect((await multiStageReward(py('final_answer(2**64)'), String(2n ** 64n), { sandbox })).stage).toBe('correct');
    expect(
      (await multiStageReward(py('final_answer(" ".join(["world", "hello"]))'), 'world hello', { sandbox })).stage,
    ).toBe('correct');
  });

  it('scores JavaScript completions', async () => {
    const r = await multiStageReward(
      '```js\nconst n = [1, 2, 3].reduce((a, b) => a + b, 0);\nfinal_answer(n);\n```',
      6,
      { sandbox },
    );
    expect(r).toMatchObject({ reward: 1, stage: 'correct', code: { language: 'javascript' } });
  });

  it('throws for bad configuration only, naming the option', async () => {
    await expect(multiStageReward(py('print(1)'), '1', {} as never)).rejects.toThrow(/`sandbox`/);
    await expect(multiStageReward(py('print(1)'), '1', { sandbox, result: 'variable' })).rejects.toThrow(/`variable`/);
    await expect(multiStageReward(py('print(1)'), '1', { sandbox, compare: 'fuzzy' as never })).rejects.toThrow(
      /`compare`/,
    );
    await expect(multiStageReward(py('print(1)'), '1', { sandbox, weights: { parse: 1 } as never })).rejects.toThrow(
      /`weights\.parse`/,
    );
    await expect(multiStageReward(py('print(1)'), '1', { sandbox, limits: { timeoutMs: -5 } })).rejects.toThrow(
      /`limits\.timeoutMs`/,
    );
    await expect(multiStageReward(py('print(1)'), '1', { sandbox, tolerance: { absolute: -1 } })).rejects.toThrow(
      /`tolerance\.absolute`/,
    );
    // Bad code never throws.
    await expect(multiStageReward(py('raise SystemExit(9)'), '1', { sandbox })).resolves.toMatchObject({
      stage: 'parses',
    });
  });
});

describe('binaryReward', () => {
  it('is 1 only for a correct answer', async () => {
    expect((await binaryReward(py('print(4)'), '4', { sandbox })).reward).toBe(1);
    expect((await binaryReward(py('print(5)'), '4', { sandbox })).reward).toBe(0);
    expect((await binaryReward(py('print(1/0)'), '4', { sandbox })).reward).toBe(0);
    expect((await binaryReward('no code', '4', { sandbox })).reward).toBe(0);
  });
});
