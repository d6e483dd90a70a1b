#!/usr/bin/env bash
# pack.sh DEPS PACK PART_BYTES — completes a GPU pack (mk/gpu.mk): libmlx.so of the mlx-cuda-13
# install in DEPS as xz parts of at most PART_BYTES (libmlx.so.xz.00, .01, ...), the wheel's
# bundled libraries and headers, the binaries compressed, and the scripts that run on the GPU machine.
set -euo pipefail
deps="$1" pack="$2" part="$3"
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lib="$deps/mlx/mlx/lib/libmlx.so"
[[ -f "$lib" ]] || { echo "pack: $lib missing (make bench-gpu-deps)" >&2; exit 1; }
xz -6 -T0 -c "$lib" | split -d -b "$part" - "$pack/libmlx.so.xz."
tar -C "$deps/mlx" -cJf "$pack/mlx-libs.tar.xz" mlx_cuda_13.libs
# The CCCL/CUTLASS headers beside libmlx: its CUDA kernels are compiled at run time with NVRTC.
tar -C "$deps/mlx/mlx" -cJf "$pack/mlx-include.tar.xz" include
tar -C "$pack" -cJf "$pack/bin.tar.xz" bin && rm -rf "$pack/bin"
mkdir -p "$pack/scripts/gpu" "$pack/golden/tools"
cp "$repo_root/scripts/gpu/run.sh" "$pack/run.sh"
cp "$repo_root/scripts/gpu/upstream_compare.py" "$pack/scripts/gpu/"
cp "$repo_root/golden/tools/make_extra_reference.py" "$pack/golden/tools/"
ls -l "$pack"
