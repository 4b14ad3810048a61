/**
 * Modules with named parameters, PyTorch style. Parameters and submodules are
 * found in two ways: registered explicitly (registerParameter/registerModule,
 * which fixes the name) or held in the module's own properties (a parameter
 * tensor, a Module, or an array of Modules, named `prop.<i>`). Names join with
 * '.', giving state-dict keys like `layers.0.self_attn.q_proj.weight`.
 */
import { noGrad } from '../engine.js';
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { isParameter, parameter, type Parameter } from './parameter.js';

export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** Fail on missing or unexpected keys (default true). Shape mismatches always fail. */
  strict?: boolean;
}

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

export class Module {
  private readonly _params = new Map<string, Tensor | null>();
  private readonly _modules = new Map<string, Module | null>();
  training = true;

  /**
   * Register (or replace) a parameter under `name`. A plain tensor is turned
   * into a Parameter (consuming the handle); use the returned one. null removes it.
   */
  registerParameter(name: string, t: Tensor | null): Parameter | null {
    assertName(name);
    const p = t ? parameter(t) : null;
    this._params.set(name, p);
    return p;
  }

  /** Register (or replace) a submodule under `name`. */
  registerModule<M extends Module>(name: string, m: M): M {
    assertName(name);
    this._modules.set(name, m);
    return m;
  }

  /** Direct parameters, in registration then property order. */
  *ownParameters(): Generator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    for (const [name, p] of this._params) {
      if (p) {
        seen.add(p);
        yield [name, p];
      }
    }
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_') || this._params.has(key)) continue;
      if (isParameter(value) && !seen.has(value)) yield [key, value];
    }
  }

  /** Direct submodules. */
  *children(): Generator<[string, Module]> {
    for (const [name, m] of this._modules) if (m) yield [name, m];
    for (const [key, value] of Object.entries(this)) {
      if (key.startsWith('_') || this._modules.has(key)) continue;
      if (value instanceof Module) yield [key, value];
      else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Module)) {
        for (let i = 0; i < value.length; i++) yield [`${key}.${i}`, value[i] as Module];
      }
    }
  }

  /** Every parameter with its dotted name (each tensor once, first name wins, as in PyTorch). */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const walk = (m: Module, p: string) => {
      for (const [n, t] of m.ownParameters()) {
        if (!seen.has(t)) {
          seen.add(t);
          out.push([p + n, t]);
        }
      }
      for (const [n, c] of m.children()) walk(c, `${p}${n}.`);
    };
    walk(this, prefix);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters with requiresGrad (what an optimizer gets). */
  trainableParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([, t]) => t.requiresGrad);
  }

  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, c] of this.children()) out.push(...c.namedModules(`${prefix}${n}.`));
    return out;
  }

  /** Number of parameter elements. */
  numParameters(): number {
    return this.parameters().reduce((s, t) => s + t.size, 0);
  }

  /** name -> parameter tensor (the live tensors, not copies). */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [n, t] of this.namedParameters()) out[n] = t;
    return out;
  }

  /**
   * Copy values into the parameters (cast to each parameter's dtype). Errors
   * name every missing and unexpected key (strict) and every shape mismatch.
   */
  loadStateDict(state: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const entries = state instanceof Map ? state : new Map(Object.entries(state));
    const own = new Map(this.namedParameters());
    const missingKeys = [...own.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !own.has(k));
    const problems: string[] = [];
    for (const [k, src] of entries) {
      const dst = own.get(k);
      if (dst && !sameShape(dst.shape, src.shape))
        problems.push(`  ${k}: checkpoint has ${fmt(src.shape)}, the module has ${fmt(dst.shape)}`);
    }
    if (options.strict !== false) {
      if (missingKeys.length) problems.push(`  missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) problems.push(`  unexpected keys: ${unexpectedKeys.join(', ')}`);
    }
    if (problems.length) throw new Error(`loadStateDict (${this.constructor.name}):\n${problems.join('\n')}`);
    noGrad(() => {
      for (const [k, src] of entries) own.get(k)?.assign(src);
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Set requiresGrad on every parameter (freeze with false). */
  requiresGrad_(value: boolean): this {
    for (const t of this.parameters()) t.requiresGrad = value;
    return this;
  }

  /** Clear every parameter's gradient. */
  zeroGrad(): void {
    for (const t of this.parameters()) t.zeroGrad();
  }

  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Release every parameter and gradient. */
  dispose(): void {
    for (const t of this.parameters()) {
      t.zeroGrad();
      t.dispose();
    }
  }
}

function assertName(name: string): void {
  if (!name || name.includes('.')) throw new Error(`module: invalid name '${name}' (non-empty, no '.')`);
}

export { Tensor };
