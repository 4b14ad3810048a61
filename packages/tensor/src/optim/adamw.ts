/**
 * AdamW with PyTorch's semantics (decoupled weight decay p -= lr*wd*p, bias
 * correction by step), one `adamw` kernel launch per parameter, in place.
 */
import { noGrad } from '../engine.js';
import { runKernel } from '../ops/core.js';
import { zeros } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { fmt, sameShape } from '../shape.js';
import { Module } from '../nn/module.js';
import type { LrSchedule } from './schedule.js';

export interface AdamWOptions {
  /** A number or a schedule of the 0-based step (default 1e-3). */
  lr?: number | LrSchedule;
  betas?: [number, number];
  eps?: number;
  /** Decoupled weight decay (default 0.01, as torch.optim.AdamW). */
  weightDecay?: number;
  /** Which parameters decay (default: all). E.g. (name) => !name.endsWith('norm.weight'). */
  decayFilter?: (name: string, t: Tensor) => boolean;
}

export type ParamList = Module | Tensor[] | [string, Tensor][];

export interface AdamWState {
  step: number;
  /** Moments by parameter name (or index when built from a plain list). */
  state: Record<string, { m: Tensor; v: Tensor }>;
}

export class AdamW {
  readonly params: [string, Tensor][];
  readonly options: Required<Omit<AdamWOptions, 'decayFilter'>> & Pick<AdamWOptions, 'decayFilter'>;
  /** Optimizer steps taken. */
  stepCount = 0;
  private readonly moments = new Map<Tensor, { m: Tensor; v: Tensor }>();

  constructor(params: ParamList, options: AdamWOptions = {}) {
    this.params =
      params instanceof Module
        ? params.trainableParameters()
        : params.map((p, i): [string, Tensor] =>
            Array.isArray(p) ? (p as [string, Tensor]) : [String(i), p as Tensor],
          );
    for (const [name, t] of this.params) {
      if (t.dtype !== 'float32')
        throw new Error(`AdamW: parameter '${name}' is ${t.dtype}; AdamW updates float32 parameters`);
    }
    this.options = {
      lr: options.lr ?? 1e-3,
      betas: options.betas ?? [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0.01,
      decayFilter: options.decayFilter,
    };
  }

  /** The learning rate the next step() uses. */
  get lr(): number {
    const lr = this.options.lr;
    return typeof lr === 'function' ? lr(this.stepCount) : lr;
  }

  /** Update every parameter that has a gradient. */
  step(): void {
    const lr = this.lr;
    this.stepCount++;
    const [beta1, beta2] = this.options.betas;
    noGrad(() => {
      for (const [name, p] of this.params) {
        const g = p.grad;
        if (!g) continue;
        if (!sameShape(g.shape, p.shape))
          throw new Error(`AdamW: gradient of '${name}' has shape ${fmt(g.shape)}, parameter ${fmt(p.shape)}`);
        const st = this.momentsOf(p);
        const decay = this.options.decayFilter && !this.options.decayFilter(name, p) ? 0 : this.options.weightDecay;
        runKernel('adamw', 'adamw', [p, g, st.m, st.v], {
          lr,
          beta1,
          beta2,
          eps: this.options.eps,
          weightDecay: decay,
          step: this.stepCount,
        });
      }
    });
  }

  zeroGrad(): void {
    for (const [, p] of this.params) p.zeroGrad();
  }

  private momentsOf(p: Tensor): { m: Tensor; v: Tensor } {
    let st = this.moments.get(p);
    if (!st) {
      st = { m: zeros(p.shape).keep(), v: zeros(p.shape).keep() };
      this.moments.set(p, st);
    }
    return st;
  }

  /** The step count and the moment tensors (live, not copies) by parameter name. */
  stateDict(): AdamWState {
    const state: AdamWState['state'] = {};
    for (const [name, p] of this.params) {
      const st = this.moments.get(p);
      if (st) state[name] = st;
    }
    return { step: this.stepCount, state };
  }

  /** Restore from stateDict() output (the moments are copied). */
  loadStateDict(s: AdamWState): void {
    const byName = new Map(this.params);
    const unknown = Object.keys(s.state).filter((k) => !byName.has(k));
    if (unknown.length) throw new Error(`AdamW.loadStateDict: unexpected parameter keys: ${unknown.join(', ')}`);
    for (const [name, { m, v }] of Object.entries(s.state)) {
      const p = byName.get(name)!;
      if (!sameShape(m.shape, p.shape) || !sameShape(v.shape, p.shape)) {
        throw new Error(
          `AdamW.loadStateDict: moments of '${name}' have shapes ${fmt(m.shape)}/${fmt(v.shape)}, parameter ${fmt(p.shape)}`,
        );
      }
      const st = this.momentsOf(p);
      st.m.assign(m);
      st.v.assign(v);
    }
    this.stepCount = s.step;
  }

  /** Release the moment tensors. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
