import type { create as createGpu } from 'webgpu';
import { backendError } from '../errors.js';

/** What the backend needs from Dawn: the device plus what the adapter said about itself. */
export interface AcquiredDevice {
  device: GPUDevice;
  adapterName: string;
  features: ReadonlySet<string>;
}

export interface DeviceOptions {
  /** 'high-performance' (default) or 'low-power'. */
  powerPreference?: GPUPowerPreference;
  /** Dawn toggles/flags passed to `create`, e.g. ['backend=vulkan']. */
  dawnFlags?: string[];
}

export const NO_ADAPTER_HELP =
  'no WebGPU adapter found. Dawn needs a Vulkan driver: on a GPU machine install the vendor driver and ' +
  "the Vulkan loader (libvulkan1); on a CPU-only Debian bookworm machine install Mesa's lavapipe from " +
  "bookworm-backports (bookworm's own Mesa 22 is too old for Dawn): " +
  'echo "deb http://deb.debian.org/debian bookworm-backports main" > /etc/apt/sources.list.d/backports.list && ' +
  'apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers libvulkan1. ' +
  'Check with `vulkaninfo --summary` (package vulkan-tools).';

const gpus = new Map<string, Promise<GPU>>();

async function loadGpu(flags: string[]): Promise<GPU> {
  let mod: { create: typeof createGpu };
  try {
    mod = (await import('webgpu')) as { create: typeof createGpu };
  } catch (err) {
    throw backendError(
      'webgpu',
      'ready',
      `the 'webgpu' package (Dawn for Node) failed to load: ${(err as Error).message}. ` +
        'It ships prebuilt binaries for linux-x64/arm64, darwin and win32 and needs a recent libstdc++.',
      { cause: err },
    );
  }
  return mod.create(flags);
}

/** Request an adapter and a device with the adapter's full limits. */
export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  // One Dawn instance per set of flags and process: creating several is slow and holds driver state.
  const flags = options.dawnFlags ?? [];
  let gpuPromise = gpus.get(flags.join(','));
  if (!gpuPromise) gpus.set(flags.join(','), (gpuPromise = loadGpu(flags)));
  const gpu = await gpuPromise;
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw backendError('webgpu', 'ready', NO_ADAPTER_HELP);
  const wanted: GPUFeatureName[] = [];
  for (const f of ['shader-f16', 'timestamp-query', 'subgroups'] as GPUFeatureName[]) {
    if (adapter.features.has(f)) wanted.push(f);
  }
  const limits: Record<string, number> = {};
  for (const name of [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxStorageBuffersPerShaderStage',
  ] as const) {
    limits[name] = adapter.limits[name];
  }
  const device = await adapter.requestDevice({ requiredFeatures: wanted, requiredLimits: limits });
  const info = adapter.info;
  // Dawn's device string names the chip ("nvidia-h200", "llvmpipe-..."), the description the driver.
  const adapterName =
    [info.device, info.description].filter((s) => typeof s === 'string' && s.trim().length > 0).join(' / ') ||
    info.vendor ||
    'unknown WebGPU adapter';
  return { device, adapterName, features: new Set(wanted as string[]) };
}
