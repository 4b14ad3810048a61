#!/usr/bin/env bash
# Build, on a machine with network and this repository installed, everything
# benchmarks/device/webgpu-h100.sh needs on a GPU box without network, into
# benchmarks/device/webgpu-carry/ (git-ignored, ~42 MB):
#   webgpu-matmul.mjs          the matmul benchmark bundled with the backend (esbuild)
#   node_modules/webgpu/       Dawn for Node (linux-x64 binary only, gzipped)
#   node.gz                    this machine's node binary, used only where the box has no node >= 18
#   debs/                      the Vulkan loader (libvulkan1) as Debian packages
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/webgpu-carry"
rm -rf "$out"
mkdir -p "$out/node_modules/webgpu/dist" "$out/debs"

"$root/node_modules/.bin/esbuild" "$root/benchmarks/webgpu-matmul.bench.ts" \
  --bundle --platform=node --format=esm --target=node18 \
  --conditions=source --external:webgpu --external:gpu.js \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
  --outfile="$out/webgpu-matmul.mjs" --log-level=warning

web="$root/node_modules/webgpu"
cp "$web/index.js" "$web/package.json" "$out/node_modules/webgpu/"
gzip -9 -c "$web/dist/linux-x64.dawn.node" > "$out/node_modules/webgpu/dist/linux-x64.dawn.node.gz"

gzip -9 -c "$(readlink -f "$(command -v node)")" > "$out/node.gz"

# The loader only: the NVIDIA driver brings its own Vulkan ICD.
(cd "$out/debs" && apt-get download libvulkan1 2>&1 | grep -v "unsandboxed" || true)
ls "$out"/debs/libvulkan1_*.deb >/dev/null

du -sh "$out"
echo "carry: benchmarks/device/webgpu-carry"
