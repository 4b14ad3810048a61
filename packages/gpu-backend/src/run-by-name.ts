import type { Backend, KernelAttrs, TensorInfo } from './backend.js';

/**
 * `backend.run` for code that holds kernel names as data (a table of
 * benchmark cases, the conformance suite, a kernel defined at run time):
 * no compile-time check of the name and attrs, the same run-time check of
 * both against the kernel's contract.
 */
export function runByName(
  backend: Backend,
  name: string,
  inputs: readonly TensorInfo[],
  attrs: KernelAttrs = {},
): TensorInfo[] {
  return (backend as unknown as UntypedRun).run(name, inputs, attrs);
}

/** The one output of a single-output kernel run by name (a composition of kernels inside another). */
export function runOneByName(
  backend: Backend,
  name: string,
  inputs: readonly TensorInfo[],
  attrs: KernelAttrs = {},
): TensorInfo {
  return runByName(backend, name, inputs, attrs)[0]!;
}

interface UntypedRun {
  run(name: string, inputs: readonly TensorInfo[], attrs?: KernelAttrs): TensorInfo[];
}
