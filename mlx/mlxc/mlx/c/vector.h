/* wanconv bridge: mlx_vector_array (subset of mlx-c 0.6 vector.h). */
#ifndef MLX_C_VECTOR_H
#define MLX_C_VECTOR_H

#include <stddef.h>

#include "mlx/c/array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mlx_vector_array_ {
  void* ctx;
} mlx_vector_array;

mlx_vector_array mlx_vector_array_new(void);
int mlx_vector_array_free(mlx_vector_array vec);
/* Copies the handles' arrays (not their data) into a new vector. */
mlx_vector_array mlx_vector_array_new_data(const mlx_array* data, size_t size);
int mlx_vector_array_append_value(mlx_vector_array vec, const mlx_array val);
size_t mlx_vector_array_size(mlx_vector_array vec);
/* Stores element idx into *res (allocated if res->ctx is NULL). */
int mlx_vector_array_get(mlx_array* res, const mlx_vector_array vec, size_t idx);

#ifdef __cplusplus
}
#endif

#endif
