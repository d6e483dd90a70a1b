/* wanconv bridge: fused kernels (subset of mlx-c 0.6 fast.h). */
#ifndef MLX_C_FAST_H
#define MLX_C_FAST_H

#include "mlx/c/array.h"
#include "mlx/c/stream.h"

#ifdef __cplusplus
extern "C" {
#endif

int mlx_fast_layer_norm(
    mlx_array* res,
    const mlx_array x,
    const mlx_array weight /* may be null */,
    const mlx_array bias /* may be null */,
    float eps,
    const mlx_stream s);
int mlx_fast_rms_norm(
    mlx_array* res,
    const mlx_array x,
    const mlx_array weight /* may be null */,
    float eps,
    const mlx_stream s);
/* mask_mode: "" (no mask), "causal" or "array" (mask_arr: bool, true =
 * attend, or additive, broadcastable to B,H,Lq,Lk). */
int mlx_fast_scaled_dot_product_attention(
    mlx_array* res,
    const mlx_array queries,
    const mlx_array keys,
    const mlx_array values,
    float scale,
    const char* mask_mode,
    const mlx_array mask_arr /* may be null */,
    const mlx_array sinks /* may be null */,
    const mlx_stream s);

#ifdef __cplusplus
}
#endif

#endif
