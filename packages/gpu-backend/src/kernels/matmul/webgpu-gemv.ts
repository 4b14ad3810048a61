import type { TensorInfo } from '../../backend.js';
import { sizeOf } from '../../shape.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, output } from '../../webgpu/kernel-util.js';
import { operandDecl, operandEnables, type OperandFormat } from '../../webgpu/operand.js';
import { grid } from '../../webgpu/program.js';
import { shaderTemplate, type UniformLayout } from '../../webgpu/shader.js';
import { planMatmul, type MatmulPlan } from './webgpu-plan.js';

/** Rows of A (all batches together) up to which a product with an unbatched b runs as a GEMV. */
export const GEMV_MAX_ROWS = 8;

/** Threads that share one output's dot product (b [N, K]: along K). */
const DOT_THREADS = 64;
/** Outputs (rows of b [N, K]) per workgroup. */
const DOT_COLS = 4;
/** b [K, N]: lanes of four adjacent columns, and the slices K is split into, per workgroup. */
const COL_LANES = 32;
const K_SLICES = 4;

type GemvParams = {
  /** Rows of A, baked in so the accumulators are a fixed register array. */
  rows: number;
  tA: boolean;
  fa: OperandFormat;
  fb: OperandFormat;
  /** Loads of four consecutive elements (K % 4 == 0 for b [N, K], N % 4 == 0 for b [K, N]). */
  vec: boolean;
  /**
   * b [N, K] only: the rank R of a low-rank term added to every output,
   * scale * T[m, :] . U[n, :] with T [rows, R] and U [N, R] float32 (an
   * unmerged LoRA adapter: T = x A^T); 0 for none.
   */
  lowRank?: number;
};

/**
 * b [N, K] (a weight as Linear stores it, `transposeB`): each workgroup owns
 * four outputs; its 64 threads walk K together, so every row of b is read
 * once, in contiguous runs across the threads (what bounds decoding: the
 * weight's bytes). Partial sums meet in workgroup memory.
 */
const GEMV_DOT = shaderTemplate('matmul.gemvDot', ({ rows: R, tA, fa, fb, vec, lowRank = 0 }: GemvParams) => {
  const acc = R * DOT_COLS;
  // A(m, k): a [R, K] or, transposed, [K, R].
  const aAt = (m: string, k: string) => (tA ? `(${k}) * ${R}u + ${m}` : `${m} * u.K + ${k}`);
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  L(operandDecl('A', 1, fa, vec && !tA));
  L(operandDecl('B', 2, fb, vec));
  L('@group(0) @binding(3) var<storage, read_write> C: array<f32>;');
  if (lowRank > 0) {
    L('@group(0) @binding(4) var<storage, read> T: array<f32>;');
    L('@group(0) @binding(5) var<storage, read> U: array<f32>;');
  }
  L(`var<workgroup> red: array<f32, ${DOT_THREADS * acc}>;`);
  L(
    `@compute @workgroup_size(${DOT_THREADS}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
  );
  L(`  let n0 = (wid.x + wid.y * nwg.x) * ${DOT_COLS}u;`);
  L(`  var acc: array<f32, ${acc}>;`);
  L(`  for (var i = 0u; i < ${acc}u; i++) { acc[i] = 0.0; }`);
  // Columns past N read row N - 1 (in bounds) and are never written.
  for (let c = 0; c < DOT_COLS; c++) L(`  let bRow${c} = min(n0 + ${c}u, u.N - 1u) * u.K;`);
  if (vec) {
    L(`  for (var k = lid * 4u; k < u.K; k += ${DOT_THREADS * 4}u) {`);
    for (let c = 0; c < DOT_COLS; c++) L(`    let b${c} = ldB4((bRow${c} + k) / 4u);`);
    for (let m = 0; m < R; m++) {
      if (!tA) L(`    let a${m} = ldA4((${aAt(`${m}u`, 'k')}) / 4u);`);
      else {
        const at = (d: number) => `ldA(${aAt(`${m}u`, `k + ${d}u`)})`;
        L(`    let a${m} = vec4<f32>(${at(0)}, ${at(1)}, ${at(2)}, ${at(3)});`);
      }
      for (let c = 0; c < DOT_COLS; c++) L(`    acc[${m * DOT_COLS + c}] += dot(a${m}, b${c});`);
    }
    L('  }');
  } else {
    L(`  for (var k = lid; k < u.K; k += ${DOT_THREADS}u) {`);
    for (let c = 0; c < DOT_COLS; c++) L(`    let b${c} = ldB(bRow${c} + k);`);
    for (let m = 0; m < R; m++) {
      L(`    let a${m} = ldA(${aAt(`${m}u`, 'k')});`);
      for (let c = 0; c < DOT_COLS; c++)
        L(`    acc[${m * DOT_COLS + c}] = fma(a${m}, b${c}, acc[${m * DOT_COLS + c}]);`);
    }
    L('  }');
  }
  L(`  for (var i = 0u; i < ${acc}u; i++) { red[i * ${DOT_THREADS}u + lid] = acc[i]; }`);
  L('  workgroupBarrier();');
  // One thread per output sums the 64 partial sums.
  L(`  if (lid < ${acc}u) {`);
  L(`    var s = 0.0;`);
  L(`    for (var t = 0u; t < ${DOT_THREADS}u; t++) { s += red[lid * ${DOT_THREADS}u + t]; }`);
  L(`    let m = lid / ${DOT_COLS}u;`);
  L(`    let n = n0 + lid % ${DOT_COLS}u;`);
  if (lowRank > 0) {
    L('    if (n < u.N) {');
    L('      var low = 0.0;');
    L(
      `      for (var j = 0u; j < ${lowRank}u; j++) { low = fma(T[m * ${lowRank}u + j], U[n * ${lowRank}u + j], low); }`,
    );
    L('      C[m * u.N + n] = s + low * u.scale;');
    L('    }');
  } else L('    if (n < u.N) { C[m * u.N + n] = s; }');
  L('  }');
  L('}');
  const uniforms: UniformLayout = [
    ['N', 'u32'],
    ['K', 'u32'],
  ];
  return {
    enable: operandEnables(fa, fb),
    uniforms: lowRank > 0 ? [...uniforms, ['scale', 'f32']] : uniforms,
    code: lines.join('\n'),
  };
});

/**
 * b [K, N] (not transposed): each workgroup owns 128 adjacent outputs, four
 * per lane (vec4 loads of a row of b), and splits K into four interleaved
 * slices whose partial sums meet in workgroup memory.
 */
const GEMV_COLS = shaderTemplate('matmul.gemvCols', ({ rows: R, tA, fa, fb, vec }: GemvParams) => {
  const aAt = (m: string, k: string) => (tA ? `(${k}) * ${R}u + ${m}` : `${m} * u.K + ${k}`);
  const threads = COL_LANES * K_SLICES;
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);
  L(operandDecl('A', 1, fa, false));
  L(operandDecl('B', 2, fb, vec));
  L('@group(0) @binding(3) var<storage, read_write> C: array<f32>;');
  L(`var<workgroup> red: array<vec4<f32>, ${threads * R}>;`);
  L(
    `@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
  );
  L(`  let lane = lid % ${COL_LANES}u;`);
  L(`  let slice = lid / ${COL_LANES}u;`);
  L(`  let n0 = ((wid.x + wid.y * nwg.x) * ${COL_LANES}u + lane) * 4u;`);
  L(`  var acc: array<vec4<f32>, ${R}>;`);
  L(`  for (var m = 0u; m < ${R}u; m++) { acc[m] = vec4<f32>(0.0); }`);
  L('  if (n0 < u.N) {');
  L(`    for (var k = slice; k < u.K; k += ${K_SLICES}u) {`);
  if (vec) L('      let b = ldB4((k * u.N + n0) / 4u);');
  else {
    const at = (d: number) => `ldB(k * u.N + min(n0 + ${d}u, u.N - 1u))`;
    L(`      let b = vec4<f32>(${at(0)}, ${at(1)}, ${at(2)}, ${at(3)});`);
  }
  for (let m = 0; m < R; m++) L(`      acc[${m}] = fma(vec4<f32>(ldA(${aAt(`${m}u`, 'k')})), b, acc[${m}]);`);
  L('    }');
  L('  }');
  L(`  for (var m = 0u; m < ${R}u; m++) { red[m * ${threads}u + lid] = acc[m]; }`);
  L('  workgroupBarrier();');
  L(`  if (slice == 0u && n0 < u.N) {`);
  L(`    for (var m = 0u; m < ${R}u; m++) {`);
  L('      var s = vec4<f32>(0.0);');
  L(`      for (var p = 0u; p < ${K_SLICES}u; p++) { s += red[m * ${threads}u + p * ${COL_LANES}u + lane]; }`);
  L('      for (var d = 0u; d < 4u; d++) { if (n0 + d < u.N) { C[m * u.N + n0 + d] = s[d]; } }');
  L('    }');
  L('  }');
  L('}');
  return {
    enable: operandEnables(fa, fb),
    uniforms: [
      ['N', 'u32'],
      ['K', 'u32'],
    ],
    code: lines.join('\n'),
  };
});

/**
 * Whether a product runs as a GEMV: an unbatched b (a weight) against at
 * most `GEMV_MAX_ROWS` rows of a, all batches together (decoding through a
 * linear layer). A transposed a only without batch (its rows are then one matrix).
 */
export function gemvApplies(plan: MatmulPlan, b: TensorInfo): boolean {
  const rows = plan.M * plan.batch;
  const bBatch = sizeOf(b.shape.slice(0, -2));
  return bBatch === 1 && rows >= 1 && rows <= GEMV_MAX_ROWS && (!plan.tA || plan.batch === 1) && plan.K > 0;
}

/** A low-rank term added to every output of a GEMV against b [N, K]: scale * t u^T, t [rows, R] and u [N, R] float32. */
export interface GemvLowRank {
  t: TensorInfo;
  u: TensorInfo;
  scale: number;
}

/**
 * A few rows of a against an unbatched b, reading b once (see `gemvApplies`);
 * with `lowRank` (b [N, K] only) each output also gets its low-rank term, in
 * the same launch.
 */
export function matmulGemv(
  backend: WebgpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  attrs: { transposeA?: boolean; transposeB?: boolean },
  lowRank?: GemvLowRank,
): TensorInfo {
  const plan = planMatmul(backend, 'matmul', a, b, attrs);
  if (!gemvApplies(plan, b)) {
    throw new Error(
      `matmul (gemv): needs an unbatched b and at most ${GEMV_MAX_ROWS} rows of a, got a [${a.shape.join(', ')}], b [${b.shape.join(', ')}]`,
    );
  }
  const out = output(backend, plan.outShape);
  const rows = plan.M * plan.batch;
  const buffers = [buf(a, 'matmul', 'a'), buf(b, 'matmul', 'b'), buf(out, 'matmul')];
  const uniforms = { N: plan.N, K: plan.K };
  if (lowRank && !plan.tB) throw new Error('matmul (gemv): a low-rank term needs b [N, K] (transposeB)');
  if (plan.tB) {
    const rank = lowRank ? lowRank.u.shape[1]! : 0;
    if (lowRank) buffers.push(buf(lowRank.t, 'matmul', 'lowRank.t'), buf(lowRank.u, 'matmul', 'lowRank.u'));
    backend.dispatch({
      shader: GEMV_DOT,
      params: { rows, tA: plan.tA, fa: plan.fa, fb: plan.fb, vec: plan.K % 4 === 0, lowRank: rank },
      uniforms: lowRank ? { ...uniforms, scale: lowRank.scale } : uniforms,
      buffers,
      workgroups: grid(Math.ceil(plan.N / DOT_COLS)),
    });
  } else {
    backend.dispatch({
      shader: GEMV_COLS,
      params: { rows, tA: plan.tA, fa: plan.fa, fb: plan.fb, vec: plan.N % 4 === 0 },
      uniforms,
      buffers,
      workgroups: grid(Math.ceil(plan.N / (COL_LANES * 4))),
    });
  }
  return out;
}
