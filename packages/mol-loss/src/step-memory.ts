/**
 * Device memory of one MoL LoRA training step, predicted from the shapes:
 * what `MolTrainer` holds at the high-water mark of a step on a Qwen3 model
 * with gradient checkpointing, a frozen base stored in float32, bfloat16 or
 * float16, a float32 adapter with AdamW state, the precomputed base
 * distribution, and the fused loss walking the vocabulary in chunks.
 *
 * The parts follow the code they count (a census of the tensors alive at
 * each phase's peak, in elements per token where they scale with tokens):
 *
 * - resident: the weights in their storage dtype; the adapter's A and B,
 *   their gradients and AdamW's two moments in float32; the micro-batch's
 *   base-distribution rows ((H + 1) floats per decision token).
 * - checkpoints: each block's input [N, H], kept through the backward.
 * - forward: the block being computed (everything it makes lives until the
 *   block returns); half-precision weights are read as stored by matmul and
 *   the embedding's gather (only the looked-up rows are widened).
 * - loss: the final hidden states, the fused loss's rows and one vocabulary
 *   chunk: logits and two more [rows, chunk] temporaries, the widened head
 *   chunk, the running log-sum-exp and softmax-weighted head rows.
 * - backward: the last block recomputed with its graph (its activations and
 *   the gradients live at its MLP's backward), the incoming gradient.
 *
 * The step's peak is the resident memory, the checkpoints and the largest of
 * the three phases. The optimizer's step (the gradient norm, clipping, AdamW)
 * works one parameter at a time, so it adds at most one parameter's temporaries. Device allocators round buffers up (the webgpu pool by
 * at most 25%) and keep released buffers for reuse; `MolStepMemory` counts
 * logical bytes, what `backend.memory().peakBytes` reports.
 */

import { checkOptionNames, optionNames } from '@molrl/hub-cache';

/** The model shape (the fields of a Qwen3 config.json that decide memory). */
export interface MemoryModelShape {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  tie_word_embeddings: boolean;
}

export interface MolStepMemoryOptions {
  /** Tokens of one micro-batch (batch x sequence length). */
  tokens: number;
  /** Storage dtype of the frozen weights (default 'bfloat16'). */
  weightDtype?: 'float32' | 'bfloat16' | 'float16';
  /** LoRA rank (default 64, the paper's). */
  rank?: number;
  /** Adapted linear layers per block, of q, k, v, o, gate, up, down (default all seven). */
  targets?: readonly LinearName[];
  /**
   * LoRA dropout probability (default 0.05, `MOL_LORA_DEFAULTS`): checked, and no
   * longer a term: the adapter's op makes its mask inside and keeps none of it.
   */
  dropout?: number;
  /** Tokens of the micro-batch that carry a loss (CE or KL); default all but one per sequence: `tokens`. */
  lossTokens?: number;
  /** Decision tokens of the micro-batch (their base-distribution rows are on the device); default a third of `tokens`. */
  decisionTokens?: number;
  /** The fused loss's chunks (defaults 1024 rows, 8192 vocabulary entries, as `MolTrainingConfig`). */
  rowChunk?: number;
  vocabChunk?: number;
}

export type LinearName = 'q' | 'k' | 'v' | 'o' | 'gate' | 'up' | 'down';

/** Bytes, by part; `peak` is the step's high-water mark, `phase` the phase that sets it. */
export interface MolStepMemory {
  weights: number;
  /** Adapter parameters, gradients and AdamW moments (float32). */
  adapter: number;
  /** The micro-batch's precomputed base-distribution rows. */
  baseRows: number;
  /** Saved block inputs (gradient checkpointing). */
  checkpoints: number;
  /** Above resident + checkpoints, at each phase's peak. */
  forward: number;
  loss: number;
  backward: number;
  phase: 'forward' | 'loss' | 'backward';
  peak: number;
}

const ALL_LINEARS: readonly LinearName[] = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
const F32 = 4;

/** The names of `MolStepMemoryOptions` (the typecheck keeps the list complete). */
const STEP_MEMORY_OPTION_NAMES = optionNames<MolStepMemoryOptions>({
  tokens: true,
  weightDtype: true,
  rank: true,
  targets: true,
  dropout: true,
  lossTokens: true,
  decisionTokens: true,
  rowChunk: true,
  vocabChunk: true,
});

const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`molStepMemory: ${name} must be a positive integer, got ${shown(value)}`);
  return value;
}

/** Predict the device memory of one MoL LoRA step (see the module comment). */
export function molStepMemory(shape: MemoryModelShape, options: MolStepMemoryOptions): MolStepMemory {
  if (typeof shape !== 'object' || shape === null)
    throw new TypeError(`molStepMemory: shape must be a Qwen3 config (config.json's fields), got ${shown(shape)}`);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`molStepMemory: options must be an object with tokens, got ${shown(options)}`);
  // A misspelt `dtype` or `r` would predict for the default bfloat16 weights or rank 64.
  checkOptionNames(options, STEP_MEMORY_OPTION_NAMES, 'molStepMemory');
  // Absent is transformers' default (false); "true" or 1 is not a boolean (a string "false" was read as tied).
  if (shape.tie_word_embeddings !== undefined && typeof shape.tie_word_embeddings !== 'boolean')
    throw new Error(
      `molStepMemory: tie_word_embeddings must be true or false, got ${shown(shape.tie_word_embeddings)} (it decides whether the LM head is a second [vocab, hidden] matrix)`,
    );
  const V = positiveInteger('vocab_size', shape.vocab_size);
  const H = positiveInteger('hidden_size', shape.hidden_size);
  const F = positiveInteger('intermediate_size', shape.intermediate_size);
  const L = positiveInteger('num_hidden_layers', shape.num_hidden_layers);
  const heads = positiveInteger('num_attention_heads', shape.num_attention_heads);
  const D = positiveInteger('head_dim', shape.head_dim);
  const QD = heads * D;
  const KD = positiveInteger('num_key_value_heads', shape.num_key_value_heads) * D;
  const N = positiveInteger('tokens', options.tokens);
  const r = positiveInteger('rank', options.rank ?? 64);
  const dtype = options.weightDtype ?? 'bfloat16';
  if (!['float32', 'bfloat16', 'float16'].includes(dtype))
    throw new Error(`molStepMemory: weightDtype must be float32, bfloat16 or float16, got ${String(dtype)}`);
  const wBytes = dtype === 'float32' ? 4 : 2;
  const half = dtype !== 'float32';
  const givenTargets: unknown = options.targets;
  if (givenTargets !== undefined && (!Array.isArray(givenTargets) || givenTargets.length === 0))
    throw new Error(
      `molStepMemory: targets must be a non-empty list of ${ALL_LINEARS.join(', ')}, got ${Array.isArray(givenTargets) ? '[]' : shown(givenTargets)}`,
    );
  const targets = new Set(options.targets ?? ALL_LINEARS);
  for (const t of targets)
    if (!ALL_LINEARS.includes(t)) throw new Error(`molStepMemory: unknown target '${t}' (${ALL_LINEARS.join(', ')})`);
  const dropout = options.dropout ?? 0.05;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    throw new Error(`molStepMemory: dropout must be in [0, 1), got ${shown(dropout)}`);
  const lossRows = Math.min(N, positiveInteger('lossTokens', options.lossTokens ?? N));
  const decisionTokens = options.decisionTokens ?? Math.floor(N / 3);
  // NaN made every byte count NaN; a negative count took memory away.
  if (!Number.isInteger(decisionTokens) || decisionTokens < 0)
    throw new Error(`molStepMemory: decisionTokens must be an integer >= 0, got ${shown(decisionTokens)}`);
  const decisionRows = Math.min(lossRows, decisionTokens);
  const rowChunk = positiveInteger('rowChunk', options.rowChunk ?? 1024);
  const vocabChunk = Math.min(V, positiveInteger('vocabChunk', options.vocabChunk ?? 8192));

  // [in, out] of each linear layer of a block.
  const linears: Record<LinearName, [number, number]> = {
    q: [H, QD],
    k: [H, KD],
    v: [H, KD],
    o: [QD, H],
    gate: [H, F],
    up: [H, F],
    down: [F, H],
  };
  let blockParams = 2 * H + 2 * D; // the four norms' scales
  let adapterParams = 0;
  for (const [inF, outF] of Object.values(linears)) blockParams += inF * outF;
  for (const t of targets) adapterParams += r * (linears[t][0] + linears[t][1]);
  const embedding = V * H;
  const weights = (L * blockParams + embedding * (shape.tie_word_embeddings ? 1 : 2) + H) * wBytes;
  // Parameters, gradients, and AdamW's first and second moments.
  const adapter = 4 * L * adapterParams * F32;
  const baseRows = decisionRows * (H + 1) * F32;
  const checkpoints = L * N * H * F32;

  // Elements per token a linear layer makes: its output. An adapted layer is one
  // loraLinear op: its dropout mask, dropped input and the adapter's products
  // are made and freed inside it (and again in the backward), only its output stays.
  const linear = (name: LinearName): number => linears[name][1];
  // Everything one block's forward makes, per token: the attention norm, q/k/v, the
  // rotated heads of q and k (one fused rmsNormRope output each), v's transpose, the
  // attention output, its log-sum-exp and transpose, o and the residual, the MLP norm,
  // gate, up, their SwiGLU product (one fused output), down and the residual.
  const blockActivations =
    H +
    linear('q') +
    QD +
    linear('k') +
    KD +
    linear('v') +
    KD +
    2 * QD +
    heads +
    linear('o') +
    H +
    H +
    linear('gate') +
    linear('up') +
    F +
    linear('down') +
    H;
  // A half-precision block's linear weights go into matmul as stored; only the four
  // norms' scales are widened per use.
  const widenedBlock = half ? (2 * H + 2 * D) * F32 : 0;
  const forward = N * blockActivations * F32 + widenedBlock + (half ? N * H * wBytes : 0);

  // The fused loss: rows stacked into pieces of at most rowChunk; per piece and
  // vocabulary chunk, the logits and two [rows, chunk] temporaries, the head chunk
  // (a slice and its float32 copy), and about six [rows, H] running values.
  const pieces = Math.max(1, Math.ceil(lossRows / rowChunk));
  const piece = Math.ceil(lossRows / pieces);
  const chunkWork = (3 * piece * vocabChunk + 6 * piece * H) * F32 + vocabChunk * H * (F32 + (half ? wBytes : 0));
  // Outside the chunks: the final norm's input and output, the loss rows' gradients
  // (per piece, then joined), and the decision rows' base rows assembled for the batch.
  const loss = 2 * N * H * F32 + 2 * lossRows * H * F32 + N * (H + 1) * F32 + chunkWork;

  // The last block again, with its graph: its activations, and at the MLP's
  // backward three [N, F] (the product's, gate's and up's, from the fused SwiGLU
  // gradient) and two [N, H] gradients; the gradient of its output.
  const backward = N * (blockActivations + 3 * F + 3 * H) * F32 + widenedBlock;

  const phases = { forward, loss, backward };
  const phase = (Object.keys(phases) as (keyof typeof phases)[]).reduce((a, b) => (phases[b] > phases[a] ? b : a));
  const peak = weights + adapter + baseRows + checkpoints + phases[phase];
  return { weights, adapter, baseRows, checkpoints, forward, loss, backward, phase, peak };
}
