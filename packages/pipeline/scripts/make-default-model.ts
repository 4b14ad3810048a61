/**
 * Makes the embedded default model in packages/pipeline/default-model/:
 *  1. a corpus in the environment's language: one-step answers to generated
 *     tasks (the correct `solve` most of the time, one of the task's realistic
 *     mistakes otherwise, as a noisy web corpus would have it) and multi-step
 *     agent traces whose actions really ran in the sandbox;
 *  2. a byte-level BPE tokenizer trained on it (Qwen-style specials, Qwen3's chat template);
 *  3. a tiny Qwen3 pretrained from scratch on it (plain next-token cross-entropy);
 *  4. config.json, model.safetensors, tokenizer files, generation_config.json
 *     and a README.
 *
 *   node --import tsx --conditions=source scripts/make-default-model.ts [--steps N] [--out DIR] [--seed N]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { AdamW, clipGradNorm, crossEntropy, setBackend, tensor, warmupCosine } from '@molrl/tensor';
import { QWEN_STYLE_SPECIAL_TOKENS, Tokenizer, trainBpeTokenizer, writeTokenizerFiles } from '@molrl/tokenize';
import { Rng, generateTasks, generateTraces, labelTrace } from '@molrl/trace-dataset';
import { MetricsWriter, startProgress } from '@molrl/progress';
import { oneStepAnswer, oneStepMessages, withCompactSystemPrompt } from '../src/env-text.js';
import { packLmRows } from '../src/pack-text.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, '..', 'default-model') },
    steps: { type: 'string', default: '200' },
    seed: { type: 'string', default: '7' },
    tasks: { type: 'string', default: '6000' },
    traces: { type: 'string', default: '48' },
    vocab: { type: 'string', default: '2048' },
  },
});
const outDir = resolve(values.out!);
const steps = Number(values.steps);
const seed = Number(values.seed);
const taskCount = Number(values.tasks);
const traceCount = Number(values.traces);
const vocabSize = Number(values.vocab);
const ROW = 256;
const BATCH = 8;
const CORRECT_SHARE = 0.6;
const started = performance.now();

await setBackend('cpu');

// 1. Corpus.
console.log(`corpus: ${taskCount} one-step answers, ${traceCount} agent traces (sandbox)`);
const rng = new Rng(seed);
const oneStep = generateTasks(taskCount, 1000 + seed).map((task) => {
  const code = rng.next() < CORRECT_SHARE || task.mistakes.length === 0 ? task.solution : rng.pick(task.mistakes).code;
  return [...oneStepMessages(task), { role: 'assistant', content: oneStepAnswer(task, code) }];
});
const traces = (await generateTraces({ count: traceCount, seed: 2000 + seed })).map((t) => withCompactSystemPrompt(t.messages));
const rawText = [...oneStep, ...traces].map((messages) => messages.map((m) => `${m.role}\n${String(m.content)}`).join('\n'));

// 2. Tokenizer.
const trained = trainBpeTokenizer(rawText, { vocabSize, specialTokens: QWEN_STYLE_SPECIAL_TOKENS, eosToken: '<|im_end|>', padToken: '<|endoftext|>' });
mkdirSync(outDir, { recursive: true });
writeTokenizerFiles(outDir, trained);
const tok = Tokenizer.fromFile(outDir);
const imEnd = tok.tokenToId('<|im_end|>')!;
const endOfText = tok.tokenToId('<|endoftext|>')!;
const sequences = [
  ...oneStep.map((m) => tok.encode(tok.applyChatTemplate(m as never), { addSpecialTokens: false })),
  ...traces.map((m) => labelTrace(m as never, tok).ids),
];
const tokens = sequences.reduce((a, s) => a + s.length, 0);
console.log(`tokenizer: ${tok.vocabSize} entries; corpus ${sequences.length} sequences, ${tokens} tokens (${(tokens / sequences.length).toFixed(0)} per sequence)`);

// 3. Model.
const config = qwen3Config({
  vocab_size: tok.vocabSize,
  hidden_size: 128,
  intermediate_size: 384,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 32,
  max_position_embeddings: 2048,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  bos_token_id: endOfText,
  eos_token_id: [imEnd, endOfText],
  pad_token_id: endOfText,
});
const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed }));
model.requiresGrad(true).train();
const params = [...model.namedParameters()];
const nParams = params.reduce((a, [, p]) => a + p.size, 0);
console.log(`model: Qwen3, ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${nParams} parameters; ${steps} steps of ${BATCH} x ${ROW} tokens`);
const optimizer = new AdamW(params, { lr: warmupCosine(3e-3, Math.ceil(steps * 0.05), steps), weightDecay: 0.1 });
const order = new Rng(seed + 1).shuffle(sequences.map((_, i) => i));
const rows = packLmRows(
  order.map((i) => sequences[i]!),
  ROW,
  endOfText,
);
console.log(`${rows.length} packed rows (${((steps * BATCH) / rows.length).toFixed(1)} epochs)`);
const metrics = new MetricsWriter(join(outDir, '..', '.make-default-model', 'metrics.jsonl'));
const progress = startProgress('pretrain', steps, { unit: 'steps' });
let lastLoss = Number.NaN;
for (let step = 1; step <= steps; step++) {
  const batch = Array.from({ length: BATCH }, (_, b) => rows[((step - 1) * BATCH + b) % rows.length]!);
  const t0 = performance.now();
  const { logits } = await model.forward(
    batch.map((r) => r.ids),
    { positionIds: batch.map((r) => r.positionIds) },
  );
  const targets = tensor(new Int32Array(batch.flatMap((r) => r.targets)), [BATCH, ROW]);
  const mask = tensor(new Float32Array(batch.flatMap((r) => r.mask)), [BATCH, ROW]);
  const n = batch.reduce((a, r) => a + r.mask.reduce((x, y) => x + y, 0), 0);
  const loss = crossEntropy(logits, targets, { mask, reduction: 'sum' }).div(n);
  loss.backward();
  const norm = await clipGradNorm(params, 1).item();
  optimizer.step();
  optimizer.zeroGrad();
  lastLoss = await loss.item();
  for (const t of [logits, targets, mask, loss]) t.dispose();
  metrics.write({ step, loss: lastLoss, grad_norm: norm, ms: performance.now() - t0 });
  progress.update(step, `loss ${lastLoss.toFixed(3)}`);
}
progress.stop();

// 4. Files.
model.eval();
await model.savePretrained(outDir);
writeFileSync(
  join(outDir, 'generation_config.json'),
  JSON.stringify({ bos_token_id: endOfText, eos_token_id: [imEnd, endOfText], pad_token_id: endOfText, do_sample: true, temperature: 0.6, top_p: 0.95, top_k: 20 }, null, 2) + '\n',
);
const minutes = (performance.now() - started) / 60000;
writeFileSync(
  join(outDir, 'README.md'),
  `# The embedded default model

A tiny Qwen3-architecture causal LM (${nParams.toLocaleString('en')} parameters: ${config.num_hidden_layers} layers, hidden ${config.hidden_size},
${config.num_attention_heads} heads, ${config.num_key_value_heads} KV heads, head_dim ${config.head_dim}, intermediate ${config.intermediate_size}, tied embeddings)
with its own byte-level BPE tokenizer (${tok.vocabSize} entries, Qwen-style special tokens, Qwen3's chat template),
made by \`scripts/make-default-model.ts\`. It loads in transformers (\`AutoModelForCausalLM.from_pretrained\`, \`AutoTokenizer\`).

How it was made:

- Corpus: ${taskCount} one-step answers to tasks of \`@molrl/trace-dataset\`'s environment (task seed ${1000 + seed}; the
  task's correct \`solve\` in ${CORRECT_SHARE * 100}% of answers, one of its realistic mistakes otherwise) and ${traceCount}
  multi-step agent traces whose actions ran in \`@molrl/sandbox-reward\`'s Python sandbox (seed ${2000 + seed},
  compact system prompt). ${tokens.toLocaleString('en')} tokens.
- Tokenizer: \`trainBpeTokenizer\` (vocabulary ${vocabSize}) on that text.
- Pretraining: ${steps} AdamW steps (lr 3e-3, warmup 5% + cosine, weight decay 0.1, clip 1.0) of ${BATCH} packed rows x ${ROW} tokens,
  next-token cross-entropy; final training loss ${lastLoss.toFixed(3)}; ${minutes.toFixed(1)} minutes on a loaded 2-core machine.

It is meant to be weak but not hopeless: it writes the answer format and sometimes a correct program, so MoL and
GRPO have something to improve. The tasks the pipeline evaluates on use other seeds than the corpus.

Remake it (from packages/pipeline):

\`\`\`sh
node --import tsx --conditions=source scripts/make-default-model.ts --steps ${steps} --seed ${seed}
\`\`\`
`,
);
console.log(`wrote ${outDir} (loss ${lastLoss.toFixed(3)}, ${minutes.toFixed(1)} min)`);
