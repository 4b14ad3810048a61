/**
 * npm start: register a gelu kernel for the cpu backend, use it from
 * @molrl/tensor through kernelOp, and run its conformance-style check.
 */
import { kernelOp, setBackend, tensor } from '@molrl/tensor';
import { registerGelu } from './gelu.js';
import { checkGelu } from './check.js';

registerGelu();
await setBackend('cpu');
const x = tensor(new Float32Array([-2, -1, 0, 1, 2]), [5]);
const [y] = kernelOp('gelu', [x]);
console.log(
  'gelu([-2, -1, 0, 1, 2]) =',
  Array.from(await y!.data(), (v) => Number(v.toFixed(4))),
);

const results = await checkGelu('cpu');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}`);
if (results.some((r) => !r.ok)) process.exit(1);
console.log(`gelu passes ${results.length} checks on cpu`);
