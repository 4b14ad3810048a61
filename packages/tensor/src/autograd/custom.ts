/**
 * Ops with a hand-written backward, for fused computations in other packages
 * (e.g. a loss chunked over the vocabulary that recomputes its logits in the
 * backward instead of keeping them).
 */
import { noGrad } from '../engine.js';
import { tidy } from '../scope.js';
import { needsGrad, record, viewOf } from '../ops/core.js';
import { fill } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { fmt } from '../shape.js';

export interface CustomOpContext {
  /** Keep these tensors for the backward (they survive tidy and dispose of the originals). */
  save(...tensors: Tensor[]): void;
}

/**
 * forward(inputs, ctx) runs without recording, inside tidy (its intermediates
 * are released when it returns), and returns the output(s);
 * backward(grads, saved, ctx) gets one gradient per output (zeros where an
 * output got none) and returns one gradient (or null) per input, shaped like
 * the input. The returned function records a single graph node.
 */
export function customOp<Outputs extends Tensor | Tensor[]>(
  name: string,
  forward: (inputs: Tensor[], ctx: CustomOpContext) => Outputs,
  backward: (grads: Tensor[], saved: Tensor[]) => (Tensor | null | undefined)[],
): (...inputs: Tensor[]) => Outputs {
  return (...inputs: Tensor[]) => {
    for (const t of inputs) t.assertAlive(name);
    // Saved tensors get their own handles at once, so the tidy around forward may release the originals.
    const saved: Tensor[] = [];
    const ctx: CustomOpContext = {
      save: (...ts) => {
        for (const t of ts) {
          t.assertAlive(`${name} (ctx.save)`);
          saved.push(viewOf(t, t.shape, `${t.op} (saved by ${name})`, false));
        }
      },
    };
    let raw: Outputs;
    try {
      raw = noGrad(() => tidy(() => forward(inputs, ctx)));
    } catch (e) {
      for (const t of saved) t.dispose();
      throw e;
    }
    // An output that is an input (or made earlier) gets its own handle, so the node never re-parents it.
    const own = (o: Tensor) => (inputs.includes(o) || o.gradFn ? viewOf(o, o.shape, name) : o);
    const outputs: Tensor[] = Array.isArray(raw) ? (raw as Tensor[]).map(own) : [own(raw as Tensor)];
    const result = (Array.isArray(raw) ? outputs : outputs[0]) as Outputs;
    if (needsGrad(...inputs)) {
      const shapes = outputs.map((o) => o.shape);
      record(
        name,
        inputs,
        outputs,
        [],
        (grads, savedHandles) => {
          const full = grads.map((g, i) => g ?? fill(shapes[i]!, 0));
          const out = backward(full, savedHandles);
          if (out.length !== inputs.length) {
            throw new Error(
              `customOp '${name}': backward returned ${out.length} gradients for ${inputs.length} inputs`,
            );
          }
          return out;
        },
        saved,
      );
    } else {
      for (const t of saved) t.dispose();
    }
    return result;
  };
}

/**
 * tfjs-style: fn(...inputs) returns { value, gradFunc }, where gradFunc(dy,
 * saved) gives the inputs' gradients; `save` passed as the last argument keeps
 * tensors for it.
 */
export function customGrad(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature of tf.customGrad, which this mirrors
  fn: (...args: [...Tensor[], (tensors: Tensor[]) => void] | any[]) => {
    value: Tensor;
    gradFunc: (dy: Tensor, saved: Tensor[]) => Tensor | (Tensor | null)[];
  },
): (...inputs: Tensor[]) => Tensor {
  return (...inputs: Tensor[]) => {
    let gradFunc: ((dy: Tensor, saved: Tensor[]) => Tensor | (Tensor | null)[]) | undefined;
    const op = customOp(
      'customGrad',
      (ins, ctx) => {
        const r = fn(...ins, (ts: Tensor[]) => ctx.save(...ts));
        gradFunc = r.gradFunc;
        return r.value;
      },
      ([dy], saved) => {
        const g = gradFunc!(dy!, saved);
        const list = Array.isArray(g) ? g : [g];
        list.forEach((t, i) => {
          if (t && inputs[i] && t.size !== inputs[i]!.size) {
            throw new Error(`customGrad: gradient ${i} has shape ${fmt(t.shape)}, input is ${fmt(inputs[i]!.shape)}`);
          }
        });
        return list;
      },
    );
    return op(...inputs);
  };
}
