//go:build mlx && !mlxc

// Bridge (see bridge_core.cpp): element-wise, reduction, construction and
// shape operations of mlx-c ops.h.

#include "mlx/ops.h"

#include "bridge.h"

using namespace wanconv_bridge;

namespace {

// Element-wise wrappers share these shapes of entry point.
template <class Op>
int unary(mlx_array* res, const mlx_array a, const mlx_stream s, Op op) {
  return guarded([&] { set(res, op(arr(a), stream(s))); });
}

template <class Op>
int binary(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s, Op op) {
  return guarded([&] { set(res, op(arr(a), arr(b), stream(s))); });
}

} // namespace

extern "C" {

// ---- element-wise ops -------------------------------------------------------

#define WANCONV_UNARY(name, fn)                                           \
  int name(mlx_array* res, const mlx_array a, const mlx_stream s) {       \
    return unary(res, a, s, [](const mx::array& x, mx::Stream st) {        \
      return mx::fn(x, st);                                                \
    });                                                                    \
  }

#define WANCONV_BINARY(name, fn)                                                       \
  int name(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s) { \
    return binary(res, a, b, s, [](const mx::array& x, const mx::array& y, mx::Stream st) { \
      return mx::fn(x, y, st);                                                         \
    });                                                                                \
  }

WANCONV_UNARY(mlx_abs, abs)
WANCONV_UNARY(mlx_cos, cos)
WANCONV_UNARY(mlx_erf, erf)
WANCONV_UNARY(mlx_exp, exp)
WANCONV_UNARY(mlx_floor, floor)
WANCONV_UNARY(mlx_isinf, isinf)
WANCONV_UNARY(mlx_isnan, isnan)
WANCONV_UNARY(mlx_log, log)
WANCONV_UNARY(mlx_logical_not, logical_not)
WANCONV_UNARY(mlx_negative, negative)
WANCONV_UNARY(mlx_rsqrt, rsqrt)
WANCONV_UNARY(mlx_sigmoid, sigmoid)
WANCONV_UNARY(mlx_sin, sin)
WANCONV_UNARY(mlx_sqrt, sqrt)
WANCONV_UNARY(mlx_square, square)
WANCONV_UNARY(mlx_tanh, tanh)

WANCONV_BINARY(mlx_add, add)
WANCONV_BINARY(mlx_subtract, subtract)
WANCONV_BINARY(mlx_multiply, multiply)
WANCONV_BINARY(mlx_divide, divide)
WANCONV_BINARY(mlx_maximum, maximum)
WANCONV_BINARY(mlx_minimum, minimum)
WANCONV_BINARY(mlx_power, power)
WANCONV_BINARY(mlx_equal, equal)
WANCONV_BINARY(mlx_less, less)
WANCONV_BINARY(mlx_less_equal, less_equal)
WANCONV_BINARY(mlx_greater, greater)
WANCONV_BINARY(mlx_greater_equal, greater_equal)
WANCONV_BINARY(mlx_matmul, matmul)

int mlx_where(mlx_array* res, const mlx_array c, const mlx_array x, const mlx_array y, const mlx_stream s) {
  return guarded([&] { set(res, mx::where(arr(c), arr(x), arr(y), stream(s))); });
}

int mlx_addmm(mlx_array* res, const mlx_array c, const mlx_array a, const mlx_array b, float alpha, float beta, const mlx_stream s) {
  return guarded([&] { set(res, mx::addmm(arr(c), arr(a), arr(b), alpha, beta, stream(s))); });
}

// ---- reductions -------------------------------------------------------------

#define WANCONV_REDUCE(name, fn)                                                     \
  int name(mlx_array* res, const mlx_array a, bool keepdims, const mlx_stream s) {   \
    return guarded([&] { set(res, mx::fn(arr(a), keepdims, stream(s))); });          \
  }                                                                                  \
  int name##_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n,      \
                  bool keepdims, const mlx_stream s) {                               \
    return guarded([&] { set(res, mx::fn(arr(a), ints(axes, n), keepdims, stream(s))); }); \
  }

WANCONV_REDUCE(mlx_sum, sum)
WANCONV_REDUCE(mlx_mean, mean)
WANCONV_REDUCE(mlx_max, max)
WANCONV_REDUCE(mlx_min, min)

int mlx_var(mlx_array* res, const mlx_array a, bool keepdims, int ddof, const mlx_stream s) {
  return guarded([&] { set(res, mx::var(arr(a), keepdims, ddof, stream(s))); });
}

int mlx_var_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n, bool keepdims, int ddof, const mlx_stream s) {
  return guarded([&] { set(res, mx::var(arr(a), ints(axes, n), keepdims, ddof, stream(s))); });
}

int mlx_argmax_axis(mlx_array* res, const mlx_array a, int axis, bool keepdims, const mlx_stream s) {
  return guarded([&] { set(res, mx::argmax(arr(a), axis, keepdims, stream(s))); });
}

int mlx_softmax(mlx_array* res, const mlx_array a, bool precise, const mlx_stream s) {
  return guarded([&] { set(res, mx::softmax(arr(a), precise, stream(s))); });
}

int mlx_softmax_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n, bool precise, const mlx_stream s) {
  return guarded([&] { set(res, mx::softmax(arr(a), ints(axes, n), precise, stream(s))); });
}

// ---- construction -------------------------------------------------------------

int mlx_zeros(mlx_array* res, const int* shape, size_t n, mlx_dtype dtype, const mlx_stream s) {
  return guarded([&] { set(res, mx::zeros(shape_of(shape, n), to_cpp(dtype), stream(s))); });
}

int mlx_ones(mlx_array* res, const int* shape, size_t n, mlx_dtype dtype, const mlx_stream s) {
  return guarded([&] { set(res, mx::ones(shape_of(shape, n), to_cpp(dtype), stream(s))); });
}

int mlx_full(mlx_array* res, const int* shape, size_t n, const mlx_array vals, mlx_dtype dtype, const mlx_stream s) {
  return guarded([&] { set(res, mx::full(shape_of(shape, n), arr(vals), to_cpp(dtype), stream(s))); });
}

int mlx_arange(mlx_array* res, double start, double stop, double step, mlx_dtype dtype, const mlx_stream s) {
  return guarded([&] { set(res, mx::arange(start, stop, step, to_cpp(dtype), stream(s))); });
}

int mlx_astype(mlx_array* res, const mlx_array a, mlx_dtype dtype, const mlx_stream s) {
  return guarded([&] { set(res, mx::astype(arr(a), to_cpp(dtype), stream(s))); });
}

int mlx_contiguous(mlx_array* res, const mlx_array a, bool allow_col_major, const mlx_stream s) {
  return guarded([&] { set(res, mx::contiguous(arr(a), allow_col_major, stream(s))); });
}

// ---- shape and layout -------------------------------------------------------

int mlx_reshape(mlx_array* res, const mlx_array a, const int* shape, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::reshape(arr(a), shape_of(shape, n), stream(s))); });
}

int mlx_transpose(mlx_array* res, const mlx_array a, const mlx_stream s) {
  return guarded([&] { set(res, mx::transpose(arr(a), stream(s))); });
}

int mlx_transpose_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::transpose(arr(a), ints(axes, n), stream(s))); });
}

int mlx_expand_dims_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::expand_dims(arr(a), ints(axes, n), stream(s))); });
}

int mlx_squeeze(mlx_array* res, const mlx_array a, const mlx_stream s) {
  return guarded([&] { set(res, mx::squeeze(arr(a), stream(s))); });
}

int mlx_squeeze_axes(mlx_array* res, const mlx_array a, const int* axes, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::squeeze(arr(a), ints(axes, n), stream(s))); });
}

int mlx_broadcast_to(mlx_array* res, const mlx_array a, const int* shape, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::broadcast_to(arr(a), shape_of(shape, n), stream(s))); });
}

int mlx_tile(mlx_array* res, const mlx_array a, const int* reps, size_t n, const mlx_stream s) {
  return guarded([&] { set(res, mx::tile(arr(a), ints(reps, n), stream(s))); });
}

int mlx_flatten(mlx_array* res, const mlx_array a, int start_axis, int end_axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::flatten(arr(a), start_axis, end_axis, stream(s))); });
}

int mlx_repeat_axis(mlx_array* res, const mlx_array a, int repeats, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::repeat(arr(a), repeats, axis, stream(s))); });
}

int mlx_take_axis(mlx_array* res, const mlx_array a, const mlx_array indices, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::take(arr(a), arr(indices), axis, stream(s))); });
}

int mlx_concatenate_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::concatenate(vec(arrays), axis, stream(s))); });
}

int mlx_stack_axis(mlx_array* res, const mlx_vector_array arrays, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::stack(vec(arrays), axis, stream(s))); });
}

int mlx_split(mlx_vector_array* res, const mlx_array a, int num_splits, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::split(arr(a), num_splits, axis, stream(s))); });
}

int mlx_split_sections(mlx_vector_array* res, const mlx_array a, const int* indices, size_t n, int axis, const mlx_stream s) {
  return guarded([&] { set(res, mx::split(arr(a), shape_of(indices, n), axis, stream(s))); });
}

int mlx_slice(
    mlx_array* res,
    const mlx_array a,
    const int* start,
    size_t start_num,
    const int* stop,
    size_t stop_num,
    const int* strides,
    size_t strides_num,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::slice(arr(a), shape_of(start, start_num), shape_of(stop, stop_num),
                       shape_of(strides, strides_num), stream(s)));
  });
}

int mlx_pad(
    mlx_array* res,
    const mlx_array a,
    const int* axes,
    size_t axes_num,
    const int* low,
    size_t low_num,
    const int* high,
    size_t high_num,
    const mlx_array pad_value,
    const char* mode,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::pad(arr(a), ints(axes, axes_num), shape_of(low, low_num), shape_of(high, high_num),
                     arr(pad_value), std::string(mode ? mode : "constant"), stream(s)));
  });
}


} // extern "C"
