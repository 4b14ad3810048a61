import type { KernelFunc, TensorInfo } from '../../backend.js';
import type { SliceAttrs, SliceGradAttrs } from '../../kernel-math/slice.js';
import type { WebgpuBackend } from '../backend.js';
import { FLAT_BUILTINS, FLAT_WG, grid, type Params } from '../program.js';
import { buf, gpu, normAxis, output, requireInputs, sizeOf, stridesOf, WG } from './util.js';

/** Data movement works on 32-bit words, so float32 and int32 move bit-exactly; 16-bit storages are cast first. */
function require32(x: TensorInfo, name: string): void {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`kernel '${name}': ${x.dtype} input is not supported (cast to float32 first)`);
  }
}

/** Gather out[i] = x[offset(i)] where offset is a strided map of the output coordinates. */
function stridedCopy(
  b: WebgpuBackend,
  name: string,
  x: TensorInfo,
  outShape: number[],
  inStrides: number[],
  inBase: number,
): TensorInfo {
  const out = output(b, outShape, x.dtype);
  const n = sizeOf(outShape);
  if (n === 0) return out;
  // drop size-1 dims and merge dims that stay contiguous in the input
  const dims: number[] = [];
  const strides: number[] = [];
  outShape.forEach((d, i) => {
    if (d === 1) return;
    const last = dims.length - 1;
    if (last >= 0 && strides[last] === inStrides[i]! * d) {
      dims[last] = dims[last]! * d;
      strides[last] = inStrides[i]!;
    } else {
      dims.push(d);
      strides.push(inStrides[i]!);
    }
  });
  const params: Params = { n: ['u32', n], base: ['u32', inBase] };
  let index = 'var off = u.base; var rem = i;';
  for (let d = dims.length - 1; d >= 0; d--) {
    params[`d${d}`] = ['u32', dims[d]!];
    params[`s${d}`] = ['u32', strides[d]!];
    index += ` { let c = rem % u.d${d}; rem = rem / u.d${d}; off += c * u.s${d}; }`;
  }
  b.dispatch({
    name,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  O[i] = X[off];
}`,
    params,
    buffers: [buf(x, name, 'x'), buf(out, name)],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
}

export const transpose: KernelFunc<{ perm: number[] }> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 1, 'transpose');
  const x = inputs[0]!;
  require32(x, 'transpose');
  const rank = x.shape.length;
  const perm = attrs.perm ?? [...x.shape.keys()].reverse();
  if (perm.length !== rank || new Set(perm.map((p) => normAxis(p, rank, 'transpose'))).size !== rank) {
    throw new Error(`kernel 'transpose': perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
  const st = stridesOf(x.shape);
  const p = perm.map((a) => normAxis(a, rank, 'transpose'));
  return stridedCopy(
    gpu(backend),
    'transpose',
    x,
    p.map((a) => x.shape[a]!),
    p.map((a) => st[a]!),
    0,
  );
};

export const slice: KernelFunc<SliceAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 1, 'slice');
  const x = inputs[0]!;
  require32(x, 'slice');
  const rank = x.shape.length;
  if (attrs.begin?.length !== rank || attrs.size?.length !== rank) {
    throw new Error(
      `kernel 'slice': begin [${attrs.begin}] and size [${attrs.size}] need ${rank} entries for x [${x.shape.join(', ')}]`,
    );
  }
  const size = attrs.size.map((s, i) => (s === -1 ? x.shape[i]! - attrs.begin[i]! : s));
  size.forEach((s, i) => {
    const b0 = attrs.begin[i]!;
    if (b0 < 0 || s < 0 || b0 + s > x.shape[i]!) {
      throw new Error(`kernel 'slice': axis ${i}: begin ${b0} size ${attrs.size[i]} is outside [0, ${x.shape[i]})`);
    }
  });
  const st = stridesOf(x.shape);
  const base = attrs.begin.reduce((acc, b0, i) => acc + b0 * st[i]!, 0);
  return stridedCopy(gpu(backend), 'slice', x, size, st, base);
};

/** Zeros of inputShape with dy at begin: one thread per output element, reading dy inside the window. */
export const sliceGrad: KernelFunc<SliceGradAttrs> = ({ inputs, attrs, backend }) => {
  requireInputs(inputs, 1, 'sliceGrad');
  const b = gpu(backend);
  const dy = inputs[0]!;
  require32(dy, 'sliceGrad');
  const shape = attrs.inputShape;
  const rank = shape.length;
  if (attrs.begin?.length !== rank || dy.shape.length !== rank) {
    throw new Error(
      `kernel 'sliceGrad': begin [${attrs.begin}], dy [${dy.shape.join(', ')}] and inputShape [${shape.join(', ')}] need equal ranks`,
    );
  }
  dy.shape.forEach((d, i) => {
    if (attrs.begin[i]! < 0 || attrs.begin[i]! + d > shape[i]!) {
      throw new Error(
        `kernel 'sliceGrad': axis ${i}: dy extent ${d} at ${attrs.begin[i]} exceeds inputShape ${shape[i]}`,
      );
    }
  });
  const out = output(b, shape, dy.dtype);
  const n = sizeOf(shape);
  if (n === 0) return out;
  if (sizeOf(dy.shape) === 0) {
    b.clear(out.storage);
    return out;
  }
  const dst = stridesOf(dy.shape);
  const params: Params = { n: ['u32', n] };
  let index = 'var off = 0u; var inside = true; var rem = i;';
  for (let d = rank - 1; d >= 0; d--) {
    params[`d${d}`] = ['u32', shape[d]!];
    params[`b${d}`] = ['u32', attrs.begin[d]!];
    params[`e${d}`] = ['u32', attrs.begin[d]! + dy.shape[d]!];
    params[`s${d}`] = ['u32', dst[d]!];
    index += ` { let c = rem % u.d${d}; rem = rem / u.d${d}; inside = inside && c >= u.b${d} && c < u.e${d}; off += (c - u.b${d}) * u.s${d}; }`;
  }
  b.dispatch({
    name: 'sliceGrad',
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> DY: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  O[i] = select(0u, DY[select(0u, off, inside)], inside);
}`,
    params,
    buffers: [buf(dy, 'sliceGrad', 'dy'), buf(out, 'sliceGrad')],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
};

/** One dispatch per input, each copying its block of columns into the output rows. */
export const concat: KernelFunc<{ axis: number }> = ({ inputs, attrs, backend }) => {
  if (inputs.length === 0) throw new Error(`kernel 'concat': needs at least one input`);
  const b = gpu(backend);
  const first = inputs[0]!;
  const rank = first.shape.length;
  const axis = normAxis(attrs.axis, rank, 'concat');
  inputs.forEach((x, k) => {
    require32(x, 'concat');
    if (x.dtype !== first.dtype)
      throw new Error(`kernel 'concat': input ${k} is ${x.dtype}, input 0 is ${first.dtype}`);
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      throw new Error(
        `kernel 'concat': input ${k} [${x.shape.join(', ')}] does not match input 0 [${first.shape.join(', ')}] outside axis ${axis}`,
      );
    }
  });
  const total = inputs.reduce((acc, x) => acc + x.shape[axis]!, 0);
  const outShape = first.shape.map((d, i) => (i === axis ? total : d));
  const out = output(b, outShape, first.dtype);
  const outer = sizeOf(first.shape.slice(0, axis));
  const innerRest = sizeOf(first.shape.slice(axis + 1));
  const outRow = total * innerRest;
  let col = 0;
  for (const x of inputs) {
    const row = x.shape[axis]! * innerRest;
    const n = outer * row;
    if (n > 0) {
      b.dispatch({
        name: 'concat',
        code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  O[(i / u.row) * u.outRow + u.col + i % u.row] = X[i];
}`,
        params: { n: ['u32', n], row: ['u32', row], outRow: ['u32', outRow], col: ['u32', col] },
        buffers: [buf(x, 'concat', 'x'), buf(out, 'concat')],
        workgroups: grid(Math.ceil(n / WG)),
      });
    }
    col += row;
  }
  return out;
};
