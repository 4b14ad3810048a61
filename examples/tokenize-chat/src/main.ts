/**
 * Tokenize a code-agent conversation with Qwen3's tokenizer (offline) and show
 * which tokens are prompt, decision (assistant), feedback (tool) or template glue.
 *
 *   npm start -w @molrl/example-tokenize-chat
 */
import { Tokenizer } from '@molrl/tokenize';
import { conversation, tools } from './conversation.js';
import { labelChat, type LossKind } from './label-chat.js';

const COLOURS: Record<LossKind, string> = {
  prompt: '\x1b[36m',
  decision: '\x1b[32m',
  feedback: '\x1b[33m',
  template: '\x1b[90m',
};
const colour = process.stdout.isTTY;

const tokenizer = Tokenizer.qwen3();
const chat = labelChat(tokenizer, conversation, tools);

console.log(
  `${chat.ids.length} tokens: ${Object.entries(chat.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')}\n`,
);
let line = '';
chat.ids.forEach((id, i) => {
  const piece = tokenizer.decode([id]);
  line += colour ? `${COLOURS[chat.kinds[i]]}${piece}\x1b[0m` : piece;
});
console.log(
  colour
    ? line
    : chat.kinds.map((k, i) => `${k.padEnd(9)} ${JSON.stringify(tokenizer.decode([chat.ids[i]]))}`).join('\n'),
);
console.log('\ndecision tokens (KL to the base model):');
console.log(JSON.stringify(chat.textOf('decision')));
console.log('\nfeedback tokens (cross-entropy):');
console.log(JSON.stringify(chat.textOf('feedback')));
