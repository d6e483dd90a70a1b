#!/usr/bin/env bash
# run.sh PACK UPSTREAM WORK OUT — runs on the GPU machine (see mk/gpu.mk). PACK holds what
# make bench-gpu-pack made (libmlx.so.xz.* parts may also lie in $GPU_PARTS), UPSTREAM a
# Wan-Video/Wan2.2 checkout (wan/modules/*.py), WORK a scratch folder with ~50 GB free, OUT
# where the logs and JSON results go. STEPS (default "env matmul release convert mlx torch")
# selects steps; each step's log is OUT/STEP.log.
set -uo pipefail
pack="$(cd "$1" && pwd)" upstream="$(cd "$2" && pwd)" work="$3" out="$4"
steps="${STEPS:-env matmul release convert mlx torch}"
parts="${GPU_PARTS:-$pack}"
mkdir -p "$work" "$out"
site="$work/site"     # laid out as site-packages, so that libmlx's $ORIGIN rpaths find nvidia/*
py="${PYTHON:-python3}"
nvidia="$("$py" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null)/nvidia"

install() {
  [[ -f "$site/mlx/lib/libmlx.so" ]] && return 0
  mkdir -p "$site/mlx/lib" "$work/bin"
  cat "$parts"/libmlx.so.xz.* | xz -d > "$site/mlx/lib/libmlx.so.tmp" && mv "$site/mlx/lib/libmlx.so.tmp" "$site/mlx/lib/libmlx.so"
  tar -C "$site" -xJf "$pack/mlx-libs.tar.xz"
  tar -C "$site/mlx" -xJf "$pack/mlx-include.tar.xz"
  tar -C "$work" -xJf "$pack/bin.tar.xz"
  ln -sfn "$nvidia" "$site/nvidia"
}

step() { # name command...
  local name="$1"; shift
  [[ " $steps " == *" $name "* ]] || return 0
  echo "== $name $(date +%T)"
  local t0=$SECONDS
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  tail -n 40 "$out/$name.log"
  echo "== $name rc=$rc $((SECONDS - t0)) s"
  return $rc
}

install || { echo "run.sh: install failed" >&2; exit 1; }
export LD_LIBRARY_PATH="$site/mlx/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CUDA_HOME="${CUDA_HOME:-/usr/local/cuda}" WANCONV_MLX_DEVICE=gpu
bin="$work/bin"
rel="${RELEASE_DIR:-$work/release}" conv="$work/converted"

step env bash -c "nvidia-smi; df -h '$work' /dev/shm; ldd '$bin/bench-gpu' | grep -E 'not found|mlx|cu'; \
  '$py' -c 'import torch, safetensors, einops; print(torch.__version__, torch.cuda.get_device_name())'"
step matmul bash -c "'$bin/bench-matmul' -device gpu -dtype bfloat16 -n 8192 -reps 10 && \
  '$bin/bench-matmul' -device gpu -dtype float32 -n 8192 -reps 10"
step release "$py" "$pack/scripts/gpu/upstream_compare.py" release --upstream "$upstream" --out "$rel" || exit 1
step convert bash -c "rm -rf '$conv' && /usr/bin/time -v '$bin/wanconv' --quiet '$rel' '$conv'" || exit 1
step mlx "$bin/bench-gpu" -device gpu -reps "${REPS:-5}" -dump "$work/mlx-dump.safetensors" -json "$out/mlx.json" "$conv" || exit 1
step torch "$py" "$pack/scripts/gpu/upstream_compare.py" compare --upstream "$upstream" --release "$rel" \
  --dump "$work/mlx-dump.safetensors" --reps "${REPS:-5}" --json "$out/compare.json"
