/**
 * Makes the embedded default model in packages/pipeline/default-model/:
 *  1. the pretraining corpus in the environment's language (src/pretrain-corpus.ts:
 *     classic one-step answers and agent traces run in the sandbox; nothing of depot);
 *  2. a byte-level BPE tokenizer trained on it (Qwen-style specials, Qwen3's chat template);
 *  3. a small Qwen3 pretrained from scratch on it (next-token cross-entropy), with
 *     a copy curriculum (rows of repeated random token runs) first and mixed in;
 *  4. config.json, model.safetensors (bfloat16), tokenizer files, generation_config.json
 *     and a README;
 *  5. the check: pass@1 on held-out one-step tasks (their own seeds, not the
 *     pipeline's), sampled with the pipeline's evaluation profile, the code run in
 *     the environment's sandbox; and the general-ability probe's held-out loss.
 *
 * It resumes: the tokenized corpus, the tokenizer and a checkpoint (weights, AdamW
 * moments, step) every --save-every steps are kept in --work, each written whole
 * or not at all; the same command started again goes on from the latest checkpoint.
 * Progress on stderr, one JSONL metrics line per step in <work>/metrics.jsonl.
 *
 *   node --import tsx --conditions=@molrl/source scripts/make-default-model.ts [--steps N] [--backend cpu|webgpu] ...
 *   node --import tsx --conditions=@molrl/source scripts/make-default-model.ts --check DIR   (step 5 only)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Qwen3ForCausalLM, SafetensorsFile, qwen3Config, randomWeights, writeSafetensors } from '@molrl/model';
import { evaluate, modelGenerator } from '@molrl/bench-math';
import { AdamW, clipGradNorm, crossEntropy, setBackend, tensor, warmupCosine, type Tensor } from '@molrl/tensor';
import { QWEN_STYLE_SPECIAL_TOKENS, Tokenizer, trainBpeTokenizer, writeTokenizerFiles } from '@molrl/tokenize';
import { ALL_TASK_KINDS, Rng, generateTasks, labelTrace } from '@molrl/trace-dataset';
import { MetricsWriter, readMetrics, startProgress, truncateMetricsFile, writeFileAtomicSync } from '@molrl/progress';
import { createEnvironmentSandbox } from '../src/env-text.js';
import { taskRecord } from '../src/phases/data.js';
import { codeAgentTestSuite } from '../src/phases/eval.js';
import { packLmRows, type LmRow } from '../src/pack-text.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { buildPretrainCorpus, probeDocuments, CORPUS_SEEDS } from '../src/pretrain-corpus.js';
import { heldOutLoss } from '../src/probe.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: join(here, '..', 'default-model') },
    work: { type: 'string', default: join(here, '..', '.make-default-model') },
    backend: { type: 'string', default: 'cpu' },
    steps: { type: 'string', default: '400' },
    seed: { type: 'string', default: '7' },
    tasks: { type: 'string', default: '12000' },
    traces: { type: 'string', default: '64' },
    extractions: { type: 'string', default: '0' },
    'correct-share': { type: 'string', default: '0.45' },
    induction: { type: 'string', default: '0' },
    'copy-warmup': { type: 'string', default: '0' },
    vocab: { type: 'string', default: '2048' },
    layers: { type: 'string', default: '3' },
    hidden: { type: 'string', default: '192' },
    intermediate: { type: 'string', default: '512' },
    heads: { type: 'string', default: '3' },
    'kv-heads': { type: 'string', default: '1' },
    lr: { type: 'string', default: '2.5e-3' },
    batch: { type: 'string', default: '6' },
    row: { type: 'string', default: '512' },
    'save-every': { type: 'string', default: '50' },
    check: { type: 'string' },
    'check-tasks': { type: 'string', default: '95' },
    'probe-documents': { type: 'string', default: '64' },
  },
});
const CHECK_SEED = 900_000;

function intOption(name: keyof typeof values, min: number): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer >= ${min}, got ${values[name]}`);
  return v;
}
function numOption(name: keyof typeof values, min: number, max: number): number {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new Error(`--${name} must be a number in [${min}, ${max}], got ${values[name]}`);
  return v;
}

interface CheckResult {
  tasks: number;
  pass1: number;
  meanReward: number;
  noAnswer: number;
  /** pass@1 on the classic kinds and on the depot kinds. */
  classicPass1: number;
  depotPass1: number;
  /** The general-ability probe: mean NLL per answer token of held-out pretraining-distribution text. */
  probeNll: number;
}

/** pass@1 and mean reward of the model in `dir` on held-out one-step tasks, with the pipeline's sampling profile. */
async function checkModel(dir: string, count: number, probeCount: number): Promise<CheckResult> {
  const model = await Qwen3ForCausalLM.fromPretrained(dir);
  const tok = Tokenizer.fromFile(dir);
  const sandbox = await createEnvironmentSandbox({ workers: 2 });
  const e = DEFAULT_CONFIG.eval;
  try {
    const tasks = generateTasks(count, CHECK_SEED, { kinds: ALL_TASK_KINDS.map((k) => k.name) }).map(taskRecord);
    const report = await evaluate({
      generator: modelGenerator(model, tok, { batchSize: e.batchSize, maxNewTokens: e.maxTokens }),
      suites: [codeAgentTestSuite(tasks, sandbox, 1)],
      profile: {
        temperature: e.temperature,
        topP: e.topP,
        topK: e.topK,
        presencePenalty: e.presencePenalty,
        maxTokens: e.maxTokens,
        thinking: true,
      },
      cachePath: join(dir, '.check-samples.jsonl'),
      batchSize: e.batchSize,
      concurrency: 1,
      seed: 0,
      progress: { unit: 'samples' },
    });
    const samples = readFileSync(join(dir, '.check-samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { item: string; correct: boolean });
    rmSync(join(dir, '.check-samples.jsonl'));
    const correct = new Map(samples.map((s) => [s.item, s.correct]));
    const group = (library: boolean) => {
      const ts = tasks.filter((t) => (t.library !== undefined) === library);
      return ts.filter((t) => correct.get(t.id)).length / Math.max(1, ts.length);
    };
    const probe = await heldOutLoss(model, tok, probeDocuments(probeCount));
    const r = report.results[0]!;
    return {
      tasks: count,
      pass1: r.pass1,
      meanReward: r.meanScore,
      noAnswer: r.noAnswerRate,
      classicPass1: group(false),
      depotPass1: group(true),
      probeNll: probe.nll,
    };
  } finally {
    await sandbox.close();
    model.dispose();
  }
}

await setBackend(values.backend as Parameters<typeof setBackend>[0]);
if (values.check) {
  const result = await checkModel(resolve(values.check), intOption('check-tasks', 1), intOption('probe-documents', 1));
  console.log(JSON.stringify(result));
  process.exit(0);
}

const outDir = resolve(values.out!);
const workDir = resolve(values.work!);
const steps = intOption('steps', 1);
const seed = intOption('seed', 0);
const taskCount = intOption('tasks', 1);
const traceCount = intOption('traces', 0);
const extractionCount = intOption('extractions', 0);
const correctShare = numOption('correct-share', 0, 1);
const inductionShare = numOption('induction', 0, 10);
const copyWarmup = intOption('copy-warmup', 0);
const vocabSize = intOption('vocab', 300);
const ROW = intOption('row', 16);
const BATCH = intOption('batch', 1);
const lr = numOption('lr', 1e-6, 1);
const saveEvery = intOption('save-every', 1);
if (copyWarmup >= steps) throw new Error(`--copy-warmup must be below --steps (${steps}), got ${copyWarmup}`);
const shape = {
  layers: intOption('layers', 1),
  hidden: intOption('hidden', 8),
  intermediate: intOption('intermediate', 8),
  heads: intOption('heads', 1),
  kvHeads: intOption('kv-heads', 1),
};
if (shape.hidden % shape.heads)
  throw new Error(`--hidden (${shape.hidden}) must be a multiple of --heads (${shape.heads})`);
if (shape.heads % shape.kvHeads)
  throw new Error(`--heads (${shape.heads}) must be a multiple of --kv-heads (${shape.kvHeads})`);

// What the work folder was made with: resuming with other options would mix two runs.
const recipe = {
  seed,
  tasks: taskCount,
  traces: traceCount,
  extractions: extractionCount,
  correctShare,
  induction: inductionShare,
  copyWarmup,
  vocab: vocabSize,
  row: ROW,
  batch: BATCH,
  lr,
  steps,
  ...shape,
};
mkdirSync(workDir, { recursive: true });
const recipePath = join(workDir, 'recipe.json');
if (existsSync(recipePath)) {
  const before = JSON.parse(readFileSync(recipePath, 'utf8')) as Record<string, unknown>;
  const changed = Object.keys(recipe).filter(
    (k) => JSON.stringify(before[k]) !== JSON.stringify(recipe[k as keyof typeof recipe]),
  );
  if (changed.length)
    throw new Error(
      `${recipePath}: this work folder was made with other options: ${changed.map((k) => `--${k} ${JSON.stringify(before[k])} (given ${JSON.stringify(recipe[k as keyof typeof recipe])})`).join(', ')}. Use those, or another --work folder.`,
    );
} else writeFileAtomicSync(recipePath, JSON.stringify(recipe, null, 2) + '\n');

const started = performance.now();
const tokDir = join(workDir, 'tokenizer');
const corpusPath = join(workDir, 'corpus.bin');

// 1 and 2. Corpus and tokenizer, made once and kept.
if (!existsSync(corpusPath)) {
  console.log(
    `corpus: ${taskCount} one-step answers, ${extractionCount} extraction chats, ${traceCount} agent traces (sandbox)`,
  );
  const corpus = await buildPretrainCorpus({
    seed,
    oneStep: taskCount,
    extractions: extractionCount,
    traces: traceCount,
    correctShare,
  });
  const chats = [...corpus.oneStep, ...corpus.extractions, ...corpus.traces];
  const rawText = chats.map((messages) => messages.map((m) => `${m.role}\n${m.content}`).join('\n'));
  const trained = trainBpeTokenizer(rawText, {
    vocabSize,
    specialTokens: QWEN_STYLE_SPECIAL_TOKENS,
    eosToken: '<|im_end|>',
    padToken: '<|endoftext|>',
  });
  rmSync(tokDir, { recursive: true, force: true });
  mkdirSync(tokDir, { recursive: true });
  writeTokenizerFiles(tokDir, trained);
  const tok = Tokenizer.fromFile(tokDir);
  const sequences = [
    ...[...corpus.oneStep, ...corpus.extractions].map((m) =>
      tok.encode(tok.applyChatTemplate(m as never), { addSpecialTokens: false }),
    ),
    ...corpus.traces.map((m) => labelTrace(m as never, tok).ids),
  ];
  // corpus.bin: [count, length_0 .. length_{count-1}, ids...] as int32.
  const total = sequences.reduce((a, s) => a + s.length, 0);
  const bin = new Int32Array(1 + sequences.length + total);
  bin[0] = sequences.length;
  let at = 1 + sequences.length;
  sequences.forEach((s, i) => {
    bin[1 + i] = s.length;
    bin.set(s, at);
    at += s.length;
  });
  writeFileAtomicSync(corpusPath, Buffer.from(bin.buffer));
}
const tok = Tokenizer.fromFile(tokDir);
const sequences: number[][] = (() => {
  const buf = readFileSync(corpusPath);
  const bin = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const n = bin[0]!;
  const out: number[][] = [];
  let at = 1 + n;
  for (let i = 0; i < n; i++) {
    const len = bin[1 + i]!;
    out.push(Array.from(bin.subarray(at, at + len)));
    at += len;
  }
  return out;
})();
const imEnd = tok.tokenToId('<|im_end|>')!;
const endOfText = tok.tokenToId('<|endoftext|>')!;
const tokens = sequences.reduce((a, s) => a + s.length, 0);
console.log(
  `tokenizer: ${tok.vocabSize} entries; corpus ${sequences.length} sequences, ${tokens} tokens (${(tokens / sequences.length).toFixed(0)} per sequence)`,
);

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

// 3. Model, rows and the deterministic batch of every step (so a resumed run sees the same data).
const config = qwen3Config({
  vocab_size: tok.vocabSize,
  hidden_size: shape.hidden,
  intermediate_size: shape.intermediate,
  num_hidden_layers: shape.layers,
  num_attention_heads: shape.heads,
  num_key_value_heads: shape.kvHeads,
  head_dim: shape.hidden / shape.heads,
  max_position_embeddings: 2048,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  bos_token_id: endOfText,
  eos_token_id: [imEnd, endOfText],
  pad_token_id: endOfText,
});
const order = new Rng(seed + 1).shuffle(sequences.map((_, i) => i));
const textRows = packLmRows(
  order.map((i) => sequences[i]!),
  ROW,
  endOfText,
);
const copyVocab = tok.vocabSize - QWEN_STYLE_SPECIAL_TOKENS.length;
const copyRowCount = Math.round(textRows.length * inductionShare);
/** Row r of the mixed pool: text rows first, then repeated-token rows (made on demand). */
const poolRow = (r: number): LmRow =>
  r < textRows.length ? textRows[r]! : repeatedTokensRow(seed * 1_000_003 + (r - textRows.length), copyVocab);
const poolSize = textRows.length + copyRowCount;
const epochOrders = new Map<number, number[]>();
/** The pool in a fresh seeded order each epoch. */
function mixedRow(k: number): LmRow {
  const epoch = Math.floor(k / poolSize);
  let perm = epochOrders.get(epoch);
  if (!perm) {
    perm = new Rng(seed + 2 + epoch * 7919).shuffle(Array.from({ length: poolSize }, (_, i) => i));
    epochOrders.set(epoch, perm);
  }
  return poolRow(perm[k % poolSize]!);
}
const batchOf = (step: number): LmRow[] =>
  step <= copyWarmup
    ? Array.from({ length: BATCH }, (_, b) =>
        repeatedTokensRow(seed * 1_000_003 + 500_000_000 + (step - 1) * BATCH + b, copyVocab),
      )
    : Array.from({ length: BATCH }, (_, b) => mixedRow((step - 1 - copyWarmup) * BATCH + b));

const checkpointRe = /^checkpoint-(\d+)$/;
const checkpoints = () =>
  readdirSync(workDir)
    .map((n) => checkpointRe.exec(n))
    .filter((m): m is RegExpExecArray => !!m && existsSync(join(workDir, m[0], 'state.json')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
const latest = checkpoints().at(-1);

let model: Qwen3ForCausalLM;
let startStep = 1;
if (latest !== undefined) {
  model = await Qwen3ForCausalLM.fromPretrained(join(workDir, `checkpoint-${latest}`));
  startStep = latest + 1;
} else model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed }));
model.requiresGrad(true).train();
const params = [...model.namedParameters()];
const nParams = params.reduce((a, [, p]) => a + p.size, 0);
const optimizer = new AdamW(params, { lr: warmupCosine(lr, Math.ceil(steps * 0.05), steps), weightDecay: 0.1 });
if (latest !== undefined) {
  const dir = join(workDir, `checkpoint-${latest}`);
  const file = await SafetensorsFile.open(join(dir, 'optimizer.safetensors'));
  const made: Tensor[] = [];
  const state: Record<string, { m: Tensor; v: Tensor }> = {};
  for (const [name] of params) {
    const m = tensor(await file.readFloat32(`${name}.exp_avg`), file.entry(`${name}.exp_avg`).shape);
    const v = tensor(await file.readFloat32(`${name}.exp_avg_sq`), file.entry(`${name}.exp_avg_sq`).shape);
    made.push(m, v);
    state[name] = { m, v };
  }
  await file.close();
  optimizer.loadStateDict({ step: latest, state });
  for (const t of made) t.dispose();
  console.log(`resumed from ${dir}`);
}
console.log(
  `model: Qwen3, ${config.num_hidden_layers} layers, hidden ${config.hidden_size}, ${nParams} parameters; ${steps} steps of ${BATCH} x ${ROW} tokens; ` +
    `${copyWarmup} steps on repeated-token rows, then ${textRows.length} packed text rows + ${copyRowCount} repeated-token rows (${(((steps - copyWarmup) * BATCH) / poolSize).toFixed(1)} epochs)`,
);

async function saveCheckpoint(step: number, lastLoss: number): Promise<void> {
  const dir = join(workDir, `checkpoint-${step}`);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  await model.savePretrained(tmp, { dtype: 'float32' });
  for (const f of readdirSync(tokDir)) writeFileSync(join(tmp, f), readFileSync(join(tokDir, f)));
  const { state } = optimizer.stateDict();
  await writeSafetensors(
    join(tmp, 'optimizer.safetensors'),
    Object.entries(state).flatMap(([name, { m, v }]) => [
      { name: `${name}.exp_avg`, dtype: 'F32' as const, shape: [...m.shape], data: () => m.data() },
      { name: `${name}.exp_avg_sq`, dtype: 'F32' as const, shape: [...v.shape], data: () => v.data() },
    ]),
  );
  writeFileSync(join(tmp, 'state.json'), JSON.stringify({ step, loss: lastLoss }) + '\n');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  // Keep the last two.
  for (const old of checkpoints().slice(0, -2)) rmSync(join(workDir, `checkpoint-${old}`), { recursive: true });
}

const metricsPath = join(workDir, 'metrics.jsonl');
await truncateMetricsFile(metricsPath, 'step', startStep - 1);
const metrics = new MetricsWriter(metricsPath);
// Counted from this invocation's first step, so the rate and ETA are this run's.
const progress = startProgress(
  startStep > 1 ? `pretrain (resumed at ${startStep - 1})` : 'pretrain',
  steps - startStep + 1,
  {
    unit: 'steps',
  },
);
let lastLoss = Number.NaN;
for (let step = startStep; step <= steps; step++) {
  const batch = batchOf(step);
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
  const stepLr = optimizer.lr;
  optimizer.step();
  optimizer.zeroGrad();
  lastLoss = await loss.item();
  // Every tensor of the step, the intermediate sum too: a live one keeps its graph's activations.
  for (const t of [logits, targets, mask, summed, loss, normTensor]) t.dispose();
  metrics.write({
    step,
    loss: lastLoss,
    grad_norm: norm,
    lr: stepLr,
    copy: step <= copyWarmup ? 1 : 0,
    ms: performance.now() - t0,
  });
  progress.update(step - startStep + 1, `step ${step}, loss ${lastLoss.toFixed(3)}`);
  if (step % saveEvery === 0 || step === steps) await saveCheckpoint(step, lastLoss);
}
progress.stop();
// From the metrics, so a run resumed across invocations reports all of its steps.
const history = readMetrics(metricsPath);
const finalLoss = Number(history.at(-1)?.loss ?? lastLoss);
const stepMinutes = history.reduce((a, r) => a + Number(r.ms ?? 0), 0) / 60000;

// 4. Files.
model.eval();
mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f !== 'README.md') rmSync(join(outDir, f), { recursive: true });
await model.savePretrained(outDir, { dtype: 'bfloat16' });
for (const f of readdirSync(tokDir)) writeFileSync(join(outDir, f), readFileSync(join(tokDir, f)));
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
const checkTasks = intOption('check-tasks', 1);
const probeCount = intOption('probe-documents', 1);
console.log(`check: ${checkTasks} held-out one-step tasks (seed ${CHECK_SEED}), ${probeCount} probe documents`);
const check = await checkModel(outDir, checkTasks, probeCount);
const pct = (v: number) => (100 * v).toFixed(1);
console.log(
  `check: pass@1 ${pct(check.pass1)}% (classic ${pct(check.classicPass1)}%, depot ${pct(check.depotPass1)}%), mean reward ${check.meanReward.toFixed(3)}, no answer ${pct(check.noAnswer)}%, probe NLL ${check.probeNll.toFixed(3)}`,
);
const flags = Object.entries(values)
  .filter(([k]) => !['out', 'work', 'check', 'backend'].includes(k))
  .map(([k, v]) => `--${k} ${String(v)}`)
  .join(' ');
writeFileSync(
  join(outDir, 'README.md'),
  `# The embedded default model

A small Qwen3-architecture causal LM (${nParams.toLocaleString('en')} parameters: ${config.num_hidden_layers} layers, hidden ${config.hidden_size},
${config.num_attention_heads} heads, ${config.num_key_value_heads} KV heads, head_dim ${config.head_dim}, intermediate ${config.intermediate_size}, tied embeddings;
weights stored in bfloat16) with its own byte-level BPE tokenizer (${tok.vocabSize} entries, Qwen-style special tokens,
Qwen3's chat template), made by \`scripts/make-default-model.ts\`. It loads in transformers
(\`AutoModelForCausalLM.from_pretrained\`, \`AutoTokenizer\`).

How it was made:

- Corpus (\`src/pretrain-corpus.ts\`): ${taskCount} one-step answers to classic tasks of \`@molrl/trace-dataset\`'s
  environment (task seed ${CORPUS_SEEDS.oneStep + seed}; the prompt names \`solve\`'s signature, the answer defines it, as the
  pipeline's one-step harness expects; the task's correct \`solve\` in ${correctShare * 100}% of answers, one of its
  realistic mistakes otherwise; nothing of the depot library, whose API the environment's feedback brings)${extractionCount ? `; ${extractionCount} extraction chats (task seed ${CORPUS_SEEDS.extractions + seed}: the task in, \`solve(<its input>)\` out)` : ''}; and ${traceCount}
  multi-step agent traces of classic tasks whose actions ran in \`@molrl/sandbox-reward\`'s Python sandbox (seed
  ${CORPUS_SEEDS.traces + seed}, compacted as the pipeline feeds them). ${tokens.toLocaleString('en')} tokens.
- Tokenizer: \`trainBpeTokenizer\` (vocabulary ${vocabSize}) on that text.
- Pretraining: ${steps} AdamW steps (lr ${lr}, warmup 5% + cosine, weight decay 0.1, clip 1.0) of ${BATCH} packed rows x ${ROW} tokens${
    copyWarmup || inductionShare
      ? `: the first ${copyWarmup} on rows of random token runs each repeated once (loss on the repeats: it teaches copying from the context), then the text rows with ${Math.round(inductionShare * 100)}% more such rows mixed in,`
      : ' of the corpus,'
  } reshuffled each epoch; next-token cross-entropy; final training loss ${finalLoss.toFixed(3)}; ${stepMinutes.toFixed(0)} minutes
  of training steps (backend ${values.backend}) on 2 CPU cores shared with other jobs (load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ')} at the end).

The check after pretraining (${check.tasks} held-out one-step tasks of all kinds, seed ${CHECK_SEED}; the pipeline's
sampling profile: temperature ${DEFAULT_CONFIG.eval.temperature}, top-p ${DEFAULT_CONFIG.eval.topP}, top-k ${DEFAULT_CONFIG.eval.topK}, presence penalty ${DEFAULT_CONFIG.eval.presencePenalty}, at most ${DEFAULT_CONFIG.eval.maxTokens} new
tokens; the code run in the environment's sandbox): pass@1 ${pct(check.pass1)}% (classic kinds ${pct(check.classicPass1)}%, depot kinds
${pct(check.depotPass1)}%), mean multi-stage reward ${check.meanReward.toFixed(3)}, no answer ${pct(check.noAnswer)}%. The
general-ability probe (mean NLL per answer token of ${probeCount} held-out documents of the pretraining distribution):
${check.probeNll.toFixed(3)} nats. The tasks the pipeline trains and evaluates on use other seeds than the corpus
and the check.

Remake it (from packages/pipeline; it resumes from \`.make-default-model/\` when stopped):

\`\`\`sh
node --import tsx --conditions=@molrl/source scripts/make-default-model.ts ${flags}
\`\`\`

Check a model folder on its own: \`scripts/make-default-model.ts --check DIR\`.
`,
);
console.log(`wrote ${outDir} (loss ${finalLoss.toFixed(3)}, ${minutes.toFixed(1)} min)`);
