/**
 * The offline stand-in for an inference server: an OpenAI-compatible chat
 * server (from @molrl/bench-math) that finds the problem in the prompt and
 * answers with its gold answer in a Qwen-style output (think block, then a
 * boxed answer). A set fraction of replies, chosen by the request's seed, are
 * deliberately wrong, so the report shows the grader telling them apart.
 */
import { createHash } from 'node:crypto';
import { startChatServer, type ChatServer, type Problem } from '@molrl/bench-math';

export interface GoldServerOptions {
  /** Fraction of replies that carry the gold answer (default 0.8). */
  accuracy?: number;
}

function unit(s: string): number {
  return parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16) / 0x100000000;
}

export async function startGoldServer(problems: Problem[], options: GoldServerOptions = {}): Promise<ChatServer> {
  const accuracy = options.accuracy ?? 0.8;
  const byText = new Map<string, string>();
  for (const p of problems) byText.set(p.problem, p.answer);
  return startChatServer(
    (body) => {
      const user = [...body.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
      const answer = [...byText.entries()].find(([problem]) => user.startsWith(problem))?.[1];
      if (answer === undefined) return 'I do not know this problem.';
      const right = unit(`${user}\u0000${String(body.seed)}`) < accuracy;
      return {
        reasoning: 'Let me work through the problem step by step.',
        content: `Putting it together, the final answer is $\\boxed{${right ? answer : `${answer}+1`}}$.`,
      };
    },
    { models: ['gold-server'] },
  );
}
