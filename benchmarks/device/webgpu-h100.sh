#!/usr/bin/env bash
# On an NVIDIA GPU box with a driver but no network: check every webgpu kernel
# against the cpu reference, then benchmark the matmul (256..4096), a Qwen3-sized
# block forward+backward, the whole model at Qwen3-0.6B and 8B shapes, attention
# over a packed row and one decode step's sampling. Needs benchmarks/device/webgpu-carry/
# from prepare-webgpu-h100.sh (carried with the repository). Rows land in
# benchmarks/device/results/*.json, carrying the adapter's name in `machine`; with
# $OUT set, they are copied there after every step, beside the log webgpu-h100.log.
#
#   bash benchmarks/device/webgpu-h100.sh [extra matmul flags, e.g. --tune]
#
# Steps and their switches (1 runs, 0 skips) and time limits in seconds (defaults
# sum to 545, inside a 600 s call): BOUNDS / BOUNDS_S=25 (the device's fp32 FMA peak and
# streaming-read bandwidth, by the simplest WGSL programs; the model step's rooflines
# use them), CONFORMANCE / CONFORMANCE_S=70 (every kernel
# against cpu), MATMUL / MATMUL_S=100 (SIZES=256,512 and IMPLS=webgpu override its
# defaults), BLOCK / BLOCK_S=50 (per sequence length; BLOCK_SEQ="1024 4096"),
# MODEL / MODEL_S=110 (per shape: LoRA MoL step, decode, GRPO step; MODEL_SHAPES=0.6b;
# SMOKE=1 its tiny dry run), ATTENTION / ATTENTION_S=40 (a packed 2048-token row against the
# same row unpacked), SAMPLING / SAMPLING_S=40 (a decode step's sampling at Qwen3's
# vocabulary, host against device-selected candidates).
set -euo pipefail
# The whole output also goes to $OUT/webgpu-h100.log, which comes back even when the call is cut short.
if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && exec > >(tee -a "$OUT/webgpu-h100.log") 2>&1; fi
here="$(cd "$(dirname "$0")" && pwd)"
carry="$here/webgpu-carry"
[ -f "$carry/webgpu-matmul.mjs" ] || { echo "missing $carry: run benchmarks/device/prepare-webgpu-h100.sh first (where there is network)"; exit 1; }

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true

# The Vulkan loader and the GL vendor-neutral dispatch libraries that NVIDIA's
# ICD (libGLX_nvidia.so.0) links against, unpacked privately (dpkg -x) for
# whichever of them the box lacks.
need=0
for lib in libvulkan.so.1 libGLdispatch.so.0 libGLX.so.0 libX11.so.6 libXext.so.6; do
  ldconfig -p | grep -q "$lib" || need=1
done
if [ "$need" = 1 ]; then
  rm -rf /tmp/molrl-vk && mkdir -p /tmp/molrl-vk
  for deb in "$carry"/debs/*.deb; do dpkg -x "$deb" /tmp/molrl-vk; done
  export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/tmp/molrl-vk/usr/lib/x86_64-linux-gnu"
fi
# NVIDIA's Vulkan ICD: its manifest names libGLX_nvidia.so.0, which must be on the library path.
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"; break; fi
done
for lib in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu/nvidia; do
  [ -d "$lib" ] && export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
done
echo "vulkan icd: ${VK_DRIVER_FILES:-loader default}"

node_bin=node
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 18 ]; then
  gunzip -c "$carry/node.gz" > /tmp/molrl-node && chmod +x /tmp/molrl-node
  node_bin=/tmp/molrl-node
fi
echo "node: $($node_bin --version)"

cd "$carry"
# Dawn unpacked outside the carry (a link to it inside), so a smoke run here does not grow what travels.
dawn=node_modules/webgpu/dist/linux-x64.dawn.node
if [ ! -f "$dawn" ]; then
  mkdir -p /tmp/molrl-dawn && gunzip -c "$dawn.gz" > /tmp/molrl-dawn/linux-x64.dawn.node
  ln -sfn /tmp/molrl-dawn/linux-x64.dawn.node "$dawn"
fi
$node_bin --input-type=module -e "
import { create } from 'webgpu';
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (!a) { console.error('no WebGPU adapter: check the NVIDIA Vulkan ICD (vulkan icd above)'); process.exit(1); }
console.log('adapter:', a.info.vendor, '|', a.info.architecture, '|', a.info.device, '|', a.info.description);
"
# Each step runs under its own time limit (<STEP>_S seconds), so a slow or stuck step
# cannot take the later steps' time, and the results so far are copied to $OUT after
# every step: a call stopped at its limit still brings back what ran.
save() {
  if [ -n "${OUT:-}" ] && compgen -G "$here/results/*.json" >/dev/null; then
    mkdir -p "$OUT" && cp "$here"/results/*.json "$OUT/"
  fi
}
step() {
  local name="$1" limit="$2" t0=$SECONDS rc=0
  shift 2
  echo "== $name (limit ${limit} s)"
  if command -v timeout >/dev/null; then timeout -k 10 "$limit" "$@" || rc=$?; else "$@" || rc=$?; fi
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    echo "== $name stopped at its ${limit} s limit"
  elif [ "$rc" != 0 ]; then
    echo "== $name failed (exit $rc; see above)"
  fi
  echo "== $name: $((SECONDS - t0)) s"
  save
}
# The rooflines' bounds, measured here (never taken from our own kernels): without them the
# model step falls back to spec-sheet figures, which it says.
bounds_env=/tmp/molrl-bounds.env
rm -f "$bounds_env"
if [ "${BOUNDS:-1}" = 1 ]; then
  step bounds "${BOUNDS_S:-25}" bash -o pipefail -c \
    "$node_bin webgpu-bounds.mjs ${SMOKE:+--smoke} --env $bounds_env 2>&1 | grep -v '^Warning: maxDynamic'"
fi
roofline_flags=()
if [ -f "$bounds_env" ]; then
  # shellcheck disable=SC1090
  . "$bounds_env"
  roofline_flags=(--peak-tflops "$PEAK_TFLOPS" --hbm-tbs "$HBM_TBS")
fi
if [ "${CONFORMANCE:-1}" = 1 ]; then
  step conformance "${CONFORMANCE_S:-70}" bash -o pipefail -c \
    "$node_bin webgpu-conformance-check.mjs 2>&1 | grep -v '^Warning: maxDynamic'"
fi
if [ "${MATMUL:-1}" = 1 ]; then
  step matmul "${MATMUL_S:-100}" $node_bin webgpu-matmul.mjs --sizes "${SIZES:-256,512,1024,2048,4096}" \
    --impls "${IMPLS:-webgpu,webgpu-tiled,webgpu-regblock}" "$@"
fi
if [ "${BLOCK:-1}" = 1 ]; then
  # A Qwen3-0.6B-sized decoder block (hidden 1024, 16 q / 8 kv heads of 128, ffn 3072), 1024 tokens each,
  # unfused and with the fused kernels the model runs (webgpu-fused).
  for seq in ${BLOCK_SEQ:-1024}; do
    step "block seq $seq" "${BLOCK_S:-50}" $node_bin webgpu-block.mjs --impls webgpu --seq "$seq" \
      --hidden 1024 --heads 16 --kv-heads 8 --head-dim 128 --ffn 3072
  done
fi
if [ "${MODEL:-1}" = 1 ]; then
  # The whole model at Qwen3-0.6B and Qwen3-8B shapes (random bfloat16 weights): LoRA MoL
  # step, decode at batch 1 and 64, GRPO step parts, each beside its fp32 roofline.
  # Each shape is a step of its own, so the 8B shape keeps its time whatever the 0.6B one takes.
  if [ -n "${SMOKE:-}" ]; then shapes=smoke; else shapes="${MODEL_SHAPES:-0.6b,8b}"; fi
  for shape in ${shapes//,/ }; do
    step "model $shape" "${MODEL_S:-110}" $node_bin webgpu-model.mjs --shapes "$shape" ${SMOKE:+--smoke} \
      ${roofline_flags[@]+"${roofline_flags[@]}"}
  done
fi
if [ "${ATTENTION:-1}" = 1 ]; then
  # Qwen3-0.6B's heads (16 q / 8 kv of 128) over a packed row of four segments and over the row unpacked.
  step "packed attention" "${ATTENTION_S:-40}" $node_bin packed-attention.mjs --impls webgpu \
    --heads 16 --kv-heads 8 --head-dim 128
fi
if [ "${SAMPLING:-1}" = 1 ]; then
  # One decode step's sampling at Qwen3's vocabulary (1, 16, 64 rows): the logits read to the host, or
  # each row's top-k candidates selected on the device (what generation does with top-k).
  step sampling "${SAMPLING_S:-40}" $node_bin sampling.mjs --backends webgpu --no-torch
fi
# The targets (matmul and block against the fp32 peak, each model speed against its roofline), from the rows above.
$node_bin webgpu-targets.mjs || true
echo "== all steps: $SECONDS s"
