/**
 * A node of the autograd graph (PyTorch style: the graph hangs off the
 * tensors, there is no global tape). Each op output that needs a gradient
 * points at the node that made it; the node points at its inputs' nodes (or
 * at leaf tensors) and holds the tensors its backward needs.
 *
 * Lifetime: a node is reference-counted by the live tensors it produced and
 * by the downstream nodes that consume them. The tensors it saved for
 * backward stay alive while the node is referenced, so disposing
 * intermediates (tidy) never breaks a later backward. backward() frees the
 * saved tensors of every node it runs through (unless retainGraph), and a
 * node whose count drops to zero frees them and lets go of its inputs.
 */
import type { Tensor } from '../tensor.js';

/** Gradients for an op's outputs in, gradients for its inputs out (null: no gradient). */
export type BackwardFn = (grads: (Tensor | null)[], saved: Tensor[]) => (Tensor | null | undefined)[];

export type Edge = { node: GradNode; index: number } | { leaf: Tensor } | null;

let nextNodeId = 0;

export class GradNode {
  readonly id = nextNodeId++;
  refs = 0;
  /** True once backward ran through this node without retainGraph. */
  freed = false;
  constructor(
    readonly op: string,
    readonly edges: Edge[],
    /** Input shapes, to check the gradients a backward function returns. */
    readonly inputShapes: (readonly number[])[],
    readonly numOutputs: number,
    public backwardFn: BackwardFn | null,
    public saved: Tensor[],
  ) {
    for (const e of edges) if (e && 'node' in e) e.node.refs++;
  }

  /** Non-leaf outputs whose .grad backward should fill (retainGrad()), by output index. */
  retained: (Tensor | undefined)[] | null = null;

  retainGradOf(index: number, t: Tensor): void {
    (this.retained ??= [])[index] = t;
  }

  /** Free the saved tensors (after backward, or when the node is dropped). */
  freeSaved(): void {
    for (const t of this.saved) t.dispose();
    this.saved = [];
    this.backwardFn = null;
    this.freed = true;
  }

  /** Drop one reference; at zero, free saved tensors and release upstream nodes. */
  unref(): void {
    const stack: GradNode[] = [this];
    while (stack.length) {
      const n = stack.pop()!;
      if (--n.refs > 0) continue;
      n.freeSaved();
      for (const e of n.edges) if (e && 'node' in e) stack.push(e.node);
    }
  }
}
