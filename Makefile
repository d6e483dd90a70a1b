# wanconv — two commands do all set-up: `make demo` and `make test`.
# MLX-specific variables and targets live in mk/mlx.mk; converter benchmarks in mk/convert.mk.

GO       ?= go
BIN      := bin
DEMO_OUT := out/demo-mlx
TINY     := golden/wan2.2-tiny
TINY_REF := golden/wan2.2-tiny.reference
FUZZTIME ?= 10s

-include mk/*.mk

.PHONY: all setup build build-mlx demo demo-a14b test test-go test-mlx test-mlxc fuzz vet bench bench-inspect bench-verify bench-verify-run bench-matmul clean golden golden-a14b

all: build

setup: mlx-setup
	$(GO) mod download

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ ./cmd/wanconv ./cmd/inspect

build-mlx: setup
	$(MLX_ENV) $(GO) build -tags '$(MLX_TAGS)' -o $(BIN)/ ./cmd/wanconv ./cmd/inspect

# The main job on the shipped tiny checkpoint: convert, then verify on MLX against the
# upstream reference tensors and the recorded golden statistics.
demo: build-mlx
	$(BIN)/wanconv --force $(TINY) $(DEMO_OUT)
	$(BIN)/inspect $(DEMO_OUT)
	$(BIN)/inspect --verify $(DEMO_OUT) --golden golden/tiny.golden.json --reference $(TINY_REF)/reference.safetensors
	$(MAKE) --no-print-directory demo-a14b

# The tiny T2V-A14B and I2V-A14B releases (two experts, Wan2.1 VAE): convert, verify each expert,
# the T5 and the VAE against their golden files and the upstream reference.
demo-a14b: build-mlx
	for k in t2v i2v; do \
		$(BIN)/wanconv --force golden/wan2.2-tiny-$$k-a14b $(DEMO_OUT)-$$k-a14b && \
		$(BIN)/inspect --verify $(DEMO_OUT)-$$k-a14b --golden golden/tiny-$$k-a14b.golden.json \
			--reference golden/wan2.2-tiny-$$k-a14b.reference/reference.safetensors || exit 1; \
	done

vet:
	CGO_ENABLED=0 $(GO) vet ./...
	$(MLX_ENV) $(GO) vet -tags '$(MLX_TAGS)' ./...

test: setup vet test-go test-mlx test-mlxc fuzz

test-go:
	CGO_ENABLED=0 $(GO) test -count=1 ./...

test-mlx:
	$(MLX_ENV) $(GO) test -count=1 -timeout 30m -tags '$(MLX_TAGS)' ./...

# The same Go code linked against a separately built libmlxc (build tags "mlx mlxc"): the
# path an official mlx-c install (e.g. Homebrew mlx-c) takes, with no Go change.
test-mlxc:
	$(MAKE) -f mk/mlx.mk mlx-mlxc-check

# Short fuzzing budget for every parser (no crashes allowed).
fuzz:
	$(GO) test -run='^$$' -fuzz='^FuzzParseHeader$$' -fuzztime=$(FUZZTIME) ./format/safetensors/
	$(GO) test -run='^$$' -fuzz='^FuzzParseIndex$$' -fuzztime=$(FUZZTIME) ./format/safetensors/
	$(GO) test -run='^$$' -fuzz='^FuzzUnpickle$$' -fuzztime=$(FUZZTIME) ./format/pth/
	$(GO) test -run='^$$' -fuzz='^FuzzZip$$' -fuzztime=$(FUZZTIME) ./format/pth/
	$(GO) test -run='^$$' -fuzz='^FuzzPlan$$' -fuzztime=$(FUZZTIME) ./mapping/

bench: bench-inspect bench-convert bench-verify

# Header-only inspect of a sparse full-size TI2V-5B release (goal: well under 0.2 s).
bench-inspect:
	$(GO) test -run '^$$' -bench 'InspectFullSize' -benchtime 20x ./inspect/

# Full-size forward passes on MLX (CPU): DiT (48,4,32,32) latent + 512-token context, umt5-xxl on
# 512 tokens, VAE decode of a (48,2,8,8) latent then encode of the video. Runs on the converted
# full-size synthetic release of bench-convert (BENCH_OUT; made if missing), with the default
# MLX install (on Linux its BLAS is Debian's OpenBLAS, see scripts/setup-mlx.sh).
bench-verify:
	test -f $(BENCH_OUT)/wanconv-manifest.json || $(MAKE) bench-convert BENCH_CONVERT_FLAGS=-keep
	$(MAKE) mlx-setup
	$(MAKE) bench-verify-run

bench-verify-run:
	WANCONV_BENCH_DIR=$(abspath $(BENCH_OUT)) $(MLX_ENV) $(GO) test -tags '$(MLX_TAGS)' -run '^$$' \
		-bench 'FullSize' -benchtime 1x -timeout 120m ./model/dit/ ./model/t5/ ./model/vae/

# A 2048^3 float32 matmul through MLX (the .deps install: MLX_BLAS=bundled MLX_DEPS=... for the
# wheel's own BLAS) and through numpy in the same run, in GFLOP/s.
bench-matmul: mlx-setup
	$(MLX_ENV) $(GO) build -tags '$(MLX_TAGS)' -o $(BIN)/ ./cmd/bench-matmul
	bash scripts/bench-matmul.sh $(BIN)/bench-matmul

clean:
	rm -rf $(BIN) out tmp

# Re-record the tiny releases' golden files (only after a reviewed change of
# the models or the input generators): default conversion, then --record-golden.
golden: build-mlx golden-a14b
	$(BIN)/wanconv --quiet --force $(TINY) out/golden-tiny
	$(BIN)/inspect --verify --reference $(TINY_REF)/reference.safetensors --record-golden golden/tiny.golden.json out/golden-tiny

# The tiny T2V-A14B and I2V-A14B releases: both experts, the T5, the Wan2.1 VAE.
golden-a14b: build-mlx
	for k in t2v i2v; do \
		$(BIN)/wanconv --quiet --force golden/wan2.2-tiny-$$k-a14b out/golden-tiny-$$k-a14b && \
		$(BIN)/inspect --verify --reference golden/wan2.2-tiny-$$k-a14b.reference/reference.safetensors \
			--record-golden golden/tiny-$$k-a14b.golden.json out/golden-tiny-$$k-a14b || exit 1; \
	done
