//go:build mlx && !mlxc

// Bridge (see bridge_core.cpp): evaluation, memory, safetensors IO,
// convolution, the fused kernels of fast.h and quantization.

#include "mlx/fast.h"
#include "mlx/io.h"
#include "mlx/memory.h"
#include "mlx/ops.h"
#include "mlx/transforms.h"

#include "bridge.h"

using namespace wanconv_bridge;

extern "C" {

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


// ---- quantization -----------------------------------------------------------

namespace {

std::optional<int> opt_int(mlx_optional_int v) {
  return v.has_value ? std::optional<int>(v.value) : std::nullopt;
}

std::optional<mx::Dtype> opt_dtype(mlx_optional_dtype v) {
  return v.has_value ? std::optional<mx::Dtype>(to_cpp(v.value)) : std::nullopt;
}

std::string mode_of(const char* mode) {
  return mode != nullptr ? std::string(mode) : std::string("affine");
}

} // namespace

int mlx_quantize(
    mlx_vector_array* res,
    const mlx_array w,
    mlx_optional_int group_size,
    mlx_optional_int bits,
    const char* mode,
    const mlx_array global_scale,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::quantize(arr(w), opt_int(group_size), opt_int(bits), mode_of(mode),
                          opt_arr(global_scale), stream(s)));
  });
}

int mlx_dequantize(
    mlx_array* res,
    const mlx_array w,
    const mlx_array scales,
    const mlx_array biases,
    mlx_optional_int group_size,
    mlx_optional_int bits,
    const char* mode,
    const mlx_array global_scale,
    mlx_optional_dtype dtype,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::dequantize(arr(w), arr(scales), opt_arr(biases), opt_int(group_size), opt_int(bits),
                            mode_of(mode), opt_arr(global_scale), opt_dtype(dtype), stream(s)));
  });
}

int mlx_quantized_matmul(
    mlx_array* res,
    const mlx_array x,
    const mlx_array w,
    const mlx_array scales,
    const mlx_array biases,
    bool transpose,
    mlx_optional_int group_size,
    mlx_optional_int bits,
    const char* mode,
    const mlx_stream s) {
  return guarded([&] {
    set(res, mx::quantized_matmul(arr(x), arr(w), arr(scales), opt_arr(biases), transpose,
                                  opt_int(group_size), opt_int(bits), mode_of(mode), stream(s)));
  });
}

} // extern "C"
