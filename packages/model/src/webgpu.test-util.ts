/** Whether this machine runs the webgpu backend, for tests that skip where it cannot. */
import { setBackend } from '@molrl/tensor';

/** Why webgpu cannot run here (no adapter), or null. */
export const webgpuMissing: string | null = await setBackend('webgpu').then(
  async (b) => {
    await b.dispose();
    return null;
  },
  (e: Error) => e.message.split('\n')[0]!,
);
