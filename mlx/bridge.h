// bridge.h is private to the bridge (bridge_*.cpp): the helpers its
// translation units share. Not part of the mlx-c API.
#ifndef WANCONV_BRIDGE_H
#define WANCONV_BRIDGE_H

#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "mlx/array.h"
#include "mlx/device.h"
#include "mlx/stream.h"

#include "mlx/c/mlx.h"

namespace mx = mlx::core;

namespace wanconv_bridge {

using ArrayVec = std::vector<mx::array>;
using ArrayMap = std::unordered_map<std::string, mx::array>;
using StringMap = std::unordered_map<std::string, std::string>;

// report hands msg to the installed error handler (bridge_core.cpp).
void report(const char* msg);

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

inline mx::array& arr(const mlx_array a) {
  return deref<mx::array>(a.ctx, "mlx_array");
}

inline std::optional<mx::array> opt_arr(const mlx_array a) {
  if (a.ctx == nullptr) {
    return std::nullopt;
  }
  return arr(a);
}

inline mx::Stream& stream(const mlx_stream s) {
  return deref<mx::Stream>(s.ctx, "mlx_stream");
}

inline mx::Device& device(const mlx_device d) {
  return deref<mx::Device>(d.ctx, "mlx_device");
}

inline ArrayVec& vec(const mlx_vector_array v) {
  return deref<ArrayVec>(v.ctx, "mlx_vector_array");
}

inline void set(mlx_array* res, mx::array value) {
  if (res->ctx == nullptr) {
    res->ctx = new mx::array(std::move(value));
  } else {
    *static_cast<mx::array*>(res->ctx) = std::move(value);
  }
}

inline void set(mlx_vector_array* res, ArrayVec value) {
  if (res->ctx == nullptr) {
    res->ctx = new ArrayVec(std::move(value));
  } else {
    *static_cast<ArrayVec*>(res->ctx) = std::move(value);
  }
}

inline std::vector<int> ints(const int* p, size_t n) {
  return n == 0 ? std::vector<int>{} : std::vector<int>(p, p + n);
}

inline mx::Shape shape_of(const int* p, size_t n) {
  return n == 0 ? mx::Shape{} : mx::Shape(p, p + n);
}

inline const mx::Dtype& to_cpp(mlx_dtype t) {
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

inline mlx_dtype to_c(mx::Dtype t) {
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

template <class T>
const T* data_of(const mlx_array a) {
  try {
    return arr(a).data<T>();
  } catch (const std::exception& e) {
    report(e.what());
    return nullptr;
  }
}

} // namespace wanconv_bridge

#endif
