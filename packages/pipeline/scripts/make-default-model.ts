/**
 * Makes the embedded default model in packages/pipeline/default-model/:
 *  1. a corpus in the environment's language: one-step answers to generated
 *     tasks (the correct `solve` most of the time, one of the task's realistic
 *     mistakes otherwise, as a noisy web corpus would have it), multi-step
 *     agent traces whose actions really ran in the sandbox, and short
 *     extraction chats (a task in, the call `solve(<its input>)` out) that
 *     teach the copying a one-step answer ends with;
 *  2. a byte-level BPE tokenizer trained on it (Qwen-style specials, Qwen3's chat template);
 *  3. a tiny Qwen3 pretrained from scratch on it (plain next-token cross-entropy);
 *  4. config.json, model.safetensors, tokenizer files, generation_config.json
 *     and a README;
 *  5. a check of what it can do: pass@1 on held-out one-step tasks (their own
 *     seeds, not the pipeline's), sampled with the pipeline's evaluation
 *     profile, the code run in the sandbox.
 *
 *   node --import tsx --conditions=@molrl/source scripts/make-default-model.ts [--steps N] [--out DIR] [--seed N]
 *   node --import tsx --conditions=@molrl/source scripts/make-default-model.ts --check DIR   (step 5 only)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { codeAgentSuite, evaluate, modelGenerator } from '@molrl/bench-math';
import { createSandbox } from '@molrl/sandbox-reward';
import { AdamW, clipGradNorm, crossEntropy, setBackend, tensor, warmupCosine } from '@molrl/tensor';
import { QWEN_STYLE_SPECIAL_TOKENS, Tokenizer, trainBpeTokenizer, writeTokenizerFiles } from '@molrl/tokenize';
import { Rng, generateTasks, generateTraces, labelTrace } from '@molrl/trace-dataset';
import { MetricsWriter, startProgress } from '@molrl/progress';
import { compactTrace, oneStepAnswer, oneStepMessages } from '../src/env-text.js';
import { packLmRows, type LmRow } from '../src/pack-text.js';
import { DEFAULT_CONFIG } from '../src/config.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, '..', 'default-model') },
    steps: { type: 'string', default: '1300' },
    seed: { type: 'string', default: '7' },
    tasks: { type: 'string', default: '6000' },
    traces: { type: 'string', default: '48' },
    extractions: { type: 'string', default: '12000' },
    induction: { type: 'string', default: '0.25' },
    'copy-warmup': { type: 'string', default: '250' },
    vocab: { type: 'string', default: '2048' },
    check: { type: 'string' },
    'check-tasks': { type: 'string', default: '64' },
  },
});
const CHECK_SEED = 900_000;

/** pass@1 and mean reward of the model in `dir` on held-out one-step tasks, with the pipeline's sampling profile. */
async function checkModel(
  dir: string,
  count: number,
): Promise<{ tasks: number; pass1: number; meanReward: number; noAnswer: number }> {
  const model = await Qwen3ForCausalLM.fromPretrained(dir);
  const tok = Tokenizer.fromFile(dir);
  const sandbox = await createSandbox({ workers: 2 });
  const e = DEFAULT_CONFIG.eval;
  try {
    const tasks = generateTasks(count, CHECK_SEED);
    const report = await evaluate({
      generator: modelGenerator(model, tok, { batchSize: e.batchSize, maxNewTokens: e.maxTokens }),
      suites: [
        codeAgentSuite(
          tasks.map((t) => ({
            id: t.id,
            prompt: oneStepMessages(t) as Array<{ role: 'system' | 'user'; content: string }>,
            groundTruth: t.answer,
          })),
          sandbox,
        ),
      ],
      profile: {
        temperature: e.temperature,
        topP: e.topP,
        topK: e.topK,
        presencePenalty: e.presencePenalty,
        maxTokens: e.maxTokens,
        thinking: true,
      },
      batchSize: e.batchSize,
      concurrency: 1,
      seed: 0,
      progress: { unit: 'samples' },
    });
    const r = report.results[0]!;
    return { tasks: count, pass1: r.pass1, meanReward: r.meanScore, noAnswer: r.noAnswerRate };
  } finally {
    await sandbox.close();
    model.dispose();
  }
}

await setBackend('cpu');
if (values.check) {
  const result = await checkModel(resolve(values.check), Number(values['check-tasks']));
  console.log(JSON.stringify(result));
  process.exit(0);
}
const outDir = resolve(values.out!);
const steps = Number(values.steps);
const seed = Number(values.seed);
const taskCount = Number(values.tasks);
const traceCount = Number(values.traces);
const extractionCount = Number(values.extractions);
/** The system prompt of the extraction chats: its own, so the model tells them from one-step answers. */
const EXTRACTION_SYSTEM_PROMPT = "Write the call of solve on the task's input.";
const vocabSize = Number(values.vocab);
const ROW = 256;
const BATCH = 8;
const CORRECT_SHARE = 0.6;
const inductionShare = Number(values.induction);
const copyWarmup = Number(values['copy-warmup']);
if (!(copyWarmup >= 0 && copyWarmup < steps))
  throw new Error(`--copy-warmup must be in [0, --steps), got ${values['copy-warmup']}`);

/**
 * A row of random token runs, each repeated once ([a b c ... a b c ...]), with the
 * loss on the repeats only: the quickest way for a small model to learn to copy
 * from its context (induction heads), which a one-step answer needs for the
 * task's input. Positions restart per run.
 */
function repeatedTokensRow(rowSeed: number, vocab: number): LmRow {
  const r = new Rng(rowSeed);
  const ids: number[] = [];
  const positionIds: number[] = [];
  const targets: number[] = [];
  const mask: number[] = [];
  while (ids.length < ROW) {
    const half = Math.min(16 + Math.floor(r.next() * 49), Math.floor((ROW - ids.length) / 2));
    if (half < 4) break;
    const run = Array.from({ length: half }, () => Math.floor(r.next() * vocab));
    const seq = [...run, ...run];
    seq.forEach((id, t) => {
      ids.push(id);
      positionIds.push(t);
      targets.push(t + 1 < seq.length ? seq[t + 1]! : 0);
      mask.push(t >= half && t + 1 < seq.length ? 1 : 0);
    });
  }
  while (ids.length < ROW) {
    ids.push(0);
    positionIds.push(0);
    targets.push(0);
    mask.push(0);
  }
  return { ids, positionIds, targets, mask };
}
const started = performance.now();

// 1. Corpus.
console.log(
  `corpus: ${taskCount} one-step answers, ${traceCount} agent traces (sandbox), ${extractionCount} extraction chats`,
);
const rng = new Rng(seed);
const oneStep = generateTasks(taskCount, 1000 + seed).map((task) => {
  const code = rng.next() < CORRECT_SHARE || task.mistakes.length === 0 ? task.solution : rng.pick(task.mistakes).code;
  return [...oneStepMessages(task), { role: 'assistant', content: oneStepAnswer(task, code) }];
});
const extractions = generateTasks(extractionCount, 5000 + seed).map((task) => [
  { role: 'system', content: EXTRACTION_SYSTEM_PROMPT },
  { role: 'user', content: task.question },
  { role: 'assistant', content: `solve(${task.args})` },
]);
const traces = (await generateTraces({ count: traceCount, seed: 2000 + seed })).map((t) => compactTrace(t.messages));
const rawText = [...oneStep, ...extractions, ...traces].map((messages) =>
  messages.map((m) => `${m.role}\n${String(m.content)}`).join('\n'),
);

// 2. Tokenizer.
const trained = trainBpeTokenizer(rawText, {
  vocabSize,
  specialTokens: QWEN_STYLE_SPECIAL_TOKENS,
  eosToken: '<|im_end|>',
  padToken: '<|endoftext|>',
});
mkdirSync(outDir, { recursive: true });
writeTokenizerFiles(outDir, trained);
const tok = Tokenizer.fromFile(outDir);
const imEnd = tok.tokenToId('<|im_end|>')!;
const endOfText = tok.tokenToId('<|endoftext|>')!;
const sequences = [
  ...[...oneStep, ...extractions].map((m) =>
    tok.encode(tok.applyChatTemplate(m as never), { addSpecialTokens: false }),
  ),
  ...traces.map((m) => labelTrace(m as never, tok).ids),
];
const tokens = sequences.reduce((a, s) => a + s.length, 0);
console.log(
  `tokenizer: ${tok.vocabSize} entries; corpus ${sequences.length} sequences, ${tokens} tokens (${(tokens / sequences.length).toFixed(0)} per sequence)`,
);

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
console.log(
  `model: Qwen3, ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${nParams} parameters; ${steps} steps of ${BATCH} x ${ROW} tokens`,
);
const optimizer = new AdamW(params, { lr: warmupCosine(3e-3, Math.ceil(steps * 0.05), steps), weightDecay: 0.1 });
const order = new Rng(seed + 1).shuffle(sequences.map((_, i) => i));
const textRows = packLmRows(
  order.map((i) => sequences[i]!),
  ROW,
  endOfText,
);
const copyVocab = tok.vocabSize - QWEN_STYLE_SPECIAL_TOKENS.length;
const copyRows = Array.from({ length: Math.round(textRows.length * inductionShare) }, (_, i) =>
  repeatedTokensRow(seed * 1_000_003 + i, copyVocab),
);
const rowOrder = new Rng(seed + 2).shuffle([...textRows, ...copyRows].map((_, i) => i));
const rows = rowOrder.map((i) => (i < textRows.length ? textRows[i]! : copyRows[i - textRows.length]!));
console.log(
  `${copyWarmup} steps on repeated-token rows, then ${textRows.length} packed text rows + ${copyRows.length} repeated-token rows (${(((steps - copyWarmup) * BATCH) / rows.length).toFixed(1)} epochs)`,
);
const metricsPath = join(outDir, '..', '.make-default-model', 'metrics.jsonl');
mkdirSync(dirname(metricsPath), { recursive: true });
writeFileSync(metricsPath, '');
const metrics = new MetricsWriter(metricsPath);
const progress = startProgress('pretrain', steps, { unit: 'steps' });
let lastLoss = Number.NaN;
for (let step = 1; step <= steps; step++) {
  const batch =
    step <= copyWarmup
      ? Array.from({ length: BATCH }, (_, b) =>
          repeatedTokensRow(seed * 1_000_003 + 500_000 + (step - 1) * BATCH + b, copyVocab),
        )
      : Array.from({ length: BATCH }, (_, b) => rows[((step - 1 - copyWarmup) * BATCH + b) % rows.length]!);
  const t0 = performance.now();
  const { logits } = await model.forward(
    batch.map((r) => r.ids),
    { positionIds: batch.map((r) => r.positionIds) },
  );
  const targets = tensor(new Int32Array(batch.flatMap((r) => r.targets)), [BATCH, ROW]);
  const mask = tensor(new Float32Array(batch.flatMap((r) => r.mask)), [BATCH, ROW]);
  const n = batch.reduce((a, r) => a + r.mask.reduce((x, y) => x + y, 0), 0);
  const summed = crossEntropy(logits, targets, { mask, reduction: 'sum' });
  const loss = summed.div(n);
  loss.backward();
  const normTensor = clipGradNorm(params, 1);
  const norm = await normTensor.item();
  optimizer.step();
  optimizer.zeroGrad();
  lastLoss = await loss.item();
  // Every tensor of the step, the intermediate sum too: a live one keeps its graph's activations.
  for (const t of [logits, targets, mask, summed, loss, normTensor]) t.dispose();
  metrics.write({ step, loss: lastLoss, grad_norm: norm, ms: performance.now() - t0 });
  progress.update(step, `loss ${lastLoss.toFixed(3)}`);
}
progress.stop();

// 4. Files.
model.eval();
await model.savePretrained(outDir);
writeFileSync(
  join(outDir, 'generation_config.json'),
  JSON.stringify(
    {
      bos_token_id: endOfText,
      eos_token_id: [imEnd, endOfText],
      pad_token_id: endOfText,
      do_sample: true,
      temperature: 0.6,
      top_p: 0.95,
      top_k: 20,
    },
    null,
    2,
  ) + '\n',
);
const minutes = (performance.now() - started) / 60000;
console.log(`check: ${values['check-tasks']} held-out one-step tasks (seed ${CHECK_SEED})`);
const check = await checkModel(outDir, Number(values['check-tasks']));
console.log(
  `check: pass@1 ${(check.pass1 * 100).toFixed(1)}%, mean reward ${check.meanReward.toFixed(3)}, no answer ${(check.noAnswer * 100).toFixed(1)}%`,
);
writeFileSync(
  join(outDir, 'README.md'),
  `# The embedded default model

A tiny Qwen3-architecture causal LM (${nParams.toLocaleString('en')} parameters: ${config.num_hidden_layers} layers, hidden ${config.hidden_size},
${config.num_attention_heads} heads, ${config.num_key_value_heads} KV heads, head_dim ${config.head_dim}, intermediate ${config.intermediate_size}, tied embeddings)
with its own byte-level BPE tokenizer (${tok.vocabSize} entries, Qwen-style special tokens, Qwen3's chat template),
made by \`scripts/make-default-model.ts\`. It loads in transformers (\`AutoModelForCausalLM.from_pretrained\`, \`AutoTokenizer\`).

How it was made:

- Corpus: ${taskCount} one-step answers to tasks of \`@molrl/trace-dataset\`'s environment (task seed ${1000 + seed}; the
  task's correct \`solve\` in ${CORRECT_SHARE * 100}% of answers, one of its realistic mistakes otherwise); ${extractionCount}
  extraction chats (task seed ${5000 + seed}: the task in, \`solve(<its input>)\` out, under their own system prompt, to
  teach the copying of the input that a one-step answer ends with); and ${traceCount}
  multi-step agent traces whose actions ran in \`@molrl/sandbox-reward\`'s Python sandbox (seed ${2000 + seed},
  compacted as the pipeline feeds them: short system prompt, no \`tool-call\` echoes). ${tokens.toLocaleString('en')} tokens.
- Tokenizer: \`trainBpeTokenizer\` (vocabulary ${vocabSize}) on that text.
- Pretraining: ${steps} AdamW steps (lr 3e-3, warmup 5% + cosine, weight decay 0.1, clip 1.0) of ${BATCH} packed rows x ${ROW} tokens:
  the first ${copyWarmup} on rows of random token runs each repeated once (loss on the repeats: it teaches copying from the
  context), then the text rows with ${Math.round(inductionShare * 100)}% more such rows mixed in;
  next-token cross-entropy; final training loss ${lastLoss.toFixed(3)}; ${minutes.toFixed(1)} minutes on 2 CPU cores.

It is meant to be weak but not hopeless, so MoL and GRPO have something to improve. The check after
pretraining (${check.tasks} held-out one-step tasks, seed ${CHECK_SEED}; the pipeline's sampling profile: temperature
${DEFAULT_CONFIG.eval.temperature}, top-p ${DEFAULT_CONFIG.eval.topP}, top-k ${DEFAULT_CONFIG.eval.topK}, at most ${DEFAULT_CONFIG.eval.maxTokens} new tokens; the code run in the sandbox):
pass@1 ${(check.pass1 * 100).toFixed(1)}%, mean multi-stage reward ${check.meanReward.toFixed(3)}, no answer
${(check.noAnswer * 100).toFixed(1)}%. The tasks the pipeline trains and evaluates on use other seeds than the corpus
and the check.

Remake it (from packages/pipeline):

\`\`\`sh
node --import tsx --conditions=@molrl/source scripts/make-default-model.ts --steps ${steps} --seed ${seed}
\`\`\`

Check a model folder on its own: \`scripts/make-default-model.ts --check DIR\`.
`,
);
console.log(`wrote ${outDir} (loss ${lastLoss.toFixed(3)}, ${minutes.toFixed(1)} min)`);
