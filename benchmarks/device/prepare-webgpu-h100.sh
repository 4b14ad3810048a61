#!/usr/bin/env bash
# Build, on a machine with network and this repository installed, everything
# benchmarks/device/webgpu-h100.sh needs on a GPU box without network, into
# benchmarks/device/webgpu-carry/ (git-ignored, ~43 MB):
#   webgpu-matmul.mjs, webgpu-block.mjs, webgpu-conformance-check.mjs, webgpu-model.mjs, webgpu-bounds.mjs,
#   webgpu-targets.mjs, sampling.mjs, packed-attention.mjs
#                              the benchmarks and the conformance check bundled with the backend (esbuild)
#   node_modules/webgpu/       Dawn for Node (linux-x64 binary only, gzipped)
#   node.gz                    this machine's node binary, used only where the box has no node >= 18
#   debs/                      the Vulkan loader (libvulkan1) as Debian packages
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/webgpu-carry"
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist" "$out/debs"

for entry in benchmarks/webgpu-matmul.bench.ts benchmarks/webgpu-block.bench.ts benchmarks/device/webgpu-conformance-check.ts \
  benchmarks/device/webgpu-model.bench.ts benchmarks/device/webgpu-bounds.bench.ts benchmarks/device/webgpu-targets.ts \
  benchmarks/sampling.bench.ts \
  benchmarks/packed-attention.bench.ts; do
  name="$(basename "$entry" .ts)"
  "$root/node_modules/.bin/esbuild" "$root/$entry" \
    --bundle --platform=node --format=esm --target=node18 \
    --conditions=@molrl/source --external:webgpu --external:gpu.js --external:@molrl/sandbox-reward \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile="$out/${name%.bench}.mjs" --log-level=error
done

web="$root/node_modules/webgpu"
cp "$web/index.js" "$web/package.json" "$out/node_modules/webgpu/"
gzip -9 -c "$web/dist/linux-x64.dawn.node" > "$out/node_modules/webgpu/dist/linux-x64.dawn.node.gz"

# Stripped of its debug symbols where strip is here (about 3 MB less to carry).
node_path="$(readlink -f "$(command -v node)")"
if command -v strip >/dev/null && strip -o "$out/node" "$node_path" 2>/dev/null; then
  gzip -9 "$out/node"
else
  gzip -9 -c "$node_path" > "$out/node.gz"
fi

# The Vulkan loader, and what NVIDIA's ICD (libGLX_nvidia.so.0) links against:
# the glvnd dispatch libraries and libX11/libXext with their own needs.
(cd "$out/debs" && apt-get download libvulkan1 libglvnd0 libglx0 libgl1 libegl1 libopengl0 libgles2 \
  libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0 libxext6 2>&1 | grep -v "unsandboxed" || true)
ls "$out"/debs/libvulkan1_*.deb >/dev/null

du -sh "$out"
# What travels must stay under the device call's 64 MiB with the tracked files.
tracked=$(cd "$root" && git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -n1 | cut -f1)
carried=$(du -sb "$out" | cut -f1)
echo "with the tracked files: $(( (tracked + carried) / 1048576 )) MiB of the 64 MiB a call carries"
echo "carry: benchmarks/device/webgpu-carry"
