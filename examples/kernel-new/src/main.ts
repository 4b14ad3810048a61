/**
 * npm start: register a softplus kernel for the cpu backend, use it from
 * @molrl/tensor through kernelOp, and run its check.
 */
import { kernelOp, setBackend, tensor } from '@molrl/tensor';
import { registerSoftplus } from './softplus.js';
import { checkSoftplus } from './check.js';

registerSoftplus();
await setBackend('cpu');
const x = tensor(new Float32Array([-2, -1, 0, 1, 2]), [5]);
const [y] = kernelOp('softplus', [x], { beta: 1 });
console.log(
  'softplus([-2, -1, 0, 1, 2]) =',
  Array.from(await y!.data(), (v) => Number(v.toFixed(4))),
);

const results = await checkSoftplus('cpu');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
if (results.some((r) => !r.ok)) process.exit(1);
console.log(`softplus passes ${results.length} checks on cpu`);
