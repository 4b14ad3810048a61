/**
 * The device's own bounds, measured by the simplest WebGPU programs that reach
 * them (never through the backend's kernels, whose speed is what the bounds are
 * compared with), for the rooflines of `webgpu-model.bench.ts`:
 *
 * - `wgsl-stream-read` (case `device-read-bandwidth`, GB/s): every invocation
 *   sums a strided slice of one large buffer, four loads in flight, and writes one
 *   number. Consecutive invocations read consecutive 16-byte words, so each
 *   workgroup's loads coalesce. Decoding reads every weight once per step: this is
 *   its bound.
 * - `wgsl-fma-loop` (case `device-fp32-fma-peak`, GFLOP/s): every invocation runs
 *   eight independent vec4 `fma` chains, 128 FMAs per loop trip, a trip count the
 *   shader reads from a uniform (so nothing folds), and writes one number. Nothing
 *   is read from memory: it runs at the rate the chip issues fp32 FMAs.
 *
 * Each program's output is checked against the host (the read sums exactly; the
 * chains within a tolerance of their closed form), so a compiler that dropped the
 * work would fail the check, not report a rate. Each rate is the best of several
 * trials of back-to-back dispatches timed to `onSubmittedWorkDone` (a bound is
 * the fastest the program goes).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/device/webgpu-bounds.bench.ts \
 *     [--smoke] [--read-mib 1024] [--env FILE]
 *
 * `--env FILE` writes `PEAK_TFLOPS=` and `HBM_TBS=` lines (shell syntax) with the
 * measured bounds, which webgpu-h100.sh passes to the model benchmark. `--smoke`
 * runs small sizes (a dry run on lavapipe); its rows are printed, not written.
 */
import { writeFileSync } from 'node:fs';
import { BufferUsage } from '../../packages/gpu-backend/src/webgpu/buffer-pool.js';
import { acquireDevice } from '../../packages/gpu-backend/src/webgpu/device.js';
import { printTable, row, writeResults, type ResultRow } from '../lib/results.js';
import { flagValue } from '../lib/args.js';

const smoke = process.argv.includes('--smoke');
const envFile = flagValue('--env');
const readMib = Number(flagValue('--read-mib') ?? (smoke ? 64 : 1024));
if (!Number.isInteger(readMib) || readMib < 1)
  throw new Error(`--read-mib: expected a positive integer, got ${flagValue('--read-mib')}`);

const WORKGROUP = 256;
/** GPUMapMode.READ (Dawn for Node defines no GPUMapMode global; buffer usages come from the backend's BufferUsage). */
const MAP_READ = 0x1;
const TRIALS = smoke ? 3 : 7;

const READ_SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = arrayLength(&src);
  let stride = groups.x * ${WORKGROUP}u;
  var i = gid.x;
  var a0 = vec4f(0.0);
  var a1 = vec4f(0.0);
  var a2 = vec4f(0.0);
  var a3 = vec4f(0.0);
  loop {
    if (i + 3u * stride >= n) { break; }
    a0 += src[i];
    a1 += src[i + stride];
    a2 += src[i + 2u * stride];
    a3 += src[i + 3u * stride];
    i += 4u * stride;
  }
  loop {
    if (i >= n) { break; }
    a0 += src[i];
    i += stride;
  }
  dst[gid.x] = dot((a0 + a1) + (a2 + a3), vec4f(1.0));
}`;

/** Start of chain c, lane l, in invocation g (the host recomputes it to check the result). */
const chainStart = (g: number, c: number, l: number) => Math.fround(((g % 251) + 32 * c + 8 * l) / 512);
const FMA_M = Math.fround(0.999);
const FMA_C = Math.fround(0.001);

const FMA_SHADER = /* wgsl */ `
struct Params { trips: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;

fn start(g: u32, c: u32) -> vec4f {
  let base = f32(g % 251u) + 32.0 * f32(c);
  return (vec4f(base) + vec4f(0.0, 8.0, 16.0, 24.0)) / 512.0;
}

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m = vec4f(${FMA_M});
  let c = vec4f(${FMA_C});
  var x0 = start(gid.x, 0u); var x1 = start(gid.x, 1u); var x2 = start(gid.x, 2u); var x3 = start(gid.x, 3u);
  var x4 = start(gid.x, 4u); var x5 = start(gid.x, 5u); var x6 = start(gid.x, 6u); var x7 = start(gid.x, 7u);
  for (var t = 0u; t < params.trips; t++) {
${Array.from({ length: 4 }, () => Array.from({ length: 8 }, (_, k) => `    x${k} = fma(x${k}, m, c);`).join('\n')).join(
  '\n',
)}
  }
  dst[gid.x] = dot(((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7)), vec4f(1.0));
}`;
/** FMAs per loop trip per invocation: 4 unrolled x 8 chains x 4 lanes. */
const FMAS_PER_TRIP = 4 * 8 * 4;

const { device, adapterName } = await acquireDevice();
const machine = adapterName;
console.log(`adapter: ${adapterName}`);
device.addEventListener?.('uncapturederror', (e) =>
  console.error(`webgpu error: ${(e as GPUUncapturedErrorEvent).error.message}`),
);

function pipeline(code: string): GPUComputePipeline {
  return device.createComputePipeline({
    layout: 'auto',
    compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
  });
}

/** A bind group of `buffers` at bindings 0, 1, ... of the pipeline's group 0. */
function bindBuffers(p: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
  const entries = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  return device.createBindGroup({ layout: p.getBindGroupLayout(0), entries });
}

async function readBack(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/** Best seconds per dispatch over TRIALS trials of `reps` back-to-back dispatches. */
async function bestSecondsPerDispatch(p: GPUComputePipeline, group: GPUBindGroup, workgroups: number, reps: number) {
  let best = Infinity;
  for (let trial = -1; trial < TRIALS; trial++) {
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(p);
    pass.setBindGroup(0, group);
    for (let r = 0; r < reps; r++) pass.dispatchWorkgroups(workgroups);
    pass.end();
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const seconds = (performance.now() - t0) / 1000 / reps;
    if (trial >= 0) best = Math.min(best, seconds); // trial -1 warms up
  }
  return best;
}

/** Dispatches per trial so that one trial takes about `targetMs`, from one timed dispatch. */
async function repsFor(p: GPUComputePipeline, group: GPUBindGroup, workgroups: number, targetMs: number) {
  const once = await bestSecondsPerDispatch(p, group, workgroups, 1);
  return Math.max(1, Math.min(500, Math.round(targetMs / 1000 / once)));
}

/** A program's best seconds per dispatch (and dispatches per trial), and what it wrote to its last buffer. */
async function timeProgram(code: string, buffers: GPUBuffer[], workgroups: number) {
  const p = pipeline(code);
  const group = bindBuffers(p, buffers);
  const reps = await repsFor(p, group, workgroups, smoke ? 50 : 200);
  const seconds = await bestSecondsPerDispatch(p, group, workgroups, reps);
  const dst = buffers[buffers.length - 1]!;
  return { reps, seconds, out: await readBack(dst, dst.size) };
}

const rows: ResultRow[] = [];

// --- the streaming read ---------------------------------------------------------------
{
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const bytes = Math.min(readMib * 2 ** 20, Math.floor(limit / 2 ** 20) * 2 ** 20);
  const words = bytes / 16;
  const workgroups = Math.min(
    Math.max(1, Math.floor(words / (WORKGROUP * 16))),
    device.limits.maxComputeWorkgroupsPerDimension,
  );
  const src = device.createBuffer({ size: bytes, usage: BufferUsage.STORAGE, mappedAtCreation: true });
  // Small integers: every partial sum is exact in f32, so the check is exact. Not constant, so no
  // memory-compression scheme can shortcut the read.
  const values = new Float32Array(src.getMappedRange());
  let expected = 0;
  let state = 12345;
  for (let i = 0; i < values.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const v = state >>> 29;
    values[i] = v;
    expected += v;
  }
  src.unmap();
  const threads = workgroups * WORKGROUP;
  const dst = device.createBuffer({ size: threads * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
  const { reps, seconds, out: sums } = await timeProgram(READ_SHADER, [src, dst], workgroups);
  let got = 0;
  for (const s of sums) got += s;
  if (got !== expected)
    throw new Error(
      `wgsl-stream-read: the invocations summed ${got}, the host ${expected}: the read did not run whole`,
    );
  const gbs = bytes / seconds / 1e9;
  console.log(
    `stream read: ${bytes / 2 ** 20} MiB, ${workgroups} workgroups of ${WORKGROUP}, ${reps} dispatches per trial: ${gbs.toFixed(1)} GB/s`,
  );
  rows.push(
    row({
      case: 'device-read-bandwidth',
      impl: 'wgsl-stream-read',
      size: bytes / 2 ** 20,
      value: gbs,
      unit: 'GB/s',
      machine,
    }),
  );
  src.destroy();
  dst.destroy();
}

// --- the FMA loop ----------------------------------------------------------------------
{
  const workgroups = smoke ? 64 : 16384;
  const trips = smoke ? 64 : 256;
  const threads = workgroups * WORKGROUP;
  const params = device.createBuffer({ size: 16, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  device.queue.writeBuffer(params, 0, new Uint32Array([trips, 0, 0, 0]));
  const dst = device.createBuffer({ size: threads * 4, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
  const { reps, seconds, out } = await timeProgram(FMA_SHADER, [params, dst], workgroups);
  // Closed form of n steps of x <- m x + c: the fixed point c / (1 - m) plus the start's distance times m^n.
  const n = trips * 4;
  const fixed = FMA_C / (1 - FMA_M);
  for (const g of [0, 1, 250, threads - 1]) {
    let want = 0;
    for (let c = 0; c < 8; c++) for (let l = 0; l < 4; l++) want += fixed + (chainStart(g, c, l) - fixed) * FMA_M ** n;
    if (!(Math.abs(out[g]! - want) <= 1e-3 * 32))
      throw new Error(
        `wgsl-fma-loop: invocation ${g} ended at ${out[g]}, the closed form says ${want}: the loop did not run whole`,
      );
  }
  const flops = 2 * FMAS_PER_TRIP * trips * threads;
  const gflops = flops / seconds / 1e9;
  console.log(
    `fma loop: ${workgroups} workgroups of ${WORKGROUP}, ${trips} trips of ${FMAS_PER_TRIP} FMAs, ${reps} dispatches per trial: ${gflops.toFixed(0)} GFLOP/s`,
  );
  rows.push(
    row({
      case: 'device-fp32-fma-peak',
      impl: 'wgsl-fma-loop',
      size: threads,
      value: gflops,
      unit: 'GFLOP/s',
      machine,
    }),
  );
  params.destroy();
  dst.destroy();
}

printTable(rows);
if (envFile) {
  const [read, fma] = rows;
  writeFileSync(
    envFile,
    `PEAK_TFLOPS=${(fma!.value / 1e3).toPrecision(4)}\nHBM_TBS=${(read!.value / 1e3).toPrecision(4)}\n`,
  );
  console.log(`bounds for the rooflines: ${envFile}`);
}
if (!smoke) console.log(`results: ${writeResults('webgpu-bounds', rows)}`);
device.destroy();
