/** Tensor factories: from host values, constants, ranges and seeded random. */
import type { DType } from '@molrl/gpu-backend';
import { isFloat, unknownOptionProblem } from '@molrl/gpu-backend';
import { getBackend } from '../engine.js';
import { StorageRef } from '../storage.js';
import { Tensor } from '../tensor.js';
import { assertShape, fmt, type Shape, sizeOf } from '../shape.js';
import { run1 } from './core.js';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export type NestedNumbers = number | readonly NestedNumbers[];

const CREATE_OPTION_NAMES = ['dtype', 'requiresGrad'];

/**
 * A factory's options, checked before anything is allocated: an unknown key (a
 * misspelt `requires_grad` would leave a parameter without gradients) or a
 * `requiresGrad` that is not a boolean is an error naming the factory.
 */
function checkCreateOptions(fn: string, options: object | undefined, extra: readonly string[] = []): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  const known = [...CREATE_OPTION_NAMES, ...extra];
  const problem = unknownOptionProblem(options, known);
  if (problem) throw new TypeError(`${fn}: ${problem}`);
  const { requiresGrad } = options as CreateOptions;
  if (requiresGrad !== undefined && typeof requiresGrad !== 'boolean')
    throw new TypeError(`${fn}: options.requiresGrad must be a boolean, got ${String(requiresGrad)}`);
}

function finish(t: Tensor, options: CreateOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * The shape of a nested array, read from its first elements ([0], [0][0], ...)
 * and checked against every other: a ragged array is an error naming the path
 * of the first element that differs.
 */
function inferShape(values: NestedNumbers): number[] {
  const shape: number[] = [];
  let v: NestedNumbers = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = (v as readonly NestedNumbers[])[0] ?? 0;
  }
  checkNested(values, shape, 0, []);
  return shape;
}

/** Check `v`, found at `path` (indices), against `shape` from `depth` on. */
function checkNested(v: NestedNumbers, shape: readonly number[], depth: number, path: number[]): void {
  const expected = shape[depth]; // undefined: a number belongs here
  if (!Array.isArray(v)) {
    if (expected !== undefined) raggedAt(path, 'is a number', shape);
    return;
  }
  const items = v as readonly NestedNumbers[];
  if (expected === undefined) raggedAt(path, 'is an array', shape);
  if (items.length !== expected) raggedAt(path, `has length ${items.length}`, shape);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (depth + 1 === shape.length && !Array.isArray(item)) continue; // the common case: a number
    path.push(i);
    checkNested(item, shape, depth + 1, path);
    path.pop();
  }
}

function raggedAt(path: readonly number[], what: string, shape: readonly number[]): never {
  const expected = shape[path.length];
  const first =
    expected === undefined
      ? 'is a number'
      : what === 'is a number'
        ? `is an array of length ${expected}`
        : `has length ${expected}`;
  const at = (p: readonly number[]) => p.map((i) => `[${i}]`).join('');
  throw new Error(`tensor: ragged nested array: ${at(path)} ${what}, ${at(path.map(() => 0))} ${first}`);
}

/**
 * A tensor from host values: a flat or nested array or a typed array, with
 * an optional shape (inferred from nesting when left out). dtype defaults to
 * int32 for an Int32Array and float32 otherwise; float16/bfloat16 are stored
 * converted (round-to-nearest-even).
 */
export function tensor(
  values: NestedNumbers | Float32Array | Int32Array | ArrayLike<number>,
  shape?: readonly number[],
  options?: CreateOptions,
): Tensor {
  checkCreateOptions('tensor', options);
  const dtype: DType = options?.dtype ?? (values instanceof Int32Array ? 'int32' : 'float32');
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (Array.isArray(values)) {
    inferred = inferShape(values as NestedNumbers);
    flat = (values as unknown[]).flat(Infinity) as number[];
  } else {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  }
  const s = shape ?? inferred;
  assertShape(s, 'tensor');
  if (sizeOf(s) !== flat.length) {
    throw new Error(`tensor: ${flat.length} values do not fill shape ${fmt(s)} (${sizeOf(s)} elements)`);
  }
  // A plain array's entries are converted by Float32Array.from / Int32Array.from, which would read
  // '0.5' as 0.5, true as 1 and null as 0 without a word.
  if (!ArrayBuffer.isView(flat))
    for (let i = 0; i < flat.length; i++)
      if (typeof flat[i] !== 'number')
        throw new TypeError(
          `tensor: the value at flat index ${i} is ${JSON.stringify(flat[i]) ?? String(flat[i])}, not a number`,
        );
  const backend = getBackend();
  let host: Float32Array | Int32Array;
  if (dtype === 'int32') {
    if (flat instanceof Int32Array) host = flat;
    else {
      host = Int32Array.from(flat);
      for (let i = 0; i < host.length; i++) {
        if (host[i] !== flat[i]) throw new Error(`tensor: value ${flat[i]} at flat index ${i} is not an int32`);
      }
    }
  } else {
    host = flat instanceof Float32Array ? flat : Float32Array.from(flat);
  }
  const storage = backend.upload(host, dtype);
  return finish(new Tensor(new StorageRef(storage, backend), s, 'tensor'), options);
}

/** A scalar (rank-0) tensor. */
export function scalar(value: number, options?: CreateOptions): Tensor {
  return tensor(value, [], options);
}

export function zeros(shape: Shape, options?: CreateOptions): Tensor {
  checkCreateOptions('zeros', options);
  assertShape(shape, 'zeros');
  const backend = getBackend();
  const storage = backend.alloc(sizeOf(shape), options?.dtype ?? 'float32');
  return finish(new Tensor(new StorageRef(storage, backend), shape, 'zeros'), options);
}

export function ones(shape: Shape, options?: CreateOptions): Tensor {
  return full(shape, 1, options);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number, options?: CreateOptions): Tensor {
  checkCreateOptions('full', options);
  return finish(fill(shape, value, options?.dtype), options);
}

/** @internal full() without options, used by the ops. */
export function fill(shape: Shape, value: number, dtype: DType = 'float32'): Tensor {
  assertShape(shape, 'full');
  return run1('full', 'fill', [], { shape: [...shape], value, dtype });
}

export function zerosLike(t: Tensor, options?: CreateOptions): Tensor {
  return zeros(t.shape, { dtype: t.dtype, ...options });
}

export function onesLike(t: Tensor, options?: CreateOptions): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, ...options });
}

/** Values start, start + step, ... below stop (a single argument is stop). */
export function arange(start: number, stop?: number, step = 1, options?: CreateOptions): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new Error('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = start + i * step;
  return tensor(values, [n], { dtype: options?.dtype ?? 'float32', ...options });
}

let globalSeed = 0x5eed;
let seedCounter = 0;

/** Seed the stream used by randn/rand calls that pass no seed. */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  seedCounter = 0;
}

function nextSeed(): number {
  return (globalSeed + Math.imul(++seedCounter, 0x9e3779b1)) >>> 0;
}

export interface RandomOptions extends CreateOptions {
  /** Counter-based: the same seed gives the same values on every backend. */
  seed?: number;
  /**
   * Where in the seed's stream element 0 lies (default 0; a multiple of 4): rows
   * [r, r + k) of a [R, C] tensor are the [k, C] tensor at offset r * C, so a
   * tensor too large for one device buffer can be made in pieces.
   */
  offset?: number;
}

/** Normal samples (Box-Muller over Philox4x32-10). */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  checkCreateOptions('randn', options, ['seed', 'offset', 'mean', 'std']);
  assertShape(shape, 'randn');
  const t = run1('randn', 'randomNormal', [], {
    shape: [...shape],
    seed: options.seed ?? nextSeed(),
    mean: options.mean ?? 0,
    std: options.std ?? 1,
    ...(options.offset !== undefined && { offset: options.offset }),
  });
  return finish(castIfNeeded(t, options.dtype), options);
}

/** Uniform samples in [low, high), default [0, 1). */
export function rand(shape: Shape, options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  checkCreateOptions('rand', options, ['seed', 'offset', 'low', 'high']);
  assertShape(shape, 'rand');
  const t = run1('rand', 'randomUniform', [], {
    shape: [...shape],
    seed: options.seed ?? nextSeed(),
    low: options.low ?? 0,
    high: options.high ?? 1,
    ...(options.offset !== undefined && { offset: options.offset }),
  });
  return finish(castIfNeeded(t, options.dtype), options);
}

function castIfNeeded(t: Tensor, dtype: DType | undefined): Tensor {
  if (!dtype || dtype === t.dtype) return t;
  if (!isFloat(dtype)) throw new Error(`random: dtype must be a float type, got ${dtype}`);
  const out = run1('cast', 'cast', [t], { dtype });
  t.dispose();
  return out;
}
