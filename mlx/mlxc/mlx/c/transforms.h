/* wanconv bridge: evaluation (subset of mlx-c 0.6 transforms.h). */
#ifndef MLX_C_TRANSFORMS_H
#define MLX_C_TRANSFORMS_H

#include "mlx/c/vector.h"

#ifdef __cplusplus
extern "C" {
#endif

int mlx_eval(const mlx_vector_array outputs);

#ifdef __cplusplus
}
#endif

#endif
