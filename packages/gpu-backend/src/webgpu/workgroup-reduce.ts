const COMBINE = {
  max: 'max(red[lid], red[lid + s])',
  sum: 'red[lid] + red[lid + s]',
} as const;

export type WorkgroupReduction = keyof typeof COMBINE;

/**
 * WGSL tree reductions across a workgroup of `wg` threads (a power of two):
 * `red`, one f32 slot per thread, and `fn wg_<op>(v, lid) -> f32` for each
 * op, which every thread of the workgroup must call.
 */
export function workgroupReductions(wg: number, ops: readonly WorkgroupReduction[]): string {
  const fns = ops.map(
    (op) => /* wgsl */ `fn wg_${op}(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${wg / 2}u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] = ${COMBINE[op]}; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`,
  );
  return `\nvar<workgroup> red: array<f32, ${wg}>;\n${fns.join('\n')}`;
}
