import type { TensorInfo } from '../../backend.js';
import type { AttrsOf } from '../../contract/kernel-types.js';
import { kernelError } from '../../errors.js';
import type { WebgpuBackend } from '../../webgpu/backend.js';
import { buf, output, WG } from '../../webgpu/kernel-util.js';
import { FLAT_BUILTINS, FLAT_WG, grid } from '../../webgpu/program.js';
import { operandDecl, operandEnables, type OperandFormat } from '../../webgpu/operand.js';
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
  /** Split K over this many workgroups per output tile, summed by a second pass (default: by size; 1 = never). */
  splitK?: number;
  /** Launch order: output tiles in groups of this many tile rows sharing B tiles in cache (default 8; 1 = row-major). */
  group?: number;
}

/**
 * Workgroups that keep a large GPU busy: about two per multiprocessor of a
 * 132-SM H100/H200 (WebGPU does not say how many a device has).
 */
export const FILL_WORKGROUPS = 256;

/** Tiles of `tile` that cover an output. */
function tileCount(M: number, N: number, batch: number, tile: RegblockTile): number {
  return Math.ceil(M / tile.bm) * Math.ceil(N / tile.bn) * batch;
}

/** The default tile: 128x128 when its tiles alone fill the device, else 64x64 (four times as many workgroups). */
export function chooseTile(M: number, N: number, batch: number): RegblockTile {
  return tileCount(M, N, batch, TILE_128) >= FILL_WORKGROUPS ? TILE_128 : TILE_64;
}

/** Partial products above this many bytes are not worth a split. */
const MAX_SPLIT_BYTES = 64 * 2 ** 20;

/**
 * How many K slices a product is split into: when its output tiles leave
 * the device mostly idle (a few rows against a large weight: batched
 * decoding, LoRA's narrow products) and K is long, each tile's K range is
 * shared out over more workgroups, at the cost of one pass summing the
 * partial outputs. Each slice keeps at least 256 of K.
 */
export function chooseSplitK(M: number, N: number, K: number, batch: number, tile: RegblockTile): number {
  const tiles = tileCount(M, N, batch, tile);
  if (tiles >= FILL_WORKGROUPS / 2) return 1;
  const byWork = Math.ceil(FILL_WORKGROUPS / tiles);
  const byK = Math.floor(K / 256);
  const byBytes = Math.floor(MAX_SPLIT_BYTES / (M * N * batch * 4));
  const splits = Math.min(byWork, byK, byBytes, 32);
  return splits >= 2 ? splits : 1;
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
  /** Storage formats of A and B (half precision is widened as it is loaded). */
  fa: OperandFormat;
  fb: OperandFormat;
  batchRank: number;
  tile: RegblockTile;
  vecA: boolean;
  vecB: boolean;
  vecC: boolean;
  /** Tile rows per launch group (1: row-major launch order). */
  group: number;
  /** Each workgroup covers one K slice and writes partial sums [slices, batch, M, N]. */
  split: boolean;
};

export function regblockSource({
  tA,
  tB,
  fa,
  fb,
  batchRank,
  tile: t,
  vecA,
  vecB,
  vecC,
  group,
  split,
}: RegblockParams): string {
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
            ? `ra${i} = select(vec4<f32>(0.0), ldA4((aBase + m * u.K + k) / 4u), m < u.M && k < u.K);`
            : `ra${i} = vec4<f32>(tileA(m, k), tileA(m, k + 1u), tileA(m, k + 2u), tileA(m, k + 3u));`
        } }`;
    }
    const per = t.bm / 4;
    return `{ let e = lid + ${i * threads}u; let k = k0 + e / ${per}u; let m = tileM + (e % ${per}u) * 4u;
        ${
          vecA
            ? `ra${i} = select(vec4<f32>(0.0), ldA4((aBase + k * u.M + m) / 4u), m < u.M && k < u.K);`
            : `ra${i} = vec4<f32>(tileA(m, k), tileA(m + 1u, k), tileA(m + 2u, k), tileA(m + 3u, k));`
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
            ? `rb${i} = select(vec4<f32>(0.0), ldB4((bBase + k * u.N + n) / 4u), n < u.N && k < u.K);`
            : `rb${i} = vec4<f32>(tileB(k, n), tileB(k, n + 1u), tileB(k, n + 2u), tileB(k, n + 3u));`
        } }`;
    }
    const per = t.bk / 4;
    return `{ let e = lid + ${i * threads}u; let n = tileN + e / ${per}u; let k = k0 + (e % ${per}u) * 4u;
        ${
          vecB
            ? `rb${i} = select(vec4<f32>(0.0), ldB4((bBase + n * u.K + k) / 4u), n < u.N && k < u.K);`
            : `rb${i} = vec4<f32>(tileB(k, n), tileB(k + 1u, n), tileB(k + 2u, n), tileB(k + 3u, n));`
        } }`;
  };
  const storeB = (i: number): string => {
    if (!plan.tB) return `Bs[lid + ${i * threads}u] = rb${i};`;
    const per = t.bk / 4;
    return `{ let e = lid + ${i * threads}u; let n = e / ${per}u; let k = (e % ${per}u) * 4u;
        Bs[(k + 0u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.x; Bs[(k + 1u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.y;
        Bs[(k + 2u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.z; Bs[(k + 3u) * ${t.bn / 4}u + n / 4u][n % 4u] = rb${i}.w; }`;
  };

  L(operandDecl('A', 1, fa, vecA));
  L(operandDecl('B', 2, fb, vecB));
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
      `fn tileA(m: u32, k: u32) -> f32 { if (m >= u.M || k >= u.K) { return 0.0; } return ldA(${plan.tA ? 'aBase + k * u.M + m' : 'aBase + m * u.K + k'}); }`,
    );
  }
  if (!vecB) {
    L(
      `fn tileB(k: u32, n: u32) -> f32 { if (n >= u.N || k >= u.K) { return 0.0; } return ldB(${plan.tB ? 'bBase + n * u.K + k' : 'bBase + k * u.N + n'}); }`,
    );
  }
  L(
    `@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {`,
  );
  // z enumerates K slices (outermost) and batch matrices.
  L(split ? '  let slice = wid.z / u.batches; let bz = wid.z % u.batches;' : '  let bz = wid.z;');
  L('  ' + batchIndexCode(batchRank, false));
  if (group > 1) {
    // Consecutive workgroups walk down `group` tile rows before moving right, so the
    // B tiles they read are still in cache for the next rows (Triton's grouped order).
    L('  let flat = wid.x + wid.y * nwg.x;');
    L(`  let inGroup = ${group}u * nwg.x;`);
    L(`  let firstRow = flat / inGroup * ${group}u;`);
    L(`  let rowsHere = min(nwg.y - firstRow, ${group}u);`);
    L('  let local = flat % inGroup;');
    L(`  let tileM = (firstRow + local % rowsHere) * ${t.bm}u; let tileN = (local / rowsHere) * ${t.bn}u;`);
  } else {
    L(`  let tileM = wid.y * ${t.bm}u; let tileN = wid.x * ${t.bn}u;`);
  }
  L(`  let tx = lid % ${threadsX}u; let ty = lid / ${threadsX}u;`);
  for (let i = 0; i < t.tm; i++) for (let j = 0; j < gB; j++) L(`  var c${i}_${j} = vec4<f32>(0.0);`);
  for (let i = 0; i < aLoads; i++) L(`  var ra${i}: vec4<f32>;`);
  for (let i = 0; i < bLoads; i++) L(`  var rb${i}: vec4<f32>;`);
  if (split) {
    L(`  let firstTile = slice * u.splitTiles;`);
    L(`  let tiles = min((u.K + ${t.bk - 1}u) / ${t.bk}u - firstTile, u.splitTiles);`);
    L(`  let kStart = firstTile * ${t.bk}u;`);
  } else {
    L(`  let tiles = (u.K + ${t.bk - 1}u) / ${t.bk}u;`);
    L('  let kStart = 0u;');
  }
  L('  var k0 = kStart;');
  for (let i = 0; i < aLoads; i++) L('  ' + loadA(i));
  for (let i = 0; i < bLoads; i++) L('  ' + loadB(i));
  L('  for (var tile = 0u; tile < tiles; tile++) {');
  for (let i = 0; i < aLoads; i++) L('    ' + storeA(i));
  for (let i = 0; i < bLoads; i++) L('    ' + storeB(i));
  L('    workgroupBarrier();');
  L(`    k0 = kStart + (tile + 1u) * ${t.bk}u;`);
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
  L('  let cBase = wid.z * u.M * u.N;');
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
  enable: operandEnables(params.fa, params.fb),
  uniforms: [
    ...matmulUniforms(params.batchRank),
    ...(params.split
      ? ([
          ['batches', 'u32'],
          ['splitTiles', 'u32'],
        ] as const)
      : []),
  ],
  code: regblockSource(params),
}));

/** out[i] = sum over slices s of P[s * total + i]: the second pass of a split-K product. */
const SPLIT_SUM = shaderTemplate('matmul.splitSum', ({ vec }: { vec: boolean }) => {
  const T = vec ? 'vec4<f32>' : 'f32';
  return {
    uniforms: [
      ['total', 'u32'],
      ['slices', 'u32'],
    ],
    code: /* wgsl */ `
@group(0) @binding(1) var<storage, read> P: array<${T}>;
@group(0) @binding(2) var<storage, read_write> O: array<${T}>;
@compute @workgroup_size(${WG}) fn main(${FLAT_BUILTINS}) {
  let i = ${FLAT_WG} * ${WG}u + lid;
  if (i >= u.total) { return; }
  var s = P[i];
  for (var p = 1u; p < u.slices; p++) { s += P[p * u.total + i]; }
  O[i] = s;
}`,
  };
});

/** The register-blocked matmul (what `matmul` runs when both output dims are at least 32). */
export function matmulRegblock(backend: WebgpuBackend, a: TensorInfo, b: TensorInfo, attrs: RegblockAttrs): TensorInfo {
  const plan = planMatmul(backend, 'matmul', a, b, attrs);
  const out = output(backend, plan.outShape);
  if (plan.M * plan.N * plan.batch === 0) return out;
  if (plan.K === 0) {
    backend.clear(out.storage);
    return out;
  }
  const tile = attrs.tile ?? chooseTile(plan.M, plan.N, plan.batch);
  validateTile(tile);
  const kTiles = Math.ceil(plan.K / tile.bk);
  const wanted = attrs.splitK ?? chooseSplitK(plan.M, plan.N, plan.K, plan.batch, tile);
  if (!Number.isInteger(wanted) || wanted < 1)
    throw kernelError('matmul', `splitK must be a positive integer, got ${wanted}`);
  // Every slice gets at least one k tile.
  const splitTiles = Math.ceil(kTiles / Math.min(wanted, kTiles));
  const slices = Math.ceil(kTiles / splitTiles);
  const group = attrs.group ?? 8;
  if (!Number.isInteger(group) || group < 1)
    throw kernelError('matmul', `group must be a positive integer, got ${group}`);
  // vec4 loads need every row (and every batch matrix) to start on a 16-byte boundary.
  const vecA = plan.tA ? plan.M % 4 === 0 : plan.K % 4 === 0;
  const vecB = plan.tB ? plan.K % 4 === 0 : plan.N % 4 === 0;
  const vecC = plan.N % 4 === 0;
  const tilesM = Math.ceil(plan.M / tile.bm);
  const split = slices > 1;
  const total = plan.batch * plan.M * plan.N;
  const partial = split ? backend.createStorage(slices * total, 'float32') : undefined;
  backend.dispatch({
    shader: REGBLOCK,
    params: {
      tA: plan.tA,
      tB: plan.tB,
      fa: plan.fa,
      fb: plan.fb,
      batchRank: plan.batchRank,
      tile,
      vecA,
      vecB,
      vecC,
      // The shader clamps a group to the rows there are: one pipeline whatever the row count.
      group: tilesM > 1 ? group : 1,
      split,
    },
    uniforms: split ? { ...plan.uniforms, batches: plan.batch, splitTiles } : plan.uniforms,
    buffers: [buf(a, 'matmul', 'a'), buf(b, 'matmul', 'b'), partial ? partial.buffer : buf(out, 'matmul')],
    workgroups: [Math.ceil(plan.N / tile.bn), tilesM, plan.batch * slices],
  });
  if (partial) {
    const vec = total % 4 === 0;
    const items = vec ? total / 4 : total;
    backend.dispatch({
      shader: SPLIT_SUM,
      params: { vec },
      uniforms: { total: items, slices },
      buffers: [partial.buffer, buf(out, 'matmul')],
      workgroups: grid(Math.ceil(items / WG)),
    });
    backend.release(partial);
  }
  return out;
}
