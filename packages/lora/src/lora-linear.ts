/**
 * A LoRA adapter on one linear layer, PEFT's lora.Linear:
 *   y = x W^T + (dropout(x) A^T B^T) * scaling
 * A [r, in] starts Kaiming-uniform (a = sqrt(5), PyTorch's nn.Linear default,
 * as PEFT), B [out, r] starts at zero, so a fresh adapter changes nothing.
 */
import {
  add,
  dropout,
  loraLinear,
  matmul,
  mul,
  noGrad,
  rand,
  randn,
  reshape,
  sub,
  zeros,
  type ForwardContext,
  type Linear,
  type LinearAdapter,
  type Tensor,
} from '@molrl/tensor';

/** Switches shared by all adapters of one handle. */
export interface AdapterState {
  enabled: boolean;
  merged: boolean;
}

/** A deterministic per-layer number from a string (dropout seeds differ per layer). */
function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

export class LoraLinear implements LinearAdapter {
  readonly loraA: Tensor; // [r, in]
  readonly loraB: Tensor; // [out, r]
  private readonly layerSeed: number;

  constructor(
    readonly base: Linear,
    readonly r: number,
    readonly scaling: number,
    readonly dropout: number,
    readonly state: AdapterState,
    seed: number,
    /** PEFT's init_lora_weights (LoraLayer.reset_lora_parameters): true, 'gaussian' or false. */
    init: boolean | 'gaussian' = true,
  ) {
    // kaiming_uniform_(a=sqrt(5)), nn.Linear's default: gain sqrt(1/3), bound = gain * sqrt(3 / fan_in) = 1 / sqrt(fan_in).
    const kaiming = (shape: number[], fanIn: number, s: number) =>
      rand(shape, { seed: s >>> 0, low: -1 / Math.sqrt(fanIn), high: 1 / Math.sqrt(fanIn), requiresGrad: true });
    this.layerSeed = hashString(base.name) ^ Math.imul(seed, 0x9e3779b1);
    this.loraA = (
      init === 'gaussian'
        ? randn([r, base.inFeatures], { seed: this.layerSeed >>> 0, std: 1 / r, requiresGrad: true })
        : kaiming([r, base.inFeatures], base.inFeatures, this.layerSeed)
    ).keep();
    // init false leaves B as nn.Linear(r, out) made it: Kaiming-uniform over fan_in r.
    this.loraB = (
      init === false
        ? kaiming([base.outFeatures, r], r, this.layerSeed ^ 0x5bd1e995)
        : zeros([base.outFeatures, r], { requiresGrad: true })
    ).keep();
    this.loraA.name = `${base.name}.lora_A.weight`;
    this.loraB.name = `${base.name}.lora_B.weight`;
  }

  parameters(): Tensor[] {
    return [this.loraA, this.loraB];
  }

  /**
   * The adapted layer as one op (tensor's loraLinear: on cpu the bits of the
   * composition in forward(), gradients included; on a GPU fewer launches;
   * dropout's mask made inside it from the same seed, never kept), unless the
   * adapter is off. A layer with a bias keeps the composition, whose rounding
   * adds the bias before the adapter.
   */
  forwardLinear(x: Tensor, ctx: ForwardContext): Tensor | null {
    if (!this.state.enabled || this.state.merged || this.base.bias) return null;
    const dropout = ctx.training && this.dropout > 0 ? { dropout: this.dropout, seed: this.dropoutSeed(ctx.seed) } : {};
    return loraLinear(x, this.base.weight, this.loraA, this.loraB, this.scaling, dropout);
  }

  forward(x: Tensor, y: Tensor, ctx: ForwardContext): Tensor {
    if (!this.state.enabled || this.state.merged) return y;
    // Inverted dropout (nn.Dropout): keep with probability 1 - p, scale kept values by 1 / (1 - p).
    const xd = ctx.training && this.dropout > 0 ? dropout(x, this.dropout, this.dropoutSeed(ctx.seed)) : x;
    const lead = x.shape.slice(0, -1);
    const x2 = reshape(xd, [-1, this.base.inFeatures]); // [N, in]
    const low = matmul(x2, this.loraA, { transposeB: true }); // [N, r]
    const up = matmul(low, this.loraB, { transposeB: true }); // [N, out]
    return add(y, reshape(mul(up, this.scaling), [...lead, this.base.outFeatures]));
  }

  /** The seed of this layer's dropout mask in the forward pass seeded `forwardSeed` (a recomputation repeats it). */
  private dropoutSeed(forwardSeed: number): number {
    return (this.layerSeed ^ Math.imul(forwardSeed + 1, 0x85ebca6b)) >>> 0;
  }

  /** scaling * B A: the update merge() adds to W [out, in]. */
  delta(): Tensor {
    return noGrad(() => mul(matmul(this.loraB, this.loraA), this.scaling));
  }

  /** W += scaling B A. */
  merge(): void {
    noGrad(() => {
      const d = this.delta();
      const w = this.base.weight.dtype === 'float32' ? this.base.weight : this.base.weight.cast('float32');
      const merged = add(w, d);
      this.base.weight.assign(merged);
      for (const t of [d, merged, ...(w === this.base.weight ? [] : [w])]) t.dispose();
    });
  }

  /** W -= scaling B A (exact in float32 up to rounding; bf16 weights lose the low bits of the sum). */
  unmerge(): void {
    noGrad(() => {
      const d = this.delta();
      const w = this.base.weight.dtype === 'float32' ? this.base.weight : this.base.weight.cast('float32');
      const restored = sub(w, d);
      this.base.weight.assign(restored);
      for (const t of [d, restored, ...(w === this.base.weight ? [] : [w])]) t.dispose();
    });
  }
}
