export type WebGPUInstall = { ok: true } | { ok: false; reason: string };

let installation: Promise<WebGPUInstall> | null = null;

/**
 * gpu.js's webgpu mode looks for `navigator.gpu` and the `GPUBufferUsage`
 * family of globals, as in a browser. Node has neither, so this provides them
 * from Dawn (the `webgpu` package, 0.4.0: the first release whose binary loads
 * on this project's glibc/libstdc++). Idempotent; leaves an existing
 * `navigator.gpu` (a browser, Deno, or an earlier install) alone.
 */
export function installNodeWebGPU(): Promise<WebGPUInstall> {
  installation ??= install();
  return installation;
}

async function install(): Promise<WebGPUInstall> {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav?.gpu) return { ok: true };
  let dawn: { create(options: string[]): unknown; globals: Record<string, unknown> };
  try {
    dawn = (await import('webgpu')) as unknown as typeof dawn;
  } catch (error) {
    return { ok: false, reason: `the 'webgpu' package (Dawn for Node) did not load: ${(error as Error).message}` };
  }
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const gpu = dawn.create([]);
  if (nav) {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  return { ok: true };
}
