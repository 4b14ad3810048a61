import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { applyLora } from '@molrl/lora';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { crossEntropy, setBackend, tensor } from '@molrl/tensor';
import { Trainer, trainingArgs, type StepContext, type TrainingTask } from './index.js';

it('the README example runs and gives what it says', async () => {
  await setBackend('cpu');
  const config = qwen3Config({
    vocab_size: 32,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
  });
  const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
  const lora = applyLora(model, { r: 4, alpha: 8 });
  const rows = Array.from({ length: 16 }, (_, i) => [i, i + 1, i + 2, i + 3].map((t) => t % 32));
  const task: TrainingTask<number[][]> = {
    name: 'next-token',
    datasetSize: rows.length,
    stepsPerEpoch: () => rows.length / 4,
    batches: ({ data }: StepContext) => {
      const picked = data.take(4).map((i) => rows[i]!);
      return [picked.slice(0, 2), picked.slice(2)];
    },
    loss: (batch) => {
      const targets = tensor(Int32Array.from(batch.flatMap((r) => r.slice(1))), [batch.length, 3]);
      const logits = model.module.logits(model.hiddenSync(batch.map((r) => r.slice(0, -1))));
      return { loss: crossEntropy(logits, targets) };
    },
    state: () => ({}),
    restore: () => {},
  };
  const outputDir = join(mkdtempSync(join(tmpdir(), 'molrl-train-readme-')), 'next-token');
  const trainer = new Trainer({
    args: trainingArgs({ outputDir, learningRate: 1e-2, maxSteps: 8, progress: 'silent' }),
    lora,
    task,
  });
  const { steps, lastCheckpoint } = await trainer.train({ resumeFromCheckpoint: true });
  expect(steps.at(-1)).toMatchObject({ step: 8 });
  expect(Object.keys(steps.at(-1)!).sort()).toEqual(['grad_norm', 'loss', 'lr', 'step']);
  expect(lastCheckpoint).toBe(join(outputDir, 'checkpoint-8'));
  expect(steps.at(-1)!.loss).toBeLessThan(steps[0]!.loss);
});
