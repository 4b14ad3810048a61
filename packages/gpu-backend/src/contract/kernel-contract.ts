/**
 * A kernel's contract: its name, inputs, attributes (as types, see
 * attr-types.ts), outputs and what it computes. Every backend implements the
 * same contract; `run` checks calls against it; the README kernel table and
 * `KERNEL_SPECS` are generated from it.
 */
import type { DType } from '../dtype.js';
import type { TensorInfo } from '../backend.js';
import { attrProblems, schemaText, type AttrSchema, type AttrsOfSchema, type AttrType } from './attr-types.js';
import { kernelError } from '../errors.js';

export interface InputSpec {
  readonly name: string;
  /** Shape and meaning as the README writes them: '[..., M, K]'. */
  readonly doc?: string;
  /** A required storage dtype (index inputs are int32); absent: any dtype the kernel documents. */
  readonly dtype?: DType;
  /** May be left out; optional inputs come last. */
  readonly optional?: boolean;
  /** The last input may repeat (one or more): concat's parts. */
  readonly variadic?: boolean;
}

export interface OutputSpec {
  readonly name: string;
  /** Shape and dtype as the README writes them. */
  readonly doc?: string;
}

export interface KernelContract<Name extends string = string, Attrs extends AttrSchema = AttrSchema> {
  readonly name: Name;
  /** What the kernel computes, in a sentence or a formula. */
  readonly doc: string;
  readonly inputs: readonly InputSpec[];
  readonly attrs: Attrs;
  /** The storages `run` returns, in order (none for a kernel that works in place). */
  readonly outputs: readonly OutputSpec[];
  /** Inputs the kernel updates in place (their indices); kernels write no other input. */
  readonly inPlace?: readonly number[];
}

/** Declare a kernel contract; literal types are kept so `run` can check attrs per kernel. */
export function defineKernel<const Name extends string, const Attrs extends AttrSchema>(
  contract: KernelContract<Name, Attrs>,
): KernelContract<Name, Attrs> {
  const { name, inputs } = contract;
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    throw new Error(`defineKernel: name '${name}' must be an identifier (letters and digits, a letter first)`);
  }
  inputs.forEach((input, i) => {
    const later = inputs.slice(i + 1);
    if (input.variadic && later.length > 0)
      throw new Error(`defineKernel('${name}'): only the last input may be variadic`);
    if (input.optional && later.some((x) => !x.optional))
      throw new Error(`defineKernel('${name}'): optional inputs must come last`);
  });
  return Object.freeze(contract);
}

/** The attrs type of a contract. */
export type ContractAttrs<C extends KernelContract> = AttrsOfSchema<C['attrs']>;

/** The entry `KernelTypes` holds for a contract (see kernel-types.ts). */
export interface KernelTypeOf<C extends KernelContract> {
  attrs: ContractAttrs<C>;
}

/** How many inputs a contract accepts: [min, max], max Infinity for a variadic last input. */
export function inputCount(contract: KernelContract): [min: number, max: number] {
  const { inputs } = contract;
  const min = inputs.filter((x) => !x.optional).length;
  const max = inputs.length > 0 && inputs[inputs.length - 1].variadic ? Infinity : inputs.length;
  return [min, max];
}

/**
 * Check a call against the contract: input count, input dtypes the contract
 * fixes, and the attrs. Throws the first problem, naming the kernel. Runs on
 * every `run`, so what can be is worked out once per contract.
 */
export function checkCall(contract: KernelContract, inputs: readonly TensorInfo[], attrs: unknown): void {
  let plan = plans.get(contract);
  if (!plan) plans.set(contract, (plan = callPlan(contract)));
  const { name } = contract;
  if (inputs.length < plan.min || inputs.length > plan.max) {
    throw kernelError(name, `expected ${plan.expected}, got ${inputs.length}`);
  }
  for (const [i, dtype] of plan.dtypes) {
    if (i >= inputs.length) break;
    const actual = inputs[i].storage.dtype;
    if (actual !== dtype)
      throw kernelError(name, `input ${i} (${contract.inputs[i].name}) must be ${dtype}, got ${actual}`);
  }
  if (attrs === null || typeof attrs !== 'object')
    throw kernelError(name, attrProblems(contract.attrs, attrs).join('; '));
  // Fast path: every given attribute known and of its type, every required one given.
  let given = 0;
  for (const k in attrs) {
    const type = plan.schema[k];
    const value = (attrs as Record<string, unknown>)[k];
    if (type === undefined || (value !== undefined && !type.is(value))) return failAttrs(contract, attrs);
    if (value !== undefined && !type.optional) given++;
  }
  if (given !== plan.required) failAttrs(contract, attrs);
}

function failAttrs(contract: KernelContract, attrs: unknown): void {
  const problems = attrProblems(contract.attrs, attrs);
  if (problems.length > 0) throw kernelError(contract.name, problems.join('; '));
}

interface CallPlan {
  min: number;
  max: number;
  expected: string;
  /** Inputs whose dtype the contract fixes. */
  dtypes: [index: number, dtype: DType][];
  schema: AttrSchema;
  required: number;
}

const plans = new WeakMap<KernelContract, CallPlan>();

function callPlan(contract: KernelContract): CallPlan {
  const [min, max] = inputCount(contract);
  const count = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
  const names = contract.inputs.map((x) => (x.optional ? `${x.name}?` : x.variadic ? `${x.name}...` : x.name));
  const dtypes: [number, DType][] = [];
  contract.inputs.forEach((x, i) => x.dtype && dtypes.push([i, x.dtype]));
  return {
    min,
    max,
    expected: `${count} input${count === '1' ? '' : 's'} (${names.join(', ') || 'none'})`,
    dtypes,
    // Without a prototype, so an attribute called 'constructor' is unknown, not Object's.
    schema: Object.assign(Object.create(null) as Record<string, AttrType<unknown>>, contract.attrs),
    required: Object.values(contract.attrs).filter((t) => !t.optional).length,
  };
}

/** The README's text of the inputs: 'x [..., D], weight [D]'. */
export function inputsText(contract: KernelContract): string {
  if (contract.inputs.length === 0) return '-';
  return contract.inputs
    .map((x) =>
      [x.optional ? 'optional' : '', x.variadic ? `${x.name}...` : x.name, x.dtype ?? '', x.doc ?? '']
        .filter(Boolean)
        .join(' '),
    )
    .join(', ');
}

export function attrsText(contract: KernelContract): string {
  const text = schemaText(contract.attrs);
  const notes = Object.entries(contract.attrs)
    .filter(([, type]) => type.doc)
    .map(([name, type]) => `${name}: ${type.doc}`);
  return notes.length ? `${text}; ${notes.join('; ')}` : text;
}

export function outputsText(contract: KernelContract): string {
  if (contract.outputs.length === 0) {
    const updated = (contract.inPlace ?? []).map((i) => contract.inputs[i]?.name ?? `input ${i}`);
    return updated.length ? `none: updates ${updated.join(', ')} in place` : '-';
  }
  return contract.outputs.map((o) => [o.name, o.doc ?? ''].filter(Boolean).join(' ')).join(', ');
}
