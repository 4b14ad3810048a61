import type { TensorInfo } from '../../backend.js';
import type { AttrsOf } from '../../contract/kernel-types.js';
import { kernelError } from '../../errors.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, output } from '../../webgpu/kernel-util.js';
import { shaderTemplate } from '../../webgpu/shader.js';
import { batchIndexCode, matmulUniforms, planMatmul } from './webgpu-plan.js';

/** Workgroup tile BM x BN, k-step BK, per-thread tile TM x TN (TM, TN multiples of 4). */
export type RegblockTile = {
  bm: number;
  bn: number;
  bk: number;
  tm: number;
  tn: number;
};

export const TILE_128: RegblockTile = { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 };
export const TILE_64: RegblockTile = { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };

export interface RegblockAttrs extends AttrsOf<'matmul'> {
  /** Override the tile (benchmarks and tuning); default picks by size. */
  tile?: RegblockTile;
}

/** The default tile for a problem: 128x128 when it fills the device, else 64x64. */
export function chooseTile(M: number, N: number, batch: number): RegblockTile {
  return M * N * batch >= 1024 * 1024 ? TILE_128 : TILE_64;
}

function validateTile(t: RegblockTile): void {
  const threads = (t.bm / t.tm) * (t.bn / t.tn);
  const ok =
    t.tm % 4 === 0 &&
    t.tn % 4 === 0 &&
    t.bm % t.tm === 0 &&
    t.bn % t.tn === 0 &&
    t.bk % 4 === 0 &&
    threads <= 1024 &&
    (t.bm * t.bk) % (4 * threads) === 0 &&
    (t.bn * t.bk) % (4 * threads) === 0 &&
    (t.bm / (t.tm / 4)) % 4 === 0 &&
    (t.bn / (t.tn / 4)) % 4 === 0;
  if (!ok) throw kernelError('matmul', `unsupported register-blocked tile ${JSON.stringify(t)}`);
}

/**
 * WGSL of the register-blocked kernel. Each thread accumulates a TM x TN
 * block in vec4 registers; A and B tiles are staged k-major in workgroup
 * memory so the inner loop reads vec4s; global loads are vec4 where the
 * layout is aligned (`vecA`/`vecB`), and the next k-tile is fetched into
 * registers while the current one is multiplied (one barrier pair per tile).
 */
type RegblockParams = {
  tA: boolean;
  tB: boolean;
  batchRank: number;
  tile: RegblockTile;
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
};

export function regblockSource({ tA, tB, batchRank, tile: t, vecA, vecB, vecC }: RegblockParams): string {
  const plan = { tA, tB };
  const threadsX = t.bn / t.tn;
  const threadsY = t.bm / t.tm;
  const threads = threadsX * threadsY;
  const gA = t.tm / 4; // row groups per thread
  const gB = t.tn / 4; // col groups per thread
  const rowStride = t.bm / gA; // distance between a thread's row groups
  const colStride = t.bn / gB;
  const aLoads = (t.bm * t.bk) / 4 / threads; // vec4 loads per thread per tile
  const bLoads = (t.bn * t.bk) / 4 / threads;
  const lines: string[] = [];
  const L = (s: string) => lines.push(s);

  // Global -> registers for the A tile (4 values each), as vec4 in "tile order".
  // !tA: A[m, k] k-contiguous: load (m, k..k+3), scatter to As[k+c][m].
  // tA: A[k, m] m-contiguous: load (k, m..m+3), store As[k][m..m+3].
  const loadA = (i: number): string => {
    if (!plan.tA) {
      const per = t.bk / 4;
      return `{ let e = lid + ${i * threads}u; let m = tileM + e / ${per}u; let k = k0 + (e % ${per}u) * 4u;
        ${
          vecA
            ? `ra${i} = select(vec4<f32>(0.0), A4[(aBase + m * u.K + k) / 4u], m < u.M && k < u.K);`
            : `ra${i} = vec4<f32>(ldA(m, k), ldA(m, k + 1u), ldA(m, k + 2u), ldA(m, k + 3u));`
        } }`;
    }
    const per = t.bm / 4;
    return `{ let e = lid + ${i * threads}u; let k = k0 + e / ${per}u; let m = tileM + (e % ${per}u) * 4u;
        ${
          vecA
            ? `ra${i} = select(vec4<f32>(0.0), A4[(aBase + k * u.M + m) / 4u], m < u.M && k < u.K);`
            : `ra${i} = vec4<f32>(ldA(m, k), ldA(m + 1u, k), ldA(m + 2u, k), ldA(m + 3u, k));`
        } }`;
  };
  const storeA = (i: number): string => {
    if (!plan.tA) {
      const per = t.bk / 4;
      return `{ let e = lid + ${i * threads}u; let m = e / ${per}u; let k = (e % ${per}u) * 4u;
        As[(k + 0u) * ${t.bm / 4}u + m / 4u][m % 4u] = ra${i}.x; As[(k + 1u) * ${t.bm / 4}u + m / 4u][m % 4u] = ra${i}.y;
        As[(k + 2u) * ${t.bm / 4}u + m / 4u][m % 4u] = ra${i}.z; As[(k + 3u) * ${t.bm / 4}u + m / 4u][m % 4u] = ra${i}.w; }`;
    }
    return `As[lid + ${i * threads}u] = ra${i};`;
  };
  const loadB = (i: number): string => {
    if (!plan.tB) {
      const per = t.bn / 4;
      return `{ let e = lid + ${i * threads}u; let k = k0 + e / ${per}u; let n = tileN + (e % ${per}u) * 4u;
        ${
          vecB
            ? `rb${i} = select(vec4<f32>(0.0), B4[(bBase + k * u.N + n) / 4u], n < u.N && k < u.K);`
            : `rb${i} = vec4<f32>(ldB(k, n), ldB(k, n + 1u), ldB(k, n + 2u), ldB(k, n + 3u));`
        } }`;
    }
    const per = t.bk / 4;
    return `{ let e = lid + ${i * threads}u; let n = tileN + e / ${per}u; let k = k0 + (e % ${per}u) * 4u;
        ${
          vecB
            ? `rb${i} = select(vec4<f32>(0.0), B4[(bBase + n * u.K + k) / 4u], n < u.N && k < u.K);`
            : `rb${i} = vec4<f32>(ldB(k, n), ldB(k + 1u, n), ldB(k + 2u, n), ldB(k + 3u, n));`
        } }`;
  };
  const storeB = (i: number): string => {
    if (!plan.tB) return `Bs[lid + ${i * threads}u] = rb${i};`;
    const per = t.bk / 4;
    return `{ let e = lid + ${i * threads}u; let n = e / ${per}u; let k = (e % ${per}u) * 4u;
        Bs[(k + 0u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.x; Bs[(k + 1u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.y;
        Bs[(k + 2u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.z; Bs[(k + 3u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.w; }`;
  };

  L(
    vecA
      ? '@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;'
      : '@group(0) @binding(1) var<storage, read> A: array<f32>;',
  );
  L(
    vecB
      ? '@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;'
      : '@group(0) @binding(2) var<storage, read> B: array<f32>;',
  );
  L(
    vecC
      ? '@group(0) @binding(3) var<storage, read_write> C4: array<vec4<f32>>;'
      : '@group(0) @binding(3) var<storage, read_write> C: array<f32>;',
  );
  L(`var<workgroup> As: array<vec4<f32>, ${(t.bk * t.bm) / 4}>;`);
  L(`var<workgroup> Bs: array<vec4<f32>, ${(t.bk * t.bn) / 4}>;`);
  L('var<private> aBase: u32; var<private> bBase: u32;');
  if (!vecA) {
    L(
      `fn ldA(m: u32, k: u32) -> f32 { if (m >= u.M || k >= u.K) { return 0.0; } return A[${plan.tA ? 'aBase + k * u.M + m' : 'aBase + m * u.K + k'}]; }`,
    );
  }
  if (!vecB) {
    L(
      `fn ldB(k: u32, n: u32) -> f32 { if (n >= u.N || k >= u.K) { return 0.0; } return B[${plan.tB ? 'bBase + n * u.K + k' : 'bBase + k * u.N + n'}]; }`,
    );
  }
  L(
    `@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
  );
  L('  let bz = wid.z;');
  L('  ' + batchIndexCode(batchRank, false));
  L(`  let tileM = wid.y * ${t.bm}u; let tileN = wid.x * ${t.bn}u;`);
  L(`  let tx = lid % ${threadsX}u; let ty = lid / ${threadsX}u;`);
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < gB; j++) L(`  var c${i}_${j} = vec4<f32>(0.0);`);
  for (let i = 0; i < aLoads; i++) L(`  var ra${i}: vec4<f32>;`);
  for (let i = 0; i < bLoads; i++) L(`  var rb${i}: vec4<f32>;`);
  L('  var k0 = 0u;');
  for (let i = 0; i < aLoads; i++) L('  ' + loadA(i));
  for (let i = 0; i < bLoads; i++) L('  ' + loadB(i));
  L(`  let tiles = (u.K + ${t.bk - 1}u) / ${t.bk}u;`);
  L('  for (var tile = 0u; tile < tiles; tile++) {');
  for (let i = 0; i < aLoads; i++) L('    ' + storeA(i));
  for (let i = 0; i < bLoads; i++) L('    ' + storeB(i));
  L('    workgroupBarrier();');
  L(`    k0 = (tile + 1u) * ${t.bk}u;`);
  L('    if (tile + 1u < tiles) {');
  for (let i = 0; i < aLoads; i++) L('      ' + loadA(i));
  for (let i = 0; i < bLoads; i++) L('      ' + loadB(i));
  L('    }');
  // The k loop is unrolled in the source: constant offsets into the tiles, no loop counter.
  const comp = ['x', 'y', 'z', 'w'];
  for (let k = 0; k < t.bk; k++) {
    L('    {');
    for (let g = 0; g < gA; g++) L(`      let a${g} = As[${(k * t.bm) / 4 + (g * rowStride) / 4}u + ty];`);
    for (let g = 0; g < gB; g++) L(`      let b${g} = Bs[${(k * t.bn) / 4 + (g * colStride) / 4}u + tx];`);
    for (let i = 0; i < t.tm; i++) {
      const av = `a${Math.floor(i / 4)}.${comp[i % 4]}`;
      for (let j = 0; j < gB; j++) L(`      c${i}_${j} = fma(vec4<f32>(${av}), b${j}, c${i}_${j});`);
    }
    L('    }');
  }
  L('    workgroupBarrier();');
  L('  }');
  L('  let cBase = bz * u.M * u.N;');
  for (let i = 0; i < t.tm; i++) {
    const row = `tileM + ${Math.floor(i / 4) * rowStride + (i % 4)}u + ty * 4u`;
    L(`  { let m = ${row};`);
    L('    if (m < u.M) {');
    for (let j = 0; j < gB; j++) {
      const col = `tileN + ${j * colStride}u + tx * 4u`;
      if (vecC) L(`      { let n = ${col}; if (n < u.N) { C4[(cBase + m * u.N + n) / 4u] = c${i}_${j}; } }`);
      else {
        for (let c = 0; c < 4; c++) {
          L(`      { let n = ${col} + ${c}u; if (n < u.N) { C[cBase + m * u.N + n] = c${i}_${j}.${comp[c]}; } }`);
        }
      }
    }
    L('    }');
    L('  }');
  }
  L('}');
  return lines.join('\n');
}

const REGBLOCK = shaderTemplate('matmul.regblock', (params: RegblockParams) => ({
  uniforms: matmulUniforms(params.batchRank),
  code: regblockSource(params),
}));

/** The register-blocked matmul (what `matmul` runs when both output dims are at least 32). */
export function matmulRegblock(backend: WebgpuBackend, a: TensorInfo, b: TensorInfo, attrs: RegblockAttrs): TensorInfo {
  const plan = planMatmul('matmul', a, b, attrs);
  const out = output(backend, plan.outShape);
  if (plan.M * plan.N * plan.batch === 0) return out;
  if (plan.K === 0) {
    backend.clear(out.storage);
    return out;
  }
  const tile = attrs.tile ?? chooseTile(plan.M, plan.N, plan.batch);
  validateTile(tile);
  // vec4 loads need every row (and every batch matrix) to start on a 16-byte boundary.
  const vecA = plan.tA ? plan.M % 4 === 0 : plan.K % 4 === 0;
  const vecB = plan.tB ? plan.K % 4 === 0 : plan.N % 4 === 0;
  const vecC = plan.N % 4 === 0;
  backend.dispatch({
    shader: REGBLOCK,
    params: { tA: plan.tA, tB: plan.tB, batchRank: plan.batchRank, tile, vecA, vecB, vecC },
    uniforms: plan.uniforms,
    buffers: [buf(a, 'matmul', 'a'), buf(b, 'matmul', 'b'), buf(out, 'matmul')],
    workgroups: [Math.ceil(plan.N / tile.bn), Math.ceil(plan.M / tile.bm), plan.batch],
  });
  return out;
}
