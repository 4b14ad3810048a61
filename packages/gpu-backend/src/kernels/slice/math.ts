/** Slice attributes and their resolution against a shape, shared by the backends. */
import { fmt, kernelError } from '../../shape.js';

/** Resolve slice attrs against a shape (size -1 = to the end), validating bounds. */
export function sliceSize(
  kernel: string,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): number[] {
  if (!Array.isArray(begin) || !Array.isArray(size) || begin.length !== shape.length || size.length !== shape.length) {
    throw kernelError(
      kernel,
      `begin ${JSON.stringify(begin)} and size ${JSON.stringify(size)} must have one entry per axis of ${fmt(shape)}`,
    );
  }
  return shape.map((dim, i) => {
    const b = begin[i];
    const s = size[i] === -1 ? dim - b : size[i];
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > dim) {
      throw kernelError(
        kernel,
        `begin ${fmt(begin)} size ${fmt(size)} is out of bounds for ${fmt(shape)} at axis ${i}`,
      );
    }
    return s;
  });
}
