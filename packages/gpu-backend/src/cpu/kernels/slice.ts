import type { KernelArgs } from '../../backend.js';
import type { KernelConfig } from '../../registry.js';
import { assertInputCount, fmt, kernelError } from '../../shape.js';
import { copyBlock } from '../copy-block.js';
import { output, rawInput } from '../host.js';

export interface SliceAttrs {
  begin: number[];
  size: number[];
  [attr: string]: unknown;
}

export interface SliceGradAttrs {
  begin: number[];
  inputShape: number[];
  [attr: string]: unknown;
}

/** Resolve slice attrs against a shape (size -1 = to the end), validating bounds. */
export function sliceSize(kernel: string, shape: readonly number[], begin: readonly number[], size: readonly number[]): number[] {
  if (!Array.isArray(begin) || !Array.isArray(size) || begin.length !== shape.length || size.length !== shape.length) {
    throw kernelError(kernel, `begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} must have one entry per axis of ${fmt(shape)}`);
  }
  return shape.map((dim, i) => {
    const b = begin[i];
    const s = size[i] === -1 ? dim - b : size[i];
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > dim) {
      throw kernelError(kernel, `begin ${fmt(begin)} size ${fmt(size)} is out of bounds for ${fmt(shape)} at axis ${i}`);
    }
    return s;
  });
}

/** x[begin : begin + size], any dtype. */
export const sliceKernel: KernelConfig = {
  name: 'slice',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<SliceAttrs>) => {
    assertInputCount('slice', inputs, 1);
    const [xInfo] = inputs;
    const size = sliceSize('slice', xInfo.shape, attrs.begin, attrs.size);
    const out = output(backend, size, xInfo.storage.dtype);
    copyBlock(rawInput(backend, xInfo, 'slice'), xInfo.shape, attrs.begin, out.data, size, size.map(() => 0), size);
    return out.info;
  },
};

/** zeros(inputShape) with dy written at begin: the gradient of slice. */
export const sliceGradKernel: KernelConfig = {
  name: 'sliceGrad',
  backend: 'cpu',
  kernel: ({ inputs, attrs, backend }: KernelArgs<SliceGradAttrs>) => {
    assertInputCount('sliceGrad', inputs, 1);
    const [dyInfo] = inputs;
    const inputShape = attrs.inputShape;
    if (!Array.isArray(inputShape)) throw kernelError('sliceGrad', `attrs.inputShape must be an array, got ${String(inputShape)}`);
    sliceSize('sliceGrad', inputShape, attrs.begin, dyInfo.shape);
    const out = output(backend, inputShape, dyInfo.storage.dtype);
    copyBlock(rawInput(backend, dyInfo, 'sliceGrad'), dyInfo.shape, dyInfo.shape.map(() => 0), out.data, inputShape, attrs.begin, dyInfo.shape);
    return out.info;
  },
};
