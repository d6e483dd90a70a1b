# Converter benchmark: a full-size synthetic TI2V-5B release (~34 GB, written
# once into BENCH_RELEASE and reused); BENCH_PAIRS pairs of a cat-equivalent copy
# and a conversion, measured in turn; prints the median of the per-pair
# throughput ratios, CPU seconds and peak RSS against their goals.
# BENCH_QUANTIZE=4 (or 8) measures a --quantize conversion;
# BENCH_CONVERT_FLAGS='-flags "--layout mlx-video"' passes converter flags through.
# BENCH_SCALE=N keeps only the first N DiT/T5 blocks when disk space is short.
BENCH_RELEASE ?= tmp/bench-release
BENCH_OUT     ?= tmp/bench-out
BENCH_SCALE   ?= 0
BENCH_DTYPE   ?= bfloat16
BENCH_CONVERT_FLAGS ?=
BENCH_PAIRS   ?= 3
BENCH_QUANTIZE ?= 0

.PHONY: bench-convert
bench-convert:
	$(GO) build -o $(BIN)/bench-convert ./cmd/bench-convert
	$(GO) build -o $(BIN)/wanconv ./cmd/wanconv
	$(BIN)/bench-convert -wanconv $(BIN)/wanconv -release $(BENCH_RELEASE) -out $(BENCH_OUT) -scale $(BENCH_SCALE) -dtype $(BENCH_DTYPE) -pairs $(BENCH_PAIRS) -quantize $(BENCH_QUANTIZE) $(BENCH_CONVERT_FLAGS)
