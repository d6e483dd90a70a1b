// Package mlx is a small Go binding of MLX (ml-explore/mlx) through the mlx-c
// C API, sized for running the Wan2.2 networks in wanconv's verifier.
//
// # Builds
//
// With build tag `mlx` the package compiles its own C++ bridge (bridge_*.cpp
// and the mlx-c compatible headers under mlxc/), which implements the subset of
// the mlx-c 0.6 API used here on top of the MLX C++ library installed by
// scripts/setup-mlx.sh. With tags `mlx mlxc` it links an installed official
// libmlxc instead; the Go code is the same. Without the tag the package is a
// stub: Available reports false and Do returns ErrUnavailable, so code using
// it builds and vets anywhere.
//
// # Threading
//
// MLX keeps per-thread state (its default stream) and is not meant to be
// driven from many threads at once, so every MLX call runs on one goroutine
// locked to its OS thread. Do(f) sends f to that goroutine and waits; a Do
// called from inside another Do runs inline. Array operations called outside
// Do return invalid arrays. A closure given to Do must not wait on other
// goroutines that themselves call Do (they would wait for the busy worker).
// The accessors of an Array (Valid, Shape, Dtype, Size, ...) need no Do and
// are safe from any goroutine, also while the array is being freed.
//
// # Lifetime
//
// Every *Array created while Do runs belongs to a scope. When Do returns, the
// arrays of its scope are freed, except those passed to Keep, which live
// until their Free method is called (from any goroutine). Scoped runs a
// function in a child scope and moves only the arrays it returns to the
// parent, which bounds the number of live handles in long graphs; the graph
// stays valid after intermediates are freed because MLX keeps the inputs of
// unevaluated arrays alive internally. Using an array after it was freed is
// safe: it behaves as an invalid array (Dtype reports InvalidDtype).
// LiveArrays counts the arrays not yet freed.
//
// # Errors
//
// Operations never panic on bad input. A failing MLX call records MLX's
// message (prefixed with the operation name) as the sticky error of the
// current Do and returns an invalid array; operations on invalid arrays do
// nothing and return invalid arrays. Eval, Err and Do report the first error.
// Every mlx-c status is checked, with the error buffer emptied before each
// call so that a message always belongs to the call that failed.
// MLX's default error handler, which exits the process, is replaced when the
// worker starts.
//
// # Layout conventions
//
// Convolutions are channels-last as in MLX: Conv2d input is N,H,W,C with
// weight O,kH,kW,I and Conv3d input is N,D,H,W,C with weight O,kD,kH,kW,I.
// SDPA takes q, k, v as B,H,L,D.
package mlx
