/**
 * The cases of benchmarks/vs-torch, one definition for both sides: the molrl
 * side reads it directly, the PyTorch side receives each case as JSON.
 * Random weights; both sides count tokens the same way (training: every
 * position of the batch; decode: new tokens after the prefill, summed over the batch).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QWEN3_0_6B } from '@molrl/model';
import { DEFAULT_MODEL_DIR } from '@molrl/pipeline';

/** The subset of a Qwen3 config.json both sides build from. */
export interface ModelShape {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  initializer_range: number;
}

export type CaseSpec =
  | {
      kind: 'train';
      name: string;
      config: ModelShape;
      batch: number;
      tokens: number;
      /** LoRA on q/k/v/o/gate/up/down (dropout 0, base frozen); absent: full fine-tune. */
      lora?: { r: number; alpha: number };
    }
  | {
      kind: 'decode';
      name: string;
      config: ModelShape;
      batch: number;
      prompt: number;
      /** Tokens generated per run, the prefill's included (it is not timed). */
      newTokens: number;
      dtype: 'float32' | 'bfloat16';
      /**
       * An unmerged LoRA adapter on q/k/v/o/gate/up/down in float32 over the base
       * (a GRPO rollout; PEFT keeps a bf16 base's adapter in float32, its input cast).
       */
      lora?: { r: number; alpha: number };
    }
  | {
      kind: 'matmul';
      name: string;
      n: number;
      /** The backward's products: A stored transposed (A^T B, weight gradients) or B (A B^T, input gradients). */
      transposeA?: boolean;
      transposeB?: boolean;
    };

/** The embedded default model's shape, read from its config.json so the two cannot drift apart. */
export const DEFAULT_SHAPE: ModelShape = shapeOf(
  JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'config.json'), 'utf8')) as Record<string, unknown>,
);

function shapeOf(config: Record<string, unknown>): ModelShape {
  const field = (name: keyof ModelShape): number => {
    const value = config[name];
    if (typeof value !== 'number') throw new Error(`default-model/config.json: ${name} is not a number`);
    return value;
  };
  return {
    vocab_size: field('vocab_size'),
    hidden_size: field('hidden_size'),
    intermediate_size: field('intermediate_size'),
    num_hidden_layers: field('num_hidden_layers'),
    num_attention_heads: field('num_attention_heads'),
    num_key_value_heads: field('num_key_value_heads'),
    head_dim: field('head_dim'),
    rms_norm_eps: field('rms_norm_eps'),
    rope_theta: field('rope_theta'),
    initializer_range: field('initializer_range'),
  };
}

/** A mid-sized model: hidden 512, 8 layers, vocabulary 8192. */
export const MID_SHAPE: ModelShape = {
  vocab_size: 8192,
  hidden_size: 512,
  intermediate_size: 1536,
  num_hidden_layers: 8,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 64,
  rms_norm_eps: 1e-6,
  rope_theta: 1e6,
  initializer_range: 0.02,
};

/**
 * Qwen3-0.6B's depth (28 layers) at a width where the arithmetic is negligible:
 * decoding it measures what each layer's kernel launches cost the framework.
 */
export const DEEP_NARROW_SHAPE: ModelShape = {
  vocab_size: 256,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 28,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  rms_norm_eps: 1e-6,
  rope_theta: 1e6,
  initializer_range: 0.02,
};

/** Qwen3-0.6B's published shape (config.json of Qwen/Qwen3-0.6B). */
export const QWEN3_0_6B_SHAPE: ModelShape = { ...QWEN3_0_6B, initializer_range: 0.02 };

export function vsTorchCases(quick: boolean): CaseSpec[] {
  const big = quick ? { ...QWEN3_0_6B_SHAPE, num_hidden_layers: 2 } : QWEN3_0_6B_SHAPE;
  return [
    { kind: 'matmul', name: 'matmul-f32', n: 1024 },
    { kind: 'matmul', name: 'matmul-f32-AtB', n: 1024, transposeA: true },
    { kind: 'matmul', name: 'matmul-f32-ABt', n: 1024, transposeB: true },
    { kind: 'train', name: 'train-full-default', config: DEFAULT_SHAPE, batch: 8, tokens: quick ? 64 : 256 },
    {
      kind: 'train',
      name: 'train-lora-r16-mid',
      config: MID_SHAPE,
      batch: 2,
      tokens: quick ? 64 : 512,
      lora: { r: 16, alpha: 32 },
    },
    { kind: 'decode', name: 'decode-mid-b1', config: MID_SHAPE, batch: 1, prompt: 32, newTokens: 33, dtype: 'float32' },
    { kind: 'decode', name: 'decode-mid-b8', config: MID_SHAPE, batch: 8, prompt: 32, newTokens: 33, dtype: 'float32' },
    {
      kind: 'decode',
      name: 'decode-deep-narrow-bf16-b1',
      config: DEEP_NARROW_SHAPE,
      batch: 1,
      prompt: 8,
      newTokens: quick ? 9 : 65,
      dtype: 'bfloat16',
    },
    {
      kind: 'train',
      name: quick ? 'train-lora-r16-qwen3-0.6b-2-layers' : 'train-lora-r16-qwen3-0.6b',
      config: big,
      batch: 1,
      tokens: quick ? 16 : 128,
      lora: { r: 16, alpha: 32 },
    },
    {
      kind: 'decode',
      name: quick ? 'decode-qwen3-0.6b-2-layers-bf16-b1' : 'decode-qwen3-0.6b-bf16-b1',
      config: big,
      batch: 1,
      prompt: 16,
      newTokens: quick ? 3 : 5,
      dtype: 'bfloat16',
    },
    {
      // A GRPO rollout: a group of 8 sequences through the unmerged adapter being trained.
      kind: 'decode',
      name: quick ? 'decode-qwen3-0.6b-2-layers-bf16-lora-r16-b8' : 'decode-qwen3-0.6b-bf16-lora-r16-b8',
      config: big,
      batch: 8,
      prompt: 16,
      newTokens: quick ? 3 : 5,
      dtype: 'bfloat16',
      lora: { r: 16, alpha: 32 },
    },
    {
      // A long rollout's later tokens: each step's attention reads 1024 cached positions per layer.
      kind: 'decode',
      name: quick ? 'decode-qwen3-0.6b-2-layers-bf16-b1-ctx256' : 'decode-qwen3-0.6b-bf16-b1-ctx1024',
      config: big,
      batch: 1,
      prompt: quick ? 256 : 1024,
      newTokens: quick ? 3 : 5,
      dtype: 'bfloat16',
    },
  ];
}
