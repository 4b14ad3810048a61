import type { TensorInfo } from '../backend.js';
import { broadcastShapes, broadcastStrides, sameShape, stridesOf } from '../shape.js';
import type { GpujsBackend } from './backend.js';
import { deviceKernel, type ArgType, type DeviceKernel } from './device-kernel.js';
import { divFloor, intAt, splitParams, splitTable } from './index-math.js';

/**
 * Elementwise maps over 1 to 3 broadcast inputs. `expr` is a gpu.js
 * expression over the input values, named by `names` (e.g. 'x + y'), after
 * optional `prelude` statements. Two
 * compiled variants per op: equal shapes read every input at the output index;
 * otherwise the output index is decoded once per dim into each input's
 * broadcast offset (Integer index math, see index-math.ts).
 */
export interface ElementwiseOp {
  same: DeviceKernel;
  broadcast: DeviceKernel;
}

const INPUT_NAMES = ['a', 'b', 'c'];

export function elementwiseOp(
  name: string,
  names: readonly string[],
  expr: string,
  extra: ReadonlyArray<readonly [string, ArgType]> = [],
  prelude = '',
): ElementwiseOp {
  const inputs = names.map((_, i) => INPUT_NAMES[i]);
  const reads = (index: (i: number) => string) =>
    names.map((n, i) => `const ${n} = ${inputs[i]}[${index(i)}];`).join('\n');
  const same = deviceKernel(
    `${name}_same`,
    [...inputs.map((i) => [i, 'Array'] as const), ...extra],
    `${reads(() => 'this.thread.x')}\n${prelude}\nreturn ${expr};`,
  );
  const broadcast = deviceKernel(
    `${name}_broadcast`,
    [...inputs.map((i) => [i, 'Array'] as const), ...splitParams('strides'), ['rank', 'Integer'], ...extra],
    `
let rem = this.thread.x;
${inputs.map((i) => `let ${i}i = 0;`).join('\n')}
for (let d = 0; d < rank; d++) {
  const s = ${intAt('strides', 'd')};
  ${divFloor('q', 'rem', 's')}
  rem = rem - q * s;
  ${inputs.map((i, k) => `${i}i = ${i}i + q * ${intAt('strides', `${k + 1} * rank + d`)};`).join('\n  ')}
}
${reads((i) => `${inputs[i]}i`)}
${prelude}
return ${expr};`,
  );
  return { same, broadcast };
}

/** Run `op` over broadcast inputs into a new float32 tensor; `extra` are trailing scalar arguments. */
export function runElementwise(
  be: GpujsBackend,
  kernel: string,
  op: ElementwiseOp,
  inputs: readonly TensorInfo[],
  extra: unknown[] = [],
): TensorInfo {
  const shapes = inputs.map((i) => i.shape);
  const outShape = broadcastShapes(kernel, ...shapes);
  const out = be.output(outShape);
  if (shapes.every((s) => sameShape(s, outShape))) {
    be.launch(op.same, out, () => [...inputs.map((i) => be.floats(i)), ...extra]);
  } else {
    // one table (output strides, then each input's) keeps the kernel within WebGPU's 8 storage buffers
    const strides = splitTable([...stridesOf(outShape), ...shapes.flatMap((s) => broadcastStrides(s, outShape))]);
    be.launch(op.broadcast, out, () => [...inputs.map((i) => be.floats(i)), ...strides, outShape.length, ...extra]);
  }
  return out;
}
