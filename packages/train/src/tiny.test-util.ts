/** A tiny Qwen3 with a LoRA adapter and a next-token task on it, for the Trainer's tests. */
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { crossEntropy, mul, tensor, type Tensor } from '@molrl/tensor';
import type { DataOrder } from './data-order.js';
import type { MicroBatchLoss, StepContext, TrainingTask } from './task.js';

const VOCAB = 24;
const config = qwen3Config({
  vocab_size: VOCAB,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 8,
  tie_word_embeddings: true,
});

export function tinyLora(dropout = 0.1) {
  const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
  return applyLora(model, { r: 4, alpha: 8, dropout, seed: 3 });
}

/** Rows of 6 token ids that follow a learnable rule. */
export function tinyRows(count: number): number[][] {
  return Array.from({ length: count }, (_, i) => Array.from({ length: 6 }, (_, t) => (i * 5 + t * 3) % VOCAB));
}

export interface TinyState {
  note: string;
}

/** Next-token cross-entropy over rows; `poison(step)` multiplies a step's loss by NaN. */
export class NextTokenTask implements TrainingTask<number[][], TinyState> {
  readonly name = 'tiny';
  readonly datasetSize: number;
  restored: (TinyState & Record<string, unknown>) | null = null;
  legacyExamplesSeen?: (state: Record<string, unknown>, file: string) => number;
  disposed = 0;

  constructor(
    readonly lora: ReturnType<typeof tinyLora>,
    readonly rows: number[][],
    readonly options: { microBatchSize: number; globalBatchSize: number; poison?: (step: number) => boolean },
  ) {
    this.datasetSize = rows.length;
  }

  stepsPerEpoch(): number {
    return Math.ceil(this.rows.length / this.options.globalBatchSize);
  }

  batches({ data }: StepContext): number[][][] {
    const picked = data.take(this.options.globalBatchSize).map((i) => this.rows[i]!);
    const out: number[][][] = [];
    for (let i = 0; i < picked.length; i += this.options.microBatchSize)
      out.push(picked.slice(i, i + this.options.microBatchSize));
    return out;
  }

  loss(rows: number[][], { step }: StepContext): MicroBatchLoss {
    const model = this.lora.model;
    const inputs = rows.map((r) => r.slice(0, -1));
    const targets = tensor(Int32Array.from(rows.flatMap((r) => r.slice(1))), [rows.length, inputs[0]!.length]);
    const hidden = model.hiddenSync(inputs);
    const logits = model.module.logits(hidden);
    let loss: Tensor = crossEntropy(logits, targets);
    if (this.options.poison?.(step)) loss = mul(loss, Number.NaN);
    hidden.dispose();
    logits.dispose();
    targets.dispose();
    return { loss, metrics: { double: mul(loss.detach(), 2), rows: rows.length } };
  }

  state({ data }: { data: DataOrder }): TinyState {
    return { note: `seen ${data.examplesSeen}` };
  }

  restore(state: TinyState & Record<string, unknown>): void {
    this.restored = state;
  }

  dispose(): void {
    this.disposed++;
  }
}
