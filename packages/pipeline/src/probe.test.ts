import { beforeAll, describe, expect, it } from 'vitest';
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { setBackend } from '@molrl/tensor';
import { Tokenizer } from '@molrl/tokenize';
import { DEFAULT_MODEL_DIR } from './config.js';
import { probeDocuments } from './pretrain-corpus.js';
import { answerSpan, heldOutLoss } from './probe.js';

beforeAll(() => setBackend('cpu'));

describe('the general-ability probe', () => {
  it("is each document's mean answer-token NLL, the same batched (padded) as one at a time", async () => {
    const tok = Tokenizer.fromFile(DEFAULT_MODEL_DIR);
    const config = qwen3Config({
      vocab_size: tok.vocabSize,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 16,
      tie_word_embeddings: true,
      pad_token_id: tok.tokenToId('<|endoftext|>')!,
    });
    const model = Qwen3ForCausalLM.fromWeights(config, randomWeights(config, { seed: 5 }));
    const docs = probeDocuments(5);
    const batched = await heldOutLoss(model, tok, docs, { batchSize: 3 });
    // Reference: one document at a time, log-softmax by hand.
    let total = 0;
    let tokens = 0;
    for (const [d, doc] of docs.entries()) {
      const { ids, answerStart } = answerSpan(tok, doc);
      const { logits } = await model.forward([ids]);
      const v = await logits.data();
      logits.dispose();
      const V = config.vocab_size;
      let sum = 0;
      for (let t = answerStart - 1; t < ids.length - 1; t++) {
        let max = -Infinity;
        for (let k = 0; k < V; k++) max = Math.max(max, v[t * V + k]!);
        let z = 0;
        for (let k = 0; k < V; k++) z += Math.exp(v[t * V + k]! - max);
        sum += max + Math.log(z) - v[t * V + ids[t + 1]!]!;
      }
      expect(batched.perDocument[d]).toBeCloseTo(sum / (ids.length - answerStart), 4);
      total += sum;
      tokens += ids.length - answerStart;
    }
    expect(batched.tokens).toBe(tokens);
    expect(batched.nll).toBeCloseTo(total / tokens, 4);
    model.dispose();
  });

  it('scores the answer only: the span starts after the generation prompt', () => {
    const tok = Tokenizer.fromFile(DEFAULT_MODEL_DIR);
    const doc = probeDocuments(1)[0]!;
    const { ids, answerStart } = answerSpan(tok, doc);
    expect(tok.decode(ids.slice(answerStart))).toContain(doc.at(-1)!.content);
    expect(tok.decode(ids.slice(0, answerStart))).not.toContain('def solve');
    expect(() => answerSpan(tok, doc.slice(0, -1))).toThrow(/must end with an assistant message, got user/);
  });
});
