#!/usr/bin/env bash
# setup-mlx.sh — install the pinned MLX release into the project-local .deps/ folder.
#
#   .deps/mlx     the MLX C++ library and headers (wheel mlx-cpu, mlx-metal or mlx-cuda-13)
#   .deps/mlx-py  the `mlx` Python frontend plus the same backend wheel, so that
#                 `PYTHONPATH=.deps/mlx-py python3 -c 'import mlx.core'` works (tests use it
#                 to cross-check files).
#
# Environment:
#   MLX_VERSION   release to install (default: the pin in mk/mlx.mk)
#   MLX_BACKEND   cpu (Linux default) | cuda (Linux, CUDA 13) | metal (macOS default)
#   MLX_DEPS_DIR  install root (default: <repo>/.deps)
#   PYTHON        interpreter used for pip (default: python3)
#   MLX_NO_PY=1   skip the Python frontend
#   MLX_CUDA_RUNTIME  pip (default) | none: with MLX_BACKEND=cuda, "none" installs the mlx-cuda-13
#                 wheel without the NVIDIA runtime wheels it lists (cuBLAS, cuDNN, NCCL, ...: GBs),
#                 to build here for a GPU machine that has them (mk/gpu.mk links with
#                 --allow-shlib-undefined; the binaries find them there at run time).
#   MLX_BLAS      openblas (Linux cpu default) | bundled (every other backend's only choice).
#                 The mlx-cpu wheel bundles the reference (netlib) BLAS/LAPACK, ~45x slower than
#                 an optimized one on a 2048^3 f32 matmul. "openblas" points those bundled
#                 libraries at Debian's OpenBLAS (apt package libopenblas0-pthread, installed
#                 with apt-get when missing and running as root); MLX_BLAS=bundled keeps the
#                 wheel exactly as shipped.
#
# Idempotent: a stamp file records what was installed; rerunning with the same settings is a no-op.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The pin lives in one place, mk/mlx.mk (MLX_VERSION ?= x.y.z); make passes it, and a
# direct run of this script reads it from there.
if [[ -z "${MLX_VERSION:-}" ]]; then
  MLX_VERSION="$(sed -n 's/^MLX_VERSION *?= *\([0-9.]*\).*/\1/p' "$repo_root/mk/mlx.mk")"
  [[ -n "$MLX_VERSION" ]] || { echo "setup-mlx: no MLX_VERSION pin found in mk/mlx.mk" >&2; exit 2; }
fi
deps="${MLX_DEPS_DIR:-$repo_root/.deps}"
python="${PYTHON:-python3}"

os="$(uname -s)"
backend="${MLX_BACKEND:-}"
if [[ -z "$backend" ]]; then
  if [[ "$os" == "Darwin" ]]; then backend=metal; else backend=cpu; fi
fi
case "$backend" in
  cpu)   wheel=mlx-cpu ;;
  cuda)  wheel=mlx-cuda-13 ;;
  metal) wheel=mlx-metal ;;
  *) echo "setup-mlx: unknown MLX_BACKEND '$backend' (want cpu, cuda or metal)" >&2; exit 2 ;;
esac
if [[ "$os" == "Darwin" && "$backend" != metal ]] || [[ "$os" != "Darwin" && "$backend" == metal ]]; then
  echo "setup-mlx: backend '$backend' is not available on $os" >&2; exit 2
fi

if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "setup-mlx: '$python -m pip' is not usable; set PYTHON to a Python 3.10+ with pip" >&2; exit 1
fi

cuda_runtime="${MLX_CUDA_RUNTIME:-pip}"
case "$cuda_runtime" in
  pip|none) ;;
  *) echo "setup-mlx: unknown MLX_CUDA_RUNTIME '$cuda_runtime' (want pip or none)" >&2; exit 2 ;;
esac
want_py=1
[[ "${MLX_NO_PY:-0}" == 1 ]] && want_py=0
blas="${MLX_BLAS:-}"
if [[ -z "$blas" ]]; then
  if [[ "$os" == Linux && "$backend" == cpu ]]; then blas=openblas; else blas=bundled; fi
fi
case "$blas" in
  bundled) ;;
  openblas)
    if [[ "$os" != Linux || "$backend" != cpu ]]; then
      echo "setup-mlx: MLX_BLAS=openblas applies to the Linux cpu backend only" >&2; exit 2
    fi ;;
  *) echo "setup-mlx: unknown MLX_BLAS '$blas' (want bundled or openblas)" >&2; exit 2 ;;
esac
blas_tag=""
[[ "$blas" != bundled ]] && blas_tag=" blas=$blas"
[[ "$backend" == cuda && "$cuda_runtime" == none ]] && blas_tag="$blas_tag cuda-runtime=none"
stamp_text="mlx=$MLX_VERSION wheel=$wheel$blas_tag py=$want_py python=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
stamp="$deps/.mlx-stamp"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$stamp_text" && -f "$deps/mlx/mlx/include/mlx/mlx.h" ]]; then
  echo "setup-mlx: $stamp_text already installed in $deps"
  exit 0
fi

# The CPU and Metal wheels are self-contained; the CUDA wheel needs the NVIDIA
# runtime wheels (cuBLAS, cuDNN, ...) it lists as dependencies.
deps_flag=--no-deps
[[ "$backend" == cuda && "$cuda_runtime" == pip ]] && deps_flag=

pip_install() { # target, pip flags and packages...
  local target="$1"; shift
  rm -rf "$target.tmp"
  "$python" -m pip install --quiet --disable-pip-version-check --no-compile --root-user-action=ignore \
    --target "$target.tmp" "$@"
  rm -rf "$target"
  mv "$target.tmp" "$target"
}

mkdir -p "$deps"
rm -f "$stamp"
echo "setup-mlx: installing $wheel==$MLX_VERSION into $deps/mlx"
pip_install "$deps/mlx" $deps_flag "$wheel==$MLX_VERSION"

lib="$deps/mlx/mlx/lib/libmlx.so"
[[ "$os" == "Darwin" ]] && lib="$deps/mlx/mlx/lib/libmlx.dylib"
if [[ ! -f "$lib" || ! -f "$deps/mlx/mlx/include/mlx/mlx.h" ]]; then
  echo "setup-mlx: $wheel==$MLX_VERSION did not provide $lib and headers" >&2; exit 1
fi

# The wheel bundles BLAS/LAPACK/gfortran next to the library (found via its rpath);
# make sure nothing else is missing on this machine.
if [[ "$os" == "Linux" ]] && command -v ldd >/dev/null; then
  missing="$(ldd "$lib" | awk '/not found/ {print $1}' || true)"
  if [[ -n "$missing" ]]; then
    echo "setup-mlx: libmlx needs libraries not found on this machine:" $missing >&2
    if [[ "$backend" == cpu ]] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq libblas3 liblapack3 libgfortran5
      missing="$(ldd "$lib" | awk '/not found/ {print $1}' || true)"
    fi
    if [[ -n "$missing" && "$backend" == cuda && "$cuda_runtime" == none ]]; then
      echo "setup-mlx: (expected with MLX_CUDA_RUNTIME=none: the GPU machine provides them)" >&2
    elif [[ -n "$missing" ]]; then
      echo "setup-mlx: still missing:" $missing "(the cuda backend needs the CUDA 13 runtime)" >&2
      [[ "$backend" == cpu ]] && exit 1
    fi
  fi
fi

# openblas_dir prints the directory of Debian's OpenBLAS BLAS/LAPACK (empty if absent).
openblas_dir() {
  local d="/usr/lib/$(uname -m)-linux-gnu/openblas-pthread"
  [[ -f "$d/libblas.so.3" && -f "$d/liblapack.so.3" ]] && echo "$d"
  return 0
}

if [[ "$blas" == openblas ]]; then
  ob="$(openblas_dir)"
  if [[ -z "$ob" ]]; then
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
      echo "setup-mlx: Debian's OpenBLAS (libopenblas0-pthread) is not installed and cannot be installed" \
        "here (needs root and apt-get); install it, or set MLX_BLAS=bundled for the wheel's reference BLAS" >&2
      exit 1
    fi
    echo "setup-mlx: installing libopenblas0-pthread with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas0-pthread
    ob="$(openblas_dir)"
    [[ -n "$ob" ]] || { echo "setup-mlx: OpenBLAS not found after apt-get install" >&2; exit 1; }
  fi
  # Same CBLAS/LAPACK interface, so libmlx can load OpenBLAS under the bundled names.
  for f in "$deps/mlx/mlx_cpu.libs"/libblas-*.so*; do ln -sfn "$ob/libblas.so.3" "$f"; done
  for f in "$deps/mlx/mlx_cpu.libs"/liblapack-*.so*; do ln -sfn "$ob/liblapack.so.3" "$f"; done
  if ldd "$lib" | grep -q "not found"; then
    echo "setup-mlx: libmlx does not resolve with OpenBLAS:" >&2; ldd "$lib" >&2; exit 1
  fi
fi

if [[ "$want_py" == 1 ]]; then
  # The frontend's extension module (mlx/core*.so) loads libmlx from mlx/lib next to it, and
  # libmlx finds its bundled libraries through $ORIGIN-relative rpaths. Rather than installing
  # the backend a second time, link the backend's files into the frontend's tree.
  echo "setup-mlx: installing mlx==$MLX_VERSION (Python frontend) into $deps/mlx-py"
  pip_install "$deps/mlx-py" --no-deps "mlx==$MLX_VERSION"
  ln -sfn ../../mlx/mlx/lib "$deps/mlx-py/mlx/lib"
  for entry in "$deps/mlx"/*; do
    name="$(basename "$entry")"
    case "$name" in mlx|bin|*.dist-info) continue ;; esac
    ln -sfn "../mlx/$name" "$deps/mlx-py/$name"
  done
  PYTHONPATH="$deps/mlx-py" "$python" -c 'import mlx.core as mx; mx.eval(mx.ones(2) + 1)' \
    || { echo "setup-mlx: the Python frontend does not import" >&2; exit 1; }
fi

echo "$stamp_text" > "$stamp"
echo "setup-mlx: done ($stamp_text)"
