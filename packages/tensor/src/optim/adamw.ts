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

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** A string '1e-4' or a NaN would otherwise reach the kernel and poison every parameter silently. */
function checkAdamWOptions(options: AdamWOptions): void {
  const bad = (field: string, value: unknown, want: string) =>
    new Error(`AdamW: option '${field}' is ${JSON.stringify(value) ?? String(value)}; expected ${want}`);
  const { lr, betas, eps, weightDecay, decayFilter } = options;
  if (lr !== undefined && typeof lr !== 'function' && !(isFiniteNumber(lr) && lr >= 0))
    throw bad('lr', lr, 'a finite number >= 0 or a schedule function');
  if (
    betas !== undefined &&
    !(Array.isArray(betas) && betas.length === 2 && betas.every((b) => isFiniteNumber(b) && b >= 0 && b < 1))
  )
    throw bad('betas', betas, 'two numbers in [0, 1)');
  if (eps !== undefined && !(isFiniteNumber(eps) && eps > 0)) throw bad('eps', eps, 'a finite number > 0');
  if (weightDecay !== undefined && !(isFiniteNumber(weightDecay) && weightDecay >= 0))
    throw bad('weightDecay', weightDecay, 'a finite number >= 0');
  if (decayFilter !== undefined && typeof decayFilter !== 'function')
    throw bad('decayFilter', typeof decayFilter, 'a function (name, tensor) => boolean');
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
    checkAdamWOptions(options);
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
    if (typeof lr !== 'function') return lr;
    const scheduled = lr(this.stepCount);
    if (typeof scheduled !== 'number' || !Number.isFinite(scheduled) || scheduled < 0)
      throw new Error(
        `AdamW: the lr schedule returned ${String(scheduled)} at step ${this.stepCount}; expected a finite number >= 0`,
      );
    return scheduled;
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
