#!/usr/bin/env bash
# Re-records convert/testdata/quant-fullwidth.json: the sha256 of
# mlx.core.quantize's packed words, scales and biases of the 5120 × 13824
# bfloat16 test weight (TestQuantizeFullWidthThroughWriter), for 4 and 8 bits
# and group sizes 32, 64 and 128, then checks the converter against them.
# Needs the MLX Python frontend of `make setup` (.deps/mlx-py).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(make -s -f mk/mlx.mk mlx-env)"
WANCONV_RECORD_QUANT_HASHES=1 CGO_ENABLED=0 go test -count=1 -v -run '^TestQuantizeFullWidthThroughWriter$' ./convert/
