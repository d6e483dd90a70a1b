# mk/gpu.mk — the first GPU numbers: MLX's CUDA backend next to upstream PyTorch.
#
# Built here, run on a Linux x86-64 machine with an NVIDIA GPU, a CUDA 13 driver and PyTorch
# with the NVIDIA CUDA 13 runtime wheels (cuBLAS, cuDNN, NVRTC, NCCL: what mlx-cuda-13 needs),
# and no Go:
#   make bench-gpu-pack   # mlx-cuda-13 wheel (no runtime wheels) into .deps/cuda, builds
#                         # bench-gpu, bench-matmul and wanconv against it, packs GPU_PACK
# then copy GPU_PACK and a Wan-Video/Wan2.2 checkout (UPSTREAM) to that machine and run
#   bash GPU_PACK/run.sh GPU_PACK UPSTREAM WORKDIR OUTDIR
# which installs libmlx beside the machine's NVIDIA wheels, builds a synthetic full-size
# TI2V-5B release with the upstream modules, converts it, runs bench-gpu (MLX) and
# scripts/gpu/upstream_compare.py (PyTorch) on it and prints times, peaks and errors side by side.
# libmlx.so is packed as xz parts of at most GPU_PART bytes, for transfers of limited size.

GPU_DEPS   ?= $(CURDIR)/.deps/cuda
GPU_PACK   ?= $(CURDIR)/out/gpu-pack
GPU_PART   ?= 34000000
GPU_PREFIX := $(GPU_DEPS)/mlx/mlx
# The NVIDIA libraries libmlx needs are not installed here: allow their symbols to stay
# undefined at link time; the GPU machine resolves them.
GPU_ENV := CGO_ENABLED=1 CGO_CFLAGS="-O2" CGO_CXXFLAGS="-O2 -I$(GPU_PREFIX)/include" \
	CGO_LDFLAGS="-L$(GPU_PREFIX)/lib -Wl,--allow-shlib-undefined"

.PHONY: bench-gpu-deps bench-gpu-pack

bench-gpu-deps:
	MLX_VERSION=$(MLX_VERSION) MLX_BACKEND=cuda MLX_CUDA_RUNTIME=none MLX_NO_PY=1 MLX_DEPS_DIR=$(GPU_DEPS) \
		bash scripts/setup-mlx.sh

bench-gpu-pack: bench-gpu-deps
	rm -rf $(GPU_PACK) && mkdir -p $(GPU_PACK)/bin
	$(GPU_ENV) $(GO) build -tags mlx -o $(GPU_PACK)/bin/ ./cmd/bench-gpu ./cmd/bench-matmul
	CGO_ENABLED=0 $(GO) build -o $(GPU_PACK)/bin/ ./cmd/wanconv
	bash scripts/gpu/pack.sh $(GPU_DEPS) $(GPU_PACK) $(GPU_PART)
