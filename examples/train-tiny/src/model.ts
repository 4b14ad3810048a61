/** A tiny decoder: token + learned position embeddings, transformer blocks, RMSNorm, a vocabulary head. */
import { Embedding, Linear, Module, RMSNorm, TransformerBlock, add, tensor, type Tensor } from '@molrl/tensor';

export interface TinyConfig {
  vocab: number;
  maxLength: number;
  dim: number;
  heads: number;
  layers: number;
  seed: number;
}

export class TinyTransformer extends Module {
  embed: Embedding;
  positions: Embedding;
  blocks: TransformerBlock[];
  norm: RMSNorm;
  head: Linear;

  constructor(readonly config: TinyConfig) {
    super();
    const { vocab, maxLength, dim, heads, layers, seed } = config;
    this.embed = new Embedding(vocab, dim, { seed, std: 0.5 });
    this.positions = new Embedding(maxLength, dim, { seed: seed + 1, std: 0.5 });
    this.blocks = Array.from(
      { length: layers },
      (_, i) => new TransformerBlock({ dim, heads, mlpHidden: 2 * dim, seed: seed + 100 * (i + 1) }),
    );
    this.norm = new RMSNorm(dim);
    this.head = new Linear(dim, vocab, { seed: seed + 2 });
  }

  /** ids int32 [B, T] -> logits [B, T, vocab]. */
  forward(ids: Tensor): Tensor {
    const [b, t] = ids.shape as [number, number];
    const pos = new Int32Array(b * t);
    for (let i = 0; i < pos.length; i++) pos[i] = i % t;
    const positions = tensor(pos, [b, t]);
    let x = add(this.embed.forward(ids), this.positions.forward(positions));
    for (const block of this.blocks) x = block.forward(x, positions);
    return this.head.forward(this.norm.forward(x));
  }
}
