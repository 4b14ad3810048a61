/**
 * Where a device run stands against the targets of the GPU work, read from the
 * rows it wrote (benchmarks/device/results/): the matmul at 4096 and the
 * Qwen3-0.6B-shaped block forward+backward as fractions of the fp32 peak (the
 * FMA loop `webgpu-bounds` measured, and the 67 TFLOP/s H100/H200 SXM spec),
 * each whole-model speed as a fraction of its roofline row, and the LoRA MoL
 * step's peak device memory against 8 GB (Qwen3-0.6B) and 80 GB (Qwen3-8B). It prints; it writes
 * no rows (the fractions are derived, the rows they come from are the record).
 *
 *   node --import tsx --conditions=@molrl/source benchmarks/device/webgpu-targets.ts [--machine SUBSTRING]
 *
 * The rows read are those of one machine: `--machine`'s, else the machine of the
 * newest bounds row.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, type ResultRow } from '../lib/results.js';
import { flagValue } from '../lib/args.js';

/** The H100/H200 SXM spec-sheet fp32 peak (GFLOP/s), for machines whose name says they are one. */
const SPEC_FP32_PEAK_GFLOPS = 67_000;
const TARGETS = { matmul4096: 0.6, block: 0.25 };

function rowsOf(name: string): ResultRow[] {
  const path = join(RESULTS_DIR, `${name}.json`);
  if (!existsSync(path)) return [];
  const rows = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(rows)) throw new Error(`${path}: expected an array of rows`);
  return rows as ResultRow[];
}

const bounds = rowsOf('webgpu-bounds');
const wanted = flagValue('--machine');
const newestBounds = [...bounds].sort((a, b) => b.date.localeCompare(a.date))[0];
const machine = wanted ?? newestBounds?.machine;
if (!machine) {
  console.log(`targets: no bounds rows in ${RESULTS_DIR} and no --machine: nothing to compare`);
  process.exit(0);
}
const mine = (rows: ResultRow[]) => rows.filter((r) => r.machine.includes(machine));
console.log(`targets on ${machine}`);
const spec = /h100|h200/i.test(machine) ? SPEC_FP32_PEAK_GFLOPS : undefined;

const fma = mine(bounds).find((r) => r.case === 'device-fp32-fma-peak')?.value;
const read = mine(bounds).find((r) => r.case === 'device-read-bandwidth')?.value;
console.log(
  `  bounds: fp32 FMA peak ${fma ? `${(fma / 1e3).toFixed(1)} TFLOP/s` : 'not measured'}${spec ? ` (spec ${spec / 1e3})` : ''}, ` +
    `read ${read ? `${(read / 1e3).toFixed(2)} TB/s` : 'not measured'}`,
);

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
function againstPeak(what: string, gflops: number | undefined, target: number): void {
  if (gflops === undefined) {
    console.log(`  ${what}: no row`);
    return;
  }
  // Judged against each peak there is: the measured one (what the chip does) and the spec (what the target names).
  const peaks = [
    ...(fma ? [{ name: 'the measured peak', gflops: fma }] : []),
    ...(spec ? [{ name: 'spec', gflops: spec }] : []),
  ];
  const shares = peaks.map(
    (p) => `${pct(gflops / p.gflops)} of ${p.name} (${gflops / p.gflops >= target ? 'met' : 'not met'})`,
  );
  console.log(
    `  ${what}: ${(gflops / 1e3).toFixed(2)} TFLOP/s, target ${pct(target)}: ${shares.join(', ') || 'no peak to compare with'}`,
  );
}

// The contract's matmul (what the model runs), not a tuning variant.
const matmul = mine(rowsOf('webgpu-matmul')).find(
  (r) => r.case === 'matmul-f32' && r.impl === 'webgpu' && r.size === 4096,
);
againstPeak('matmul 4096 (webgpu)', matmul?.value, TARGETS.matmul4096);
// The block as first measured (each step its own kernel) and with the fused kernels the model runs.
for (const impl of ['webgpu', 'webgpu-fused']) {
  const block = mine(rowsOf('webgpu-block')).find(
    (r) => r.case.startsWith('qwen3-block-fwd-bwd h1024') && r.impl === impl && r.unit === 'GFLOP/s' && r.size === 1024,
  );
  againstPeak(`block fwd+bwd, 1024 tokens (${impl})`, block?.value, TARGETS.block);
}

// Every speed of the whole model beside the roofline row of the same case, shape and size.
const model = mine(rowsOf('webgpu-model'));
const rooflines = model.filter((r) => r.impl.startsWith('roofline-'));
for (const roof of rooflines) {
  const shape = roof.impl.slice('roofline-'.length);
  for (const r of model) {
    if (r.case !== roof.case || r.size !== roof.size || r.unit !== roof.unit || r === roof) continue;
    if (!r.impl.includes(shape)) continue;
    console.log(
      `  ${shape} ${r.case} (${r.size}): ${r.value.toFixed(1)} ${r.unit} = ${pct(r.value / roof.value)} of its roofline`,
    );
  }
}
// The memory targets: a LoRA MoL step of Qwen3-0.6B in 8 GB of device memory, of Qwen3-8B in 80 GB.
const MEMORY_TARGET_BYTES: Record<string, number> = { 'qwen3-0.6b': 8e9, 'qwen3-8b': 80e9 };
for (const r of model) {
  if (r.case !== 'mol-lora-step-peak-memory' || r.impl.startsWith('predicted-')) continue;
  const shape = Object.keys(MEMORY_TARGET_BYTES).find((name) => r.impl.includes(name));
  if (!shape) continue;
  const bytes = r.value * 2 ** 20;
  const target = MEMORY_TARGET_BYTES[shape]!;
  console.log(
    `  ${shape} LoRA MoL step peak memory (${r.size} tokens): ${(bytes / 1e9).toFixed(2)} GB ` +
      `(target ${target / 1e9} GB: ${bytes <= target ? 'met' : 'not met'})`,
  );
}
if (!model.length) console.log('  whole model: no rows');
