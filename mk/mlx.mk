# mk/mlx.mk — MLX install and cgo environment for package mlx.
#
# Included by the top-level Makefile; also usable alone:
#   make -f mk/mlx.mk mlx-setup   # install pinned MLX into .deps/ (cached)
#   make -f mk/mlx.mk mlx-test    # setup + go vet + go test -tags mlx ./mlx/
#
# Exports for the lead's rules:
#   MLX_TAGS   build tags for MLX-backed builds/tests (mlx, or "mlx mlxc")
#   MLX_ENV    environment prefix with the cgo flags, e.g.
#              $(MLX_ENV) go test -tags '$(MLX_TAGS)' ./...
# With MLXC_PREFIX=<dir> (an official mlx-c install with include/ and lib/),
# the tags become "mlx mlxc" and libmlxc is linked instead of the bridge.

MLX_VERSION ?= 0.32.4
MLX_BACKEND ?=
# Empty: setup-mlx.sh's default (Debian's OpenBLAS on the Linux cpu backend); bundled keeps
# the wheel's reference BLAS.
MLX_BLAS    ?=
MLX_ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
MLX_DEPS    ?= $(MLX_ROOT)/.deps
MLX_PREFIX  := $(MLX_DEPS)/mlx/mlx
MLX_PY      := $(MLX_DEPS)/mlx-py
MLXC_PREFIX ?=

MLX_INCLUDE := -I$(MLX_PREFIX)/include
MLX_LIBS    := -L$(MLX_PREFIX)/lib -Wl,-rpath,$(MLX_PREFIX)/lib

ifeq ($(MLXC_PREFIX),)
MLX_TAGS := mlx
MLX_CGO_CFLAGS   := -O2
MLX_CGO_CXXFLAGS := -O2 $(MLX_INCLUDE)
MLX_CGO_LDFLAGS  := $(MLX_LIBS)
else
MLX_TAGS := mlx mlxc
MLX_CGO_CFLAGS   := -O2 -I$(MLXC_PREFIX)/include
MLX_CGO_CXXFLAGS := -O2 -I$(MLXC_PREFIX)/include $(MLX_INCLUDE)
MLX_CGO_LDFLAGS  := -L$(MLXC_PREFIX)/lib -Wl,-rpath,$(MLXC_PREFIX)/lib $(MLX_LIBS)
endif

MLX_ENV := CGO_ENABLED=1 CGO_CFLAGS="$(MLX_CGO_CFLAGS)" CGO_CXXFLAGS="$(MLX_CGO_CXXFLAGS)" CGO_LDFLAGS="$(MLX_CGO_LDFLAGS)" WANCONV_MLX_PY="$(MLX_PY)"

.PHONY: mlx-setup mlx-test mlx-env

mlx-setup:
	MLX_VERSION=$(MLX_VERSION) MLX_BACKEND=$(MLX_BACKEND) MLX_BLAS=$(MLX_BLAS) MLX_DEPS_DIR=$(MLX_DEPS) \
		bash $(MLX_ROOT)/scripts/setup-mlx.sh

mlx-test: mlx-setup
	cd $(MLX_ROOT) && go vet ./mlx/
	cd $(MLX_ROOT) && $(MLX_ENV) go vet -tags '$(MLX_TAGS)' ./mlx/
	cd $(MLX_ROOT) && $(MLX_ENV) go test -tags '$(MLX_TAGS)' -count=1 ./mlx/

# Prints the environment, for shells: eval "$(make -s -f mk/mlx.mk mlx-env)"
mlx-env:
	@echo 'export CGO_ENABLED=1 CGO_CFLAGS="$(MLX_CGO_CFLAGS)" CGO_CXXFLAGS="$(MLX_CGO_CXXFLAGS)" CGO_LDFLAGS="$(MLX_CGO_LDFLAGS)" WANCONV_MLX_PY="$(MLX_PY)"'

# mlx-mlxc-check proves the Go code builds and passes against a separately
# linked libmlxc (tags "mlx mlxc") without an official mlx-c at hand: it
# compiles the bridge (mlx/bridge_*.cpp) on its own into
# $(MLXC_SHIM)/lib/libmlxc.so, installs the headers beside it, and runs the
# tests with MLXC_PREFIX there. MLXC_SHIM defaults into .deps; point it
# elsewhere when several checkouts share one .deps.
MLXC_SHIM ?= $(MLX_DEPS)/mlxc-shim

mlx-mlxc-check: mlx-setup
	mkdir -p $(MLXC_SHIM)/lib $(MLXC_SHIM)/include
	cp -r $(MLX_ROOT)/mlx/mlxc/mlx $(MLXC_SHIM)/include/
	$(CXX) -std=c++20 -O2 -fPIC -shared -I$(MLX_ROOT)/mlx/mlxc $(MLX_INCLUDE) \
		-o $(MLXC_SHIM)/lib/libmlxc.so $(wildcard $(MLX_ROOT)/mlx/bridge_*.cpp) $(MLX_LIBS) -lmlx
	$(MAKE) -f $(MLX_ROOT)/mk/mlx.mk MLXC_PREFIX=$(MLXC_SHIM) mlx-test

.PHONY: mlx-mlxc-check
