/**
 * The one error format of every backend, so a message reads the same
 * whichever backend raised it:
 * - a kernel's errors start with the kernel's name: `rmsNorm: weight [3] must be [4] to match x [2, 4]`;
 * - a backend operation's errors start with the backend and the operation:
 *   `webgpu.alloc: size must be a non-negative integer, got -1`.
 */

export function kernelError(kernel: string, message: string, options?: ErrorOptions): Error {
  return new Error(`${kernel}: ${message}`, options);
}

export function backendError(backend: string, operation: string, message: string, options?: ErrorOptions): Error {
  return new Error(`${backend}.${operation}: ${message}`, options);
}
