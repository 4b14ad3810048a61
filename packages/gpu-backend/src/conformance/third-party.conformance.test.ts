import { registerBackend } from '../backends.js';
import { CpuBackend } from '../cpu/backend.js';
import { CPU_KERNELS } from '../cpu/register.js';
import { declareUnsupported, registerKernels } from '../registry.js';
import { describeConformance } from './vitest.js';

// A backend registered from outside the package, the way a contributor adds
// one: its own name, its own kernel registrations, one kernel declared
// unsupported. The suite must accept the declared gap and test the rest.
class SubsetBackend extends CpuBackend {
  override readonly name = 'cpu-subset';
}

registerKernels(CPU_KERNELS.filter((k) => k.contract.name !== 'rope').map((k) => ({ ...k, backend: 'cpu-subset' })));
declareUnsupported({
  name: 'rope',
  backend: 'cpu-subset',
  reason: 'rotary embedding is applied on the host by this backend',
});
registerBackend('cpu-subset', async () => new SubsetBackend());

describeConformance('cpu-subset', { kernels: ['rope', 'matmul', 'attention', 'adamw'] });
