import { acquireDevice, NO_ADAPTER_HELP } from './device.js';

/** Whether this machine has a WebGPU adapter (for tests and benchmarks that skip without one). */
export async function probeWebgpu(): Promise<
  { available: true; adapter: string } | { available: false; reason: string }
> {
  try {
    const { device, adapterName } = await acquireDevice();
    device.destroy();
    return { available: true, adapter: adapterName };
  } catch (err) {
    const msg = (err as Error).message;
    return { available: false, reason: msg.includes('no WebGPU adapter') ? NO_ADAPTER_HELP : msg };
  }
}
