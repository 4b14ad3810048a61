import type { TensorInfo } from '../backend.js';
import { kernelError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { WebgpuBackend } from './backend.js';
import { buf, output, WG } from './kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from './program.js';
import { shaderTemplate } from './shader.js';

/** Data movement works on 32-bit words, so float32 and int32 move bit-exactly; 16-bit storages are cast first. */
export function assert32(kernel: string, x: TensorInfo): void {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw kernelError(kernel, `a ${x.dtype} input is not supported (cast it to float32 first)`);
  }
}

/** out[i] = x[base + sum_d c_d * s_d] over the output coordinates c; parameterised by the rank after merging. */
const STRIDED_COPY = shaderTemplate('stridedCopy', ({ rank }: { rank: number }) => {
  const uniforms: [string, 'u32'][] = [
    ['n', 'u32'],
    ['base', 'u32'],
  ];
  let index = 'var off = u.base; var rem = i;';
  for (let d = rank - 1; d >= 0; d--) {
    uniforms.push([`d${d}`, 'u32'], [`s${d}`, 'u32']);
    index += ` { let c = rem % u.d${d}; rem = rem / u.d${d}; off += c * u.s${d}; }`;
  }
  return {
    uniforms,
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> X: array<u32>;
@group(0) @binding(2) var<storage, read_write> O: array<u32>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.n) { return; }
  ${index}
  O[i] = X[off];
}`,
  };
});

/** Gather out[i] = x[offset(i)] where offset is a strided map of the output coordinates. */
export function stridedCopy(
  b: WebgpuBackend,
  kernel: string,
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
  const uniforms: Record<string, number> = { n, base: inBase };
  dims.forEach((d, i) => {
    uniforms[`d${i}`] = d;
    uniforms[`s${i}`] = strides[i]!;
  });
  b.dispatch({
    shader: STRIDED_COPY,
    params: { rank: dims.length },
    uniforms,
    buffers: [buf(x, kernel, 'x'), buf(out, kernel)],
    workgroups: grid(Math.ceil(n / WG)),
  });
  return out;
}
