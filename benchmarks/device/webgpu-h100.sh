#!/usr/bin/env bash
# On an NVIDIA GPU box with a driver but no network: check every webgpu kernel
# against the cpu reference, run the webgpu matmul benchmark (256..4096) and a
# Qwen3-sized block forward+backward. Needs benchmarks/device/webgpu-carry/ from
# prepare-webgpu-h100.sh (carried with the repository). Prints the device and
# the GFLOP/s table; results land in benchmarks/device/results/webgpu-matmul.json
# (and $OUT/ when set), rows carrying the adapter's name in `machine`.
#
#   bash benchmarks/device/webgpu-h100.sh [extra benchmark flags, e.g. --tune]
#   (SIZES=256,512 and IMPLS=webgpu override the defaults; CONFORMANCE=0 skips the
#   kernel check against cpu, MATMUL=0 the matmul benchmark, BLOCK=0 the Qwen3 block
#   forward+backward; BLOCK_SEQ="1024 4096" sets its sequence lengths; MODEL=0 the
#   whole-model LoRA MoL step, decode and GRPO step, MODEL_SHAPES=0.6b its shapes; SAMPLING=0
#   the sampling step at Qwen3's vocabulary, host against device-selected candidates; ATTENTION=0
#   attention over a packed 2048-token row against the same row unpacked)
set -euo pipefail
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
dawn=node_modules/webgpu/dist/linux-x64.dawn.node
[ -f "$dawn" ] || gunzip -c "$dawn.gz" > "$dawn"
$node_bin --input-type=module -e "
import { create } from 'webgpu';
const a = await create([]).requestAdapter({ powerPreference: 'high-performance' });
if (!a) { console.error('no WebGPU adapter: check the NVIDIA Vulkan ICD (vulkan icd above)'); process.exit(1); }
console.log('adapter:', a.info.vendor, '|', a.info.architecture, '|', a.info.device, '|', a.info.description);
"
if [ "${CONFORMANCE:-1}" = 1 ]; then
  $node_bin webgpu-conformance-check.mjs 2>&1 | grep -v '^Warning: maxDynamic' || echo "conformance check failed (see FAIL lines above)"
fi
if [ "${MATMUL:-1}" = 1 ]; then
  $node_bin webgpu-matmul.mjs --sizes "${SIZES:-256,512,1024,2048,4096}" --impls "${IMPLS:-webgpu,webgpu-tiled,webgpu-regblock}" "$@"
fi
if [ "${BLOCK:-1}" = 1 ]; then
  # A Qwen3-0.6B-sized decoder block (hidden 1024, 16 q / 8 kv heads of 128, ffn 3072), 1024 tokens each.
  for seq in ${BLOCK_SEQ:-1024}; do
    $node_bin webgpu-block.mjs --impls webgpu --seq "$seq" --hidden 1024 --heads 16 --kv-heads 8 --head-dim 128 --ffn 3072
  done
fi
if [ "${ATTENTION:-1}" = 1 ]; then
  # Qwen3-0.6B's heads (16 q / 8 kv of 128) over a packed row of four segments and over the row unpacked.
  $node_bin packed-attention.mjs --impls webgpu --heads 16 --kv-heads 8 --head-dim 128 || echo "packed attention benchmark failed"
fi
if [ "${SAMPLING:-1}" = 1 ]; then
  # One decode step's sampling at Qwen3's vocabulary (1, 16, 64 rows): the logits read to the host, or
  # each row's top-k candidates selected on the device (what generation does with top-k).
  $node_bin sampling.mjs --backends webgpu --no-torch || echo "sampling benchmark failed"
fi
if [ "${MODEL:-1}" = 1 ]; then
  # The whole model at Qwen3-0.6B and Qwen3-8B shapes (random bfloat16 weights): LoRA MoL
  # step, decode at batch 1 and 64, GRPO step parts, each beside its fp32 roofline.
  $node_bin webgpu-model.mjs --shapes "${MODEL_SHAPES:-0.6b,8b}" ${SMOKE:+--smoke} || echo "model benchmark: some cases failed (see FAILED lines above)"
fi
if [ -n "${OUT:-}" ]; then mkdir -p "$OUT" && cp "$here"/results/*.json "$OUT/"; fi
