import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyLora } from '@molrl/lora';
import { QWEN3_0_6B, Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { setBackend, tensor } from '@molrl/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import { baseDistribution } from './base-distribution.js';
import { fusedMolLoss } from './fused-mol-loss.js';
import { molLoss } from './mol-loss.js';
import { planRows, type TokenLabel } from './row-plan.js';
import { molStepMemory } from './step-memory.js';
import { checkRow, makeMicroBatch, type TrainingRow } from './trainer/batch.js';
import { stepRows, stepsPerEpoch } from './trainer/data-order.js';
import { MolTrainer, readTrainerState, trainMol } from './trainer/trainer.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const LABELS: TokenLabel[] = ['prompt', 'decision', 'feedback', 'decision'];
const N = LABELS.length;
const V = 5;
const H = 3;
const TARGETS = [0, 1, 2, 3];
const logits = () =>
  tensor(
    Float32Array.from({ length: N * V }, (_, i) => Math.sin(i)),
    [N, V],
  );
const hidden = () =>
  tensor(
    Float32Array.from({ length: N * H }, (_, i) => Math.cos(i)),
    [N, H],
  );
const head = () =>
  tensor(
    Float32Array.from({ length: V * H }, (_, i) => Math.sin(3 * i)),
    [V, H],
  );

describe('the loss functions refuse bad options, naming them', () => {
  it('molLoss and fusedMolLoss: an unknown option is named with the one it most likely meant', () => {
    const common = { targets: TARGETS, labels: LABELS, mode: 'ce' as const };
    // kl_weight once trained with klWeight 1, normalisation with 'separate'.
    expect(() => molLoss({ ...common, logits: logits(), kl_weight: 0.1 } as never)).toThrow(
      /^molLoss: unknown option 'kl_weight' \(did you mean 'klWeight'\?\); known: targets, labels, .*, logits, baseLogits$/,
    );
    expect(() => molLoss({ ...common, logits: logits(), normalisation: 'token' } as never)).toThrow(
      "molLoss: unknown option 'normalisation' (did you mean 'normalization'?)",
    );
    expect(() =>
      fusedMolLoss({ ...common, hidden: hidden(), lmHeadWeight: head(), sequenceId: [0, 0, 0, 0] } as never),
    ).toThrow("fusedMolLoss: unknown option 'sequenceId' (did you mean 'sequenceIds'?)");
    expect(() => molLoss(undefined as never)).toThrow('molLoss: expected an options object, got undefined');
    expect(() => molLoss({ logits: logits(), targets: TARGETS } as never)).toThrow(
      'molLoss: labels must be an array of token labels (one per row), got undefined',
    );
  });

  it('fusedMolLoss and molLoss: a missing or non-tensor hidden, head or base is named', () => {
    const common = { targets: TARGETS, labels: LABELS };
    expect(() => fusedMolLoss({ ...common, hidden: hidden() } as never)).toThrow(
      'fusedMolLoss: lmHeadWeight must be a @molrl/tensor Tensor, got undefined',
    );
    expect(() => fusedMolLoss({ ...common, hidden: [[1, 2, 3]], lmHeadWeight: head() } as never)).toThrow(
      'fusedMolLoss: hidden must be a @molrl/tensor Tensor, got an array',
    );
    expect(() =>
      fusedMolLoss({ ...common, hidden: hidden(), lmHeadWeight: head(), baseHidden: new Float32Array(12) } as never),
    ).toThrow('fusedMolLoss: baseHidden must be a @molrl/tensor Tensor, got Float32Array');
    expect(() =>
      fusedMolLoss({
        ...common,
        hidden: hidden(),
        lmHeadWeight: head(),
        baseDistribution: { meanHead: hidden() },
      } as never),
    ).toThrow('fusedMolLoss: baseDistribution.entropy must be a @molrl/tensor Tensor, got undefined');
    expect(() => molLoss({ ...common, logits: logits(), baseLogits: [[0]] } as never)).toThrow(
      'molLoss: baseLogits must be a @molrl/tensor Tensor, got an array',
    );
  });

  it('planRows: an eetb that is neither a boolean nor marks is refused (it was read as no EETB)', () => {
    for (const eetb of ['yes', 1])
      expect(() => planRows('molLoss', LABELS, TARGETS, V, { eetb } as never)).toThrow(
        `molLoss: eetb must be true, false or one mark per row, got ${eetb === 'yes' ? '"yes"' : '1'}`,
      );
    expect(planRows('molLoss', LABELS, TARGETS, V, { eetb: [0, 1, 0, 0] }).counts.excluded).toBe(1);
  });

  it('planRows: a string klWeight is shown as a string; a sequence id that is not an integer is named', () => {
    expect(() => planRows('molLoss', LABELS, TARGETS, V, { klWeight: '0.5' } as never)).toThrow(
      'molLoss: klWeight must be a finite number >= 0, got "0.5"',
    );
    const sequence = { normalization: 'sequence' as const };
    // NaN made a sequence of its own for every row it marked.
    expect(() => planRows('molLoss', LABELS, TARGETS, V, { ...sequence, sequenceIds: [0, 0, NaN, 1] })).toThrow(
      'molLoss: sequenceIds[2] = NaN is not an integer sequence index',
    );
    expect(() =>
      planRows('molLoss', LABELS, TARGETS, V, { ...sequence, sequenceIds: [0, '0', 0, 1] } as never),
    ).toThrow('molLoss: sequenceIds[1] = "0" is not an integer sequence index');
    // Rows without a loss may hold anything.
    expect(planRows('molLoss', LABELS, TARGETS, V, { ...sequence, sequenceIds: [NaN, 0, 0, 1] }).rows).toBe(N);
  });

  it('baseDistribution: an unknown option, a non-tensor or a row index that is not an integer is named', () => {
    expect(() => baseDistribution({ baseHidden: hidden(), lmHeadWeight: head(), row: [0] } as never)).toThrow(
      "baseDistribution: unknown option 'row' (did you mean 'rows'?)",
    );
    expect(() => baseDistribution({ baseHidden: hidden() } as never)).toThrow(
      'baseDistribution: lmHeadWeight must be a @molrl/tensor Tensor, got undefined',
    );
    // Int32Array.from made NaN row 0 and 1.5 row 1.
    expect(() => baseDistribution({ baseHidden: hidden(), lmHeadWeight: head(), rows: [1, NaN] })).toThrow(
      'baseDistribution: rows[1] = NaN is not a row index (an integer)',
    );
    expect(() => baseDistribution({ baseHidden: hidden(), lmHeadWeight: head(), rows: [1.5] })).toThrow(
      'baseDistribution: rows[0] = 1.5 is not a row index (an integer)',
    );
  });
});

describe('molStepMemory refuses bad options', () => {
  it('an unknown option is named with the one it most likely meant', () => {
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, weight_dtype: 'float32' } as never)).toThrow(
      /^molStepMemory: unknown option 'weight_dtype' \(did you mean 'weightDtype'\?\); known: tokens, weightDtype, /,
    );
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, r: 8 } as never)).toThrow(/unknown option 'r'/);
  });

  it('decisionTokens, dropout, targets and tie_word_embeddings of the wrong kind are named', () => {
    // NaN made every figure NaN; -8 took memory away.
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, decisionTokens: NaN })).toThrow(
      'molStepMemory: decisionTokens must be an integer >= 0, got NaN',
    );
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, decisionTokens: -8 })).toThrow(/decisionTokens .* got -8/);
    // '0.1' >= 0 is true: a string was taken.
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, dropout: '0.1' } as never)).toThrow(
      'molStepMemory: dropout must be in [0, 1), got "0.1"',
    );
    expect(() => molStepMemory(QWEN3_0_6B, { tokens: 8, targets: [] })).toThrow(
      'molStepMemory: targets must be a non-empty list of q, k, v, o, gate, up, down, got []',
    );
    expect(() => molStepMemory({ ...QWEN3_0_6B, tie_word_embeddings: 'false' } as never, { tokens: 8 })).toThrow(
      /molStepMemory: tie_word_embeddings must be true or false, got "false"/,
    );
    expect(() => molStepMemory(QWEN3_0_6B, undefined as never)).toThrow(
      'molStepMemory: options must be an object with tokens, got undefined',
    );
  });
});

describe('rows, batches and step ranges', () => {
  const row = (segmentIds: unknown[]): TrainingRow =>
    ({
      ids: segmentIds.map((_, i) => i + 1),
      labels: segmentIds.map(() => 'decision'),
      segmentIds,
    }) as TrainingRow;

  it('checkRow: a segment id that is not an integer, or a segment that comes back, is named', () => {
    expect(() => checkRow(row([1, 1, NaN]), 'train[0]')).toThrow('train[0]: segmentIds[2] = NaN is not an integer');
    expect(() => checkRow(row([1, '1']), 'train[0]')).toThrow('train[0]: segmentIds[1] = "1" is not an integer');
    // Positions restart at index 3, but attention would join it to indices 0 and 1.
    expect(() => checkRow(row([1, 1, 2, 1, 0]), 'train[3]')).toThrow(
      'train[3]: segmentIds[3] = 1 returns to a segment that ended before index 3',
    );
    expect(() => checkRow(row([1, 1, 2, 2, 0, 0]), 'train[0]')).not.toThrow();
  });

  it('makeMicroBatch: no rows or a padId that is not a token id is refused', () => {
    expect(() => makeMicroBatch([])).toThrow('makeMicroBatch: rows must be a non-empty array of training rows, got []');
    const rows = [{ ids: [1, 2], labels: ['prompt', 'decision'] as TokenLabel[] }];
    expect(() => makeMicroBatch(rows, -1)).toThrow(
      'makeMicroBatch: padId must be a token id (an integer >= 0), got -1',
    );
    expect(() => makeMicroBatch(rows, 0.5)).toThrow(/padId .* got 0.5/);
  });

  it('stepRows and stepsPerEpoch: a batch size or step that is not an integer in range is refused', () => {
    const order = [0, 1, 2, 3, 4];
    expect(() => stepsPerEpoch(5, 0)).toThrow('stepsPerEpoch: globalBatchSize must be an integer >= 1, got 0');
    expect(() => stepRows(order, NaN, 2)).toThrow('stepRows: stepInEpoch must be an integer >= 0, got NaN');
    expect(() => stepRows(order, 1, 1.5)).toThrow('stepRows: globalBatchSize must be an integer >= 1, got 1.5');
    expect(stepRows(order, 2, 2)).toEqual([4]);
    expect(stepsPerEpoch(5, 2)).toBe(3);
  });
});

describe('MolTrainer refuses bad options', () => {
  const config = qwen3Config({
    vocab_size: 16,
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 4,
    tie_word_embeddings: true,
  });
  const model = () => Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 1 }));
  const train: TrainingRow[] = [{ ids: [1, 2, 3, 4], labels: ['prompt', 'decision', 'feedback', 'decision'] }];
  const outputDir = () => mkdtempSync(join(tmpdir(), 'molrl-mol-bad-'));

  it('an unknown option is named with the one it most likely meant (validaton trained without validation)', () => {
    const m = model();
    const lora = applyLora(m, { r: 2, alpha: 4 });
    expect(
      () => new MolTrainer({ model: m, lora, train, validaton: train, config: { outputDir: outputDir() } } as never),
    ).toThrow(
      "MolTrainer: unknown option 'validaton' (did you mean 'validation'?); known: model, lora, train, validation, config",
    );
    // A run option given to the constructor was ignored: the run started fresh.
    expect(
      () =>
        new MolTrainer({
          model: m,
          lora,
          train,
          config: { outputDir: outputDir() },
          resumeFromCheckpoint: true,
        } as never),
    ).toThrow(/MolTrainer: unknown option 'resumeFromCheckpoint'/);
    const trainer = new MolTrainer({ model: m, lora, train, config: { outputDir: outputDir() } });
    return expect(trainer.trainLoop({ stop_after_step: 1 } as never)).rejects.toThrow(
      "MolTrainer.trainLoop: unknown option 'stop_after_step' (did you mean 'stopAfterStep'?)",
    );
  });

  it('trainMol: refuses an unknown key, and passes run options to the loop', async () => {
    const m = model();
    const lora = applyLora(m, { r: 2, alpha: 4 });
    await expect(
      trainMol({ model: m, lora, train, config: { outputDir: outputDir() }, resume: true } as never),
    ).rejects.toThrow(
      /^trainMol: unknown option 'resume'; known: model, lora, train, validation, config, resumeFromCheckpoint/,
    );
    const result = await trainMol({
      model: m,
      lora,
      train,
      config: { outputDir: outputDir(), maxSteps: 2, globalBatchSize: 1, microBatchSize: 1, saveSteps: 0 },
      stopAfterStep: 1,
    });
    expect(result.steps.map((s) => s.step)).toEqual([1]);
  });

  it('an adapter on another model, a missing model or a train set that is not an array is named', () => {
    const m = model();
    const other = applyLora(model(), { r: 2, alpha: 4 });
    expect(() => new MolTrainer({ model: m, lora: other, train, config: { outputDir: outputDir() } })).toThrow(
      'MolTrainer: lora is an adapter on another model; pass the model it was applied to',
    );
    expect(() => new MolTrainer({ lora: other, train, config: { outputDir: outputDir() } } as never)).toThrow(
      'MolTrainer: model must be a @molrl/model Qwen3ForCausalLM, got undefined',
    );
    const lora = applyLora(m, { r: 2, alpha: 4 });
    expect(
      () => new MolTrainer({ model: m, lora, train: 'rows.jsonl', config: { outputDir: outputDir() } } as never),
    ).toThrow('MolTrainer: train must be an array of training rows ({ ids, labels }), got string');
  });

  it('readTrainerState: a trainer_state.json that is not an object names the file', () => {
    const dir = outputDir();
    mkdirSync(join(dir, 'checkpoint-1'));
    writeFileSync(join(dir, 'checkpoint-1', 'trainer_state.json'), 'null');
    expect(() => readTrainerState(join(dir, 'checkpoint-1'))).toThrow(
      `readTrainerState: ${join(dir, 'checkpoint-1', 'trainer_state.json')}: expected a JSON object (the trainer state), got null`,
    );
  });
});
