//go:build mlx && !mlxc

// The bridge implements the subset of the mlx-c 0.6 C API declared in
// mlxc/mlx/c/*.h on top of the MLX C++ library. cgo compiles its files
// (bridge_*.cpp) into package mlx when the official libmlxc is not used
// (build tag mlx without mlxc); mk/mlx.mk's mlx-mlxc-check builds them alone
// as a libmlxc.
//
// Conventions (those of mlx-c): handles are structs holding a heap-allocated
// C++ object in `ctx`; results are written into `*res`, allocating when
// res->ctx is NULL; every entry point catches C++ exceptions, hands the
// message to the installed error handler and returns non-zero.
//
// This file: error handler, arrays, devices and streams, vectors and maps.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "bridge.h"

using namespace wanconv_bridge;

namespace {

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

}  // namespace

void wanconv_bridge::report(const char* msg) {
  auto& h = error_handler();
  h.fn(msg, h.data);
}

namespace {

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


} // extern "C"
