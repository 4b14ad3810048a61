/**
 * Reverse-mode differentiation: walk the graph from a tensor back to the
 * leaves in topological order, calling each node's backward function and
 * accumulating into `leaf.grad` (gradients add up across backward calls until
 * zeroGrad). Runs without recording, inside its own scope: every
 * intermediate gradient is released as soon as it has been consumed.
 */
import { engine } from '../engine.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { isFloat } from '@molrl/gpu-backend';
import { add } from '../ops/elementwise.js';
import { cast } from '../ops/indexing.js';
import { fill } from '../ops/creation.js';
import { viewOf } from '../ops/core.js';
import type { GradNode } from './node.js';

export interface BackwardOptions {
  /** Keep the tensors saved for backward so backward can run through this graph again. */
  retainGraph?: boolean;
}

export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  root.assertAlive('backward');
  if (!root.requiresGrad) {
    throw new Error(
      `backward: ${root.describe()} does not require grad (no input of its graph has requiresGrad, or it was made under noGrad)`,
    );
  }
  if (gradient) {
    gradient.assertAlive('backward');
    if (!sameShape(gradient.shape, root.shape)) {
      throw new Error(
        `backward: gradient shape ${fmt(gradient.shape)} does not match the tensor's shape ${fmt(root.shape)}`,
      );
    }
  } else if (root.size !== 1) {
    throw new Error(
      `backward: ${root.describe()} is not a scalar; pass the gradient explicitly (t.backward(gradient))`,
    );
  }

  const scope: Tensor[] = [];
  const outerOp = engine.backwardOp; // backward may run inside another backward (activation recomputation)
  engine.scopes.push(scope);
  engine.noGradDepth++;
  try {
    const seed = gradient ? viewOf(gradient, gradient.shape, 'backward seed') : fill(root.shape, 1);
    if (!root.gradFn) {
      accumulateLeaf(root, seed);
      return;
    }
    runGraph(root.gradFn, root.outputIndex, seed, options.retainGraph === true);
  } finally {
    engine.backwardOp = outerOp;
    engine.noGradDepth--;
    engine.scopes.pop();
    for (const t of scope) if (!t.kept) t.dispose();
  }
}

function runGraph(rootNode: GradNode, rootIndex: number, seed: Tensor, retainGraph: boolean): void {
  // Count, for each node, the edges that reach it from nodes of this graph.
  const deps = new Map<GradNode, number>();
  const seen = new Set<GradNode>([rootNode]);
  const stack: GradNode[] = [rootNode];
  while (stack.length) {
    const n = stack.pop()!;
    for (const e of n.edges) {
      if (!e || !('node' in e)) continue;
      deps.set(e.node, (deps.get(e.node) ?? 0) + 1);
      if (!seen.has(e.node)) {
        seen.add(e.node);
        stack.push(e.node);
      }
    }
  }

  // Gradients made before this backward (a saved tensor or a captured constant
  // returned by a backward function) are never handed out as they are.
  const firstId = engine.nextTensorId;
  const pending = new Map<GradNode, (Tensor | null)[]>();
  const owned = new Set<Tensor>();
  const rootGrads = new Array<Tensor | null>(rootNode.numOutputs).fill(null);
  rootGrads[rootIndex] = seed;
  pending.set(rootNode, rootGrads);
  owned.add(seed);
  const ready: GradNode[] = [rootNode];

  while (ready.length) {
    const node = ready.pop()!;
    const grads = pending.get(node)!;
    pending.delete(node);
    if (node.retained) {
      node.retained.forEach((t, i) => {
        const g = grads[i];
        if (t && g) accumulateLeaf(t, viewOf(g, g.shape, g.op));
      });
    }
    if (grads.some((g) => g !== null)) {
      if (node.freed || !node.backwardFn) {
        throw new Error(
          `backward: the graph through op '${node.op}' was already released by an earlier backward(); pass { retainGraph: true } to the earlier call to run backward twice`,
        );
      }
      engine.backwardOp = node.op;
      const inGrads = ownHandles(node.backwardFn(grads, node.saved));
      for (let i = 0; i < node.edges.length; i++) {
        const edge = node.edges[i];
        let g = inGrads[i] ?? null;
        if (!edge || !g) continue;
        if (!sameShape(g.shape, node.inputShapes[i]!)) {
          throw new Error(
            `backward of '${node.op}': gradient for input ${i} has shape ${fmt(g.shape)}, expected ${fmt(node.inputShapes[i]!)}`,
          );
        }
        // A backward may pass a gradient through or return a tensor it does not own:
        // give each slot its own handle.
        if (g.id < firstId || owned.has(g) || grads.includes(g)) g = viewOf(g, g.shape, g.op);
        if ('leaf' in edge) {
          accumulateLeaf(edge.leaf, g);
          continue;
        }
        let slots = pending.get(edge.node);
        if (!slots) {
          slots = new Array<Tensor | null>(edge.node.numOutputs).fill(null);
          pending.set(edge.node, slots);
        }
        const prev = slots[edge.index];
        if (prev) {
          const sum = addGrads(prev, g);
          owned.delete(prev);
          prev.dispose();
          g.dispose();
          g = sum;
        }
        slots[edge.index] = g;
        owned.add(g);
      }
    }
    for (const g of grads) {
      if (g) {
        owned.delete(g);
        g.dispose();
      }
    }
    if (!retainGraph) node.freeSaved();
    for (const e of node.edges) {
      if (!e || !('node' in e)) continue;
      const left = deps.get(e.node)! - 1;
      deps.set(e.node, left);
      if (left === 0) {
        if (!pending.has(e.node)) pending.set(e.node, new Array<Tensor | null>(e.node.numOutputs).fill(null));
        ready.push(e.node);
      }
    }
  }
}

/**
 * A backward's gradients with every repeat of one tensor replaced by a view of
 * it, made now: the first use may be a leaf's accumulation, which disposes it.
 * Views no slot takes go with the backward's scope.
 */
function ownHandles(grads: readonly (Tensor | null | undefined)[]): (Tensor | null | undefined)[] {
  const seen = new Set<Tensor>();
  return grads.map((g) => {
    if (!g) return g;
    if (seen.has(g)) return viewOf(g, g.shape, g.op);
    seen.add(g);
    return g;
  });
}

/**
 * The sum of two gradients of one tensor. float32 ones are added as they are;
 * float16/bfloat16 ones are added in float32 and rounded once back to the
 * first one's dtype (as PyTorch sums half-precision gradients).
 */
function addGrads(a: Tensor, b: Tensor): Tensor {
  if (a.dtype === 'float32' && b.dtype === 'float32') return add(a, b);
  if (!isFloat(a.dtype) || !isFloat(b.dtype)) return add(a, b); // int32: add names it
  const a32 = a.dtype === 'float32' ? a : cast(a, 'float32');
  const b32 = b.dtype === 'float32' ? b : cast(b, 'float32');
  const sum32 = add(a32, b32);
  if (a32 !== a) a32.dispose();
  if (b32 !== b) b32.dispose();
  if (a.dtype === 'float32') return sum32;
  const sum = cast(sum32, a.dtype);
  sum32.dispose();
  return sum;
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.isDisposed) {
    g.dispose();
    return;
  }
  if (leaf.grad && !leaf.grad.isDisposed) {
    const sum = addGrads(leaf.grad, g);
    leaf.grad.dispose();
    g.dispose();
    leaf.grad = sum.keep();
  } else {
    leaf.grad = g.keep();
  }
}
