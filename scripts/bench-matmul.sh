#!/usr/bin/env bash
# bench-matmul.sh — an n^3 float32 matrix product through MLX (bin/bench-matmul, the
# current .deps install) and through numpy, in the same run, on the same machine.
#
#   N=2048 REPS=10 bash scripts/bench-matmul.sh [bench-matmul binary]
#
# numpy (and threadpoolctl, to name the BLAS kernel numpy runs) is installed with pip into
# .deps/bench-py when the system's python3 lacks it. OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE,
# which some machines set to work around old OpenBLAS builds, are unset for numpy's run only.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${1:-$repo_root/bin/bench-matmul}"
n="${N:-2048}"
reps="${REPS:-10}"
python="${PYTHON:-python3}"
pydir="$repo_root/.deps/bench-py"

"$bin" -n "$n" -reps "$reps"

if ! "$python" -c 'import numpy, threadpoolctl' 2>/dev/null; then
  export PYTHONPATH="$pydir${PYTHONPATH:+:$PYTHONPATH}"
  if ! "$python" -c 'import numpy, threadpoolctl' 2>/dev/null; then
    echo "bench-matmul: installing numpy and threadpoolctl into $pydir" >&2
    "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --target "$pydir" numpy threadpoolctl
  fi
fi
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$python" - "$n" "$reps" <<'PY'
import sys, time
import numpy as np
from threadpoolctl import threadpool_info

n, reps = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(2048)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b
times = []
for _ in range(reps):
    t = time.perf_counter()
    a @ b
    times.append(time.perf_counter() - t)
med = float(np.median(times))
blas = ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture', '')} x{i.get('num_threads')}"
                 for i in threadpool_info() if i.get("user_api") == "blas")
print(f"numpy {np.__version__} float32 {n}^3 matmul: median {med*1e3:.3f} ms of {reps}, "
      f"{2*n**3/med/1e9:.1f} GFLOP/s ({blas})")
PY
