/** A tiny Qwen3 and a character-level codec for trainer tests. */
import { Qwen3ForCausalLM, qwen3Config, randomWeights } from '@molrl/model';
import { applyLora } from '@molrl/lora';
import type { TextCodec } from './rollout.js';

export const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123 ';
export const EOS = ALPHABET.length; // 31

export const tinyConfig = qwen3Config({
  vocab_size: EOS + 1,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 8,
  tie_word_embeddings: true,
  eos_token_id: EOS,
  // Wide initial weights so that a rank-4 adapter can move the logits far enough to learn in a few steps.
  initializer_range: 0.3,
});

/** One token per character of ALPHABET; EOS decodes to nothing. */
export const charCodec: TextCodec = {
  encode(text) {
    return [...text].map((ch, i) => {
      const id = ALPHABET.indexOf(ch);
      if (id < 0) throw new Error(`charCodec: character ${JSON.stringify(ch)} at ${i} is not in the alphabet`);
      return id;
    });
  },
  decode(ids) {
    return ids.map((id) => (id === EOS ? '' : ALPHABET[id]!)).join('');
  },
  applyChatTemplate(messages, options) {
    return messages.map((m) => `${m.role[0]} ${m.content} `).join('') + (options.addGenerationPrompt ? 'a ' : '');
  },
};

export function tinySetup(options: { dropout?: number; seed?: number } = {}) {
  const model = Qwen3ForCausalLM.fromWeights(tinyConfig, randomWeights(tinyConfig, { seed: options.seed ?? 1 }));
  const lora = applyLora(model, { r: 4, alpha: 8, dropout: options.dropout ?? 0, seed: 3 });
  return { model, lora };
}
