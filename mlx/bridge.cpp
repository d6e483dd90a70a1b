//go:build mlx && !mlxc

// bridge.cpp implements the subset of the mlx-c 0.6 C API declared in
// mlxc/mlx/c/*.h on top of the MLX C++ library. It is compiled by cgo as part
// of package mlx when the official libmlxc is not used (build tag mlx without
// mlxc). It is one translation unit on purpose: the MLX headers are heavy.
//
// Conventions (those of mlx-c): handles are structs holding a heap-allocated
// C++ object in `ctx`; results are written into `*res`, allocating when
// res->ctx is NULL; every entry point catches C++ exceptions, hands the
// message to the installed error handler and returns non-zero.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/fast.h"
#include "mlx/io.h"
#include "mlx/memory.h"
#include "mlx/ops.h"
#include "mlx/stream.h"
#include "mlx/transforms.h"

#include "mlx/c/mlx.h"

namespace mx = mlx::core;

namespace {

using ArrayVec = std::vector<mx::array>;
using ArrayMap = std::unordered_map<std::string, mx::array>;
using StringMap = std::unordered_map<std::string, std::string>;

// ---- error reporting -------------------------------------------------------

void default_error_handler(const char* msg, void*) {
  std::fprintf(stderr, "MLX error: %s\n", msg);
  std::exit(-1);
}

struct ErrorHandler {
  mlx_error_handler_func fn = default_error_handler;
  void* data = nullptr;
  void (*dtor)(void*) = nullptr;
};

ErrorHandler& error_handler() {
  static ErrorHandler h;
  return h;
}

void report(const char* msg) {
  auto& h = error_handler();
  h.fn(msg, h.data);
}

// guarded runs f, turning any exception into a reported error and status 1.
template <class F>
int guarded(F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    report(e.what());
  } catch (...) {
    report("unknown C++ exception");
  }
  return 1;
}

// ---- handle access ---------------------------------------------------------

template <class T>
T& deref(void* ctx, const char* what) {
  if (ctx == nullptr) {
    throw std::invalid_argument(std::string("empty ") + what + " handle");
  }
  return *static_cast<T*>(ctx);
}

mx::array& arr(const mlx_array a) {
  return deref<mx::array>(a.ctx, "mlx_array");
}

std::optional<mx::array> opt_arr(const mlx_array a) {
  if (a.ctx == nullptr) {
    return std::nullopt;
  }
  return arr(a);
}

mx::Stream& stream(const mlx_stream s) {
  return deref<mx::Stream>(s.ctx, "mlx_stream");
}

mx::Device& device(const mlx_device d) {
  return deref<mx::Device>(d.ctx, "mlx_device");
}

ArrayVec& vec(const mlx_vector_array v) {
  return deref<ArrayVec>(v.ctx, "mlx_vector_array");
}

void set(mlx_array* res, mx::array value) {
  if (res->ctx == nullptr) {
    res->ctx = new mx::array(std::move(value));
  } else {
    *static_cast<mx::array*>(res->ctx) = std::move(value);
  }
}

void set(mlx_vector_array* res, ArrayVec value) {
  if (res->ctx == nullptr) {
    res->ctx = new ArrayVec(std::move(value));
  } else {
    *static_cast<ArrayVec*>(res->ctx) = std::move(value);
  }
}

std::vector<int> ints(const int* p, size_t n) {
  return n == 0 ? std::vector<int>{} : std::vector<int>(p, p + n);
}

mx::Shape shape_of(const int* p, size_t n) {
  return n == 0 ? mx::Shape{} : mx::Shape(p, p + n);
}

const mx::Dtype& to_cpp(mlx_dtype t) {
  static const mx::Dtype table[] = {
      mx::bool_,   mx::uint8,   mx::uint16,  mx::uint32, mx::uint64,
      mx::int8,    mx::int16,   mx::int32,   mx::int64,  mx::float16,
      mx::float32, mx::float64, mx::bfloat16, mx::complex64,
  };
  if (t < MLX_BOOL || t > MLX_COMPLEX64) {
    throw std::invalid_argument("unknown mlx_dtype " + std::to_string(int(t)));
  }
  return table[t];
}

mlx_dtype to_c(mx::Dtype t) {
  switch (t.val()) {
    case mx::Dtype::Val::bool_: return MLX_BOOL;
    case mx::Dtype::Val::uint8: return MLX_UINT8;
    case mx::Dtype::Val::uint16: return MLX_UINT16;
    case mx::Dtype::Val::uint32: return MLX_UINT32;
    case mx::Dtype::Val::uint64: return MLX_UINT64;
    case mx::Dtype::Val::int8: return MLX_INT8;
    case mx::Dtype::Val::int16: return MLX_INT16;
    case mx::Dtype::Val::int32: return MLX_INT32;
    case mx::Dtype::Val::int64: return MLX_INT64;
    case mx::Dtype::Val::float16: return MLX_FLOAT16;
    case mx::Dtype::Val::float32: return MLX_FLOAT32;
    case mx::Dtype::Val::float64: return MLX_FLOAT64;
    case mx::Dtype::Val::bfloat16: return MLX_BFLOAT16;
    case mx::Dtype::Val::complex64: return MLX_COMPLEX64;
  }
  return MLX_FLOAT32;
}

// Element-wise wrappers share these shapes of entry point.
template <class Op>
int unary(mlx_array* res, const mlx_array a, const mlx_stream s, Op op) {
  return guarded([&] { set(res, op(arr(a), stream(s))); });
}

template <class Op>
int binary(mlx_array* res, const mlx_array a, const mlx_array b, const mlx_stream s, Op op) {
  return guarded([&] { set(res, op(arr(a), arr(b), stream(s))); });
}

template <class T>
const T* data_of(const mlx_array a) {
  try {
    return arr(a).data<T>();
  } catch (const std::exception& e) {
    report(e.what());
    return nullptr;
  }
}

struct MapIter {
  std::vector<std::string> keys; // sorted, so iteration order is stable
  size_t next = 0;
};

// new_iter snapshots the keys of a map in sorted order; the map must outlive
// the iterator.
template <class Map>
MapIter* new_iter(void* map_ctx) {
  auto* it = new MapIter();
  for (const auto& kv : deref<Map>(map_ctx, "map")) {
    it->keys.push_back(kv.first);
  }
  std::sort(it->keys.begin(), it->keys.end());
  return it;
}

} // namespace

extern "C" {

// ---- errors -----------------------------------------------------------------

void mlx_set_error_handler(mlx_error_handler_func handler, void* data, void (*dtor)(void*)) {
  auto& h = error_handler();
  if (h.dtor != nullptr) {
    h.dtor(h.data);
  }
  h.fn = handler != nullptr ? handler : default_error_handler;
  h.data = data;
  h.dtor = dtor;
}

// ---- arrays -----------------------------------------------------------------

size_t mlx_dtype_size(mlx_dtype dtype) {
  try {
    return to_cpp(dtype).size();
  } catch (const std::exception& e) {
    report(e.what());
    return 0;
  }
}

mlx_array mlx_array_new(void) { return mlx_array{nullptr}; }

int mlx_array_free(mlx_array a) {
  delete static_cast<mx::array*>(a.ctx);
  return 0;
}

mlx_array mlx_array_new_bool(bool val) { return mlx_array{new mx::array(val)}; }
mlx_array mlx_array_new_int(int val) { return mlx_array{new mx::array(val)}; }
mlx_array mlx_array_new_float32(float val) { return mlx_array{new mx::array(val)}; }
mlx_array mlx_array_new_float64(double val) {
  return mlx_array{new mx::array(val, mx::float64)};
}

mlx_array mlx_array_new_data(const void* data, const int* shape, int dim, mlx_dtype dtype) {
  mlx_array res{nullptr};
  guarded([&] {
    const auto& t = to_cpp(dtype);
    auto sh = shape_of(shape, dim < 0 ? 0 : size_t(dim));
    size_t n = 1;
    for (auto d : sh) {
      if (d < 0) {
        throw std::invalid_argument("negative dimension in mlx_array_new_data");
      }
      n *= size_t(d);
    }
    size_t nbytes = n * t.size();
    // MLX may keep the buffer without copying: hand it a private copy,
    // owned here until the array has taken it over.
    std::unique_ptr<void, void (*)(void*)> copy(std::malloc(nbytes == 0 ? 1 : nbytes), std::free);
    if (copy == nullptr) {
      throw std::bad_alloc();
    }
    if (nbytes > 0) {
      std::memcpy(copy.get(), data, nbytes);
    }
    res.ctx = new mx::array(copy.get(), std::move(sh), t, [](void* p) { std::free(p); });
    copy.release();
  });
  return res;
}

int mlx_array_set(mlx_array* a, const mlx_array src) {
  return guarded([&] { set(a, arr(src)); });
}

size_t mlx_array_itemsize(const mlx_array a) { return a.ctx ? arr(a).itemsize() : 0; }
size_t mlx_array_size(const mlx_array a) { return a.ctx ? arr(a).size() : 0; }
size_t mlx_array_nbytes(const mlx_array a) { return a.ctx ? arr(a).nbytes() : 0; }
size_t mlx_array_ndim(const mlx_array a) { return a.ctx ? arr(a).ndim() : 0; }
const int* mlx_array_shape(const mlx_array a) {
  return a.ctx ? reinterpret_cast<const int*>(arr(a).shape().data()) : nullptr;
}
int mlx_array_dim(const mlx_array a, int dim) {
  int res = 0;
  guarded([&] { res = arr(a).shape(dim); });
  return res;
}
mlx_dtype mlx_array_dtype(const mlx_array a) {
  return a.ctx ? to_c(arr(a).dtype()) : MLX_FLOAT32;
}

int mlx_array_eval(mlx_array a) {
  return guarded([&] { arr(a).eval(); });
}

const bool* mlx_array_data_bool(const mlx_array a) { return data_of<bool>(a); }
const uint8_t* mlx_array_data_uint8(const mlx_array a) { return data_of<uint8_t>(a); }
const int32_t* mlx_array_data_int32(const mlx_array a) { return data_of<int32_t>(a); }
const int64_t* mlx_array_data_int64(const mlx_array a) { return data_of<int64_t>(a); }
const float* mlx_array_data_float32(const mlx_array a) { return data_of<float>(a); }
const double* mlx_array_data_float64(const mlx_array a) { return data_of<double>(a); }

// ---- devices and streams ----------------------------------------------------

mlx_device mlx_device_new(void) { return mlx_device{nullptr}; }

mlx_device mlx_device_new_type(mlx_device_type type, int index) {
  auto t = type == MLX_GPU ? mx::Device::gpu : mx::Device::cpu;
  return mlx_device{new mx::Device(t, index)};
}

int mlx_device_free(mlx_device d) {
  delete static_cast<mx::Device*>(d.ctx);
  return 0;
}

int mlx_device_get_type(mlx_device_type* type, mlx_device d) {
  return guarded([&] { *type = device(d).type == mx::Device::gpu ? MLX_GPU : MLX_CPU; });
}

int mlx_device_is_available(bool* avail, mlx_device d) {
  return guarded([&] { *avail = mx::is_available(device(d)); });
}

int mlx_get_default_device(mlx_device* d) {
  return guarded([&] {
    const auto& dev = mx::default_device();
    if (d->ctx == nullptr) {
      d->ctx = new mx::Device(dev);
    } else {
      *static_cast<mx::Device*>(d->ctx) = dev;
    }
  });
}

int mlx_set_default_device(mlx_device d) {
  return guarded([&] { mx::set_default_device(device(d)); });
}

mlx_stream mlx_stream_new(void) { return mlx_stream{nullptr}; }

mlx_stream mlx_stream_new_device(mlx_device d) {
  mlx_stream res{nullptr};
  guarded([&] { res.ctx = new mx::Stream(mx::new_stream(device(d))); });
  return res;
}

int mlx_stream_free(mlx_stream s) {
  delete static_cast<mx::Stream*>(s.ctx);
  return 0;
}

int mlx_synchronize(mlx_stream s) {
  return guarded([&] { mx::synchronize(stream(s)); });
}

int mlx_get_default_stream(mlx_stream* s, mlx_device d) {
  return guarded([&] {
    auto st = mx::default_stream(device(d));
    if (s->ctx == nullptr) {
      s->ctx = new mx::Stream(st);
    } else {
      *static_cast<mx::Stream*>(s->ctx) = st;
    }
  });
}

int mlx_set_default_stream(mlx_stream s) {
  return guarded([&] { mx::set_default_stream(stream(s)); });
}

mlx_stream mlx_default_cpu_stream_new(void) {
  mlx_stream res{nullptr};
  guarded([&] { res.ctx = new mx::Stream(mx::default_stream(mx::Device::cpu)); });
  return res;
}

mlx_stream mlx_default_gpu_stream_new(void) {
  mlx_stream res{nullptr};
  guarded([&] { res.ctx = new mx::Stream(mx::default_stream(mx::Device::gpu)); });
  return res;
}

// ---- vectors ----------------------------------------------------------------

mlx_vector_array mlx_vector_array_new(void) { return mlx_vector_array{new ArrayVec()}; }

int mlx_vector_array_free(mlx_vector_array v) {
  delete static_cast<ArrayVec*>(v.ctx);
  return 0;
}

mlx_vector_array mlx_vector_array_new_data(const mlx_array* data, size_t size) {
  mlx_vector_array res{nullptr};
  guarded([&] {
    auto v = std::make_unique<ArrayVec>();
    v->reserve(size);
    for (size_t i = 0; i < size; i++) {
      v->push_back(arr(data[i]));
    }
    res.ctx = v.release();
  });
  return res;
}

int mlx_vector_array_append_value(mlx_vector_array v, const mlx_array val) {
  return guarded([&] { vec(v).push_back(arr(val)); });
}

size_t mlx_vector_array_size(mlx_vector_array v) { return v.ctx ? vec(v).size() : 0; }

int mlx_vector_array_get(mlx_array* res, const mlx_vector_array v, size_t idx) {
  return guarded([&] { set(res, vec(v).at(idx)); });
}

// ---- maps -------------------------------------------------------------------

mlx_map_string_to_array mlx_map_string_to_array_new(void) {
  return mlx_map_string_to_array{new ArrayMap()};
}

int mlx_map_string_to_array_free(mlx_map_string_to_array m) {
  delete static_cast<ArrayMap*>(m.ctx);
  return 0;
}

int mlx_map_string_to_array_insert(mlx_map_string_to_array m, const char* key, const mlx_array value) {
  return guarded([&] { deref<ArrayMap>(m.ctx, "map").insert_or_assign(key, arr(value)); });
}

int mlx_map_string_to_array_get(mlx_array* value, const mlx_map_string_to_array m, const char* key) {
  int status = 0;
  int rc = guarded([&] {
    auto& map = deref<ArrayMap>(m.ctx, "map");
    auto it = map.find(key);
    if (it == map.end()) {
      status = 2;
      return;
    }
    set(value, it->second);
  });
  return rc != 0 ? rc : status;
}

mlx_map_string_to_array_iterator mlx_map_string_to_array_iterator_new(mlx_map_string_to_array m) {
  mlx_map_string_to_array_iterator res{nullptr, m.ctx};
  guarded([&] { res.ctx = new_iter<ArrayMap>(m.ctx); });
  return res;
}

int mlx_map_string_to_array_iterator_free(mlx_map_string_to_array_iterator it) {
  delete static_cast<MapIter*>(it.ctx);
  return 0;
}

int mlx_map_string_to_array_iterator_next(const char** key, mlx_array* value, mlx_map_string_to_array_iterator it) {
  int status = 0;
  int rc = guarded([&] {
    auto& iter = deref<MapIter>(it.ctx, "iterator");
    if (iter.next >= iter.keys.size()) {
      status = 2;
      return;
    }
    auto& map = deref<ArrayMap>(it.map_ctx, "map");
    auto found = map.find(iter.keys[iter.next++]);
    if (found == map.end()) {
      throw std::runtime_error("map changed during iteration");
    }
    *key = found->first.c_str();
    set(value, found->second);
  });
  return rc != 0 ? rc : status;
}

mlx_map_string_to_string mlx_map_string_to_string_new(void) {
  return mlx_map_string_to_string{new StringMap()};
}

int mlx_map_string_to_string_free(mlx_map_string_to_string m) {
  delete static_cast<StringMap*>(m.ctx);
  return 0;
}

int mlx_map_string_to_string_insert(mlx_map_string_to_string m, const char* key, const char* value) {
  return guarded([&] { deref<StringMap>(m.ctx, "map").insert_or_assign(key, value); });
}

mlx_map_string_to_string_iterator mlx_map_string_to_string_iterator_new(mlx_map_string_to_string m) {
  mlx_map_string_to_string_iterator res{nullptr, m.ctx};
  guarded([&] { res.ctx = new_iter<StringMap>(m.ctx); });
  return res;
}

int mlx_map_string_to_string_iterator_free(mlx_map_string_to_string_iterator it) {
  delete static_cast<MapIter*>(it.ctx);
  return 0;
}

int mlx_map_string_to_string_iterator_next(const char** key, const char** value, mlx_map_string_to_string_iterator it) {
  int status = 0;
  int rc = guarded([&] {
    auto& iter = deref<MapIter>(it.ctx, "iterator");
    if (iter.next >= iter.keys.size()) {
      status = 2;
      return;
    }
    auto& map = deref<StringMap>(it.map_ctx, "map");
    auto found = map.find(iter.keys[iter.next++]);
    if (found == map.end()) {
      throw std::runtime_error("map changed during iteration");
    }
    *key = found->first.c_str();
    *value = found->second.c_str();
  });
  return rc != 0 ? rc : status;
}

// ---- evaluation, memory, IO -------------------------------------------------

int mlx_eval(const mlx_vector_array outputs) {
  return guarded([&] { mx::eval(vec(outputs)); });
}

int mlx_clear_cache(void) {
  return guarded([] { mx::clear_cache(); });
}
int mlx_get_active_memory(size_t* res) {
  return guarded([&] { *res = mx::get_active_memory(); });
}
int mlx_get_cache_memory(size_t* res) {
  return guarded([&] { *res = mx::get_cache_memory(); });
}
int mlx_get_peak_memory(size_t* res) {
  return guarded([&] { *res = mx::get_peak_memory(); });
}
int mlx_reset_peak_memory(void) {
  return guarded([] { mx::reset_peak_memory(); });
}

int mlx_load_safetensors(
    mlx_map_string_to_array* res_0,
    mlx_map_string_to_string* res_1,
    const char* file,
    const mlx_stream s) {
  return guarded([&] {
    auto loaded = mx::load_safetensors(std::string(file), stream(s));
    if (res_0->ctx == nullptr) {
      res_0->ctx = new ArrayMap();
    }
    if (res_1->ctx == nullptr) {
      res_1->ctx = new StringMap();
    }
    *static_cast<ArrayMap*>(res_0->ctx) = std::move(loaded.first);
    *static_cast<StringMap*>(res_1->ctx) = std::move(loaded.second);
  });
}

int mlx_save_safetensors(
    const char* file,
    const mlx_map_string_to_array param,
    const mlx_map_string_to_string metadata) {
  return guarded([&] {
    StringMap meta;
    if (metadata.ctx != nullptr) {
      meta = deref<StringMap>(metadata.ctx, "map");
    }
    mx::save_safetensors(std::string(file), deref<ArrayMap>(param.ctx, "map"), meta);
  });
}

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

// ---- convolution and fused kernels ------------------------------------------

int mlx_conv_general(
    mlx_array* res,
    const mlx_array input,
    const mlx_array weight,
    const int* stride,
    size_t stride_num,
    const int* padding_lo,
    size_t padding_lo_num,
    const int* padding_hi,
    size_t padding_hi_num,
    const int* kernel_dilation,
    size_t kernel_dilation_num,
    const int* input_dilation,
    size_t input_dilation_num,
    int groups,
    bool flip,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::conv_general(arr(input), arr(weight), ints(stride, stride_num),
                              ints(padding_lo, padding_lo_num), ints(padding_hi, padding_hi_num),
                              ints(kernel_dilation, kernel_dilation_num),
                              ints(input_dilation, input_dilation_num), groups, flip, stream(s)));
  });
}

int mlx_fast_layer_norm(mlx_array* res, const mlx_array x, const mlx_array weight, const mlx_array bias, float eps, const mlx_stream s) {
  return guarded([&] {
    set(res, mx::fast::layer_norm(arr(x), opt_arr(weight), opt_arr(bias), eps, stream(s)));
  });
}

int mlx_fast_rms_norm(mlx_array* res, const mlx_array x, const mlx_array weight, float eps, const mlx_stream s) {
  return guarded([&] { set(res, mx::fast::rms_norm(arr(x), opt_arr(weight), eps, stream(s))); });
}

int mlx_fast_scaled_dot_product_attention(
    mlx_array* res,
    const mlx_array queries,
    const mlx_array keys,
    const mlx_array values,
    float scale,
    const char* mask_mode,
    const mlx_array mask_arr,
    const mlx_array sinks,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::fast::scaled_dot_product_attention(
                 arr(queries), arr(keys), arr(values), scale, std::string(mask_mode ? mask_mode : ""),
                 opt_arr(mask_arr), opt_arr(sinks), false, stream(s)));
  });
}

} // extern "C"
