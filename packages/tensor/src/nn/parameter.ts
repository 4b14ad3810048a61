/** Parameters: trainable leaf tensors that no tidy scope releases. */
import { fmt } from '../shape.js';
import { Tensor } from '../tensor.js';

export interface ParameterOptions {
  /** Default true. */
  requiresGrad?: boolean;
  /** Shown in error messages (Module sets state-dict names where it can). */
  name?: string;
}

/**
 * A leaf tensor that requires grad (by default) and is exempt from tidy.
 * `new Parameter(t)` takes over t's storage and consumes the handle `t`
 * (t is disposed; the storage lives on in the parameter), so
 * `new Parameter(randn([4, 4]))` leaves nothing dangling.
 */
export class Parameter extends Tensor {
  constructor(source: Tensor, options: ParameterOptions = {}) {
    source.assertAlive('Parameter');
    if (!source.isLeaf) throw new Error(`Parameter: ${source.describe()} is not a leaf tensor (detach() it first)`);
    super(source.ref.retain(), source.shape, 'parameter', false);
    source.dispose();
    this.requiresGrad = options.requiresGrad ?? true;
    this.name = options.name ?? source.name;
    this.kept = true;
  }
}

/** `new Parameter(t, options)` as a function. */
export function parameter(t: Tensor, options: ParameterOptions = {}): Parameter {
  return t instanceof Parameter ? t : new Parameter(t, options);
}

export function isParameter(t: unknown): t is Parameter {
  return t instanceof Parameter;
}

/**
 * A layer's weight given from outside (a loaded checkpoint, a tied
 * embedding): checked against the shape the layer needs, kept with its dtype
 * and requiresGrad (a loaded checkpoint stays frozen until unfrozen). A
 * Parameter is shared as it is; a plain tensor is taken over (its handle is
 * consumed, as `new Parameter(t)` does).
 */
export function givenParameter(t: Tensor, shape: readonly number[], what: string): Parameter {
  t.assertAlive(what);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${what}: ${t.describe()} has shape ${fmt(t.shape)}, the layer needs ${fmt(shape)}`);
  }
  return t instanceof Parameter ? t : new Parameter(t, { requiresGrad: t.requiresGrad });
}

/** A layer's weight: the one given (see givenParameter), else a fresh Parameter from `init`. */
export function weightParameter(
  given: Tensor | undefined,
  shape: readonly number[],
  what: string,
  init: () => Tensor,
): Parameter {
  return given ? givenParameter(given, shape, what) : new Parameter(init());
}
