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

interface UntypedRun {
  run(name: string, inputs: readonly TensorInfo[], attrs?: KernelAttrs): TensorInfo[];
}
