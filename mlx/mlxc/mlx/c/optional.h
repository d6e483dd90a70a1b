/* wanconv bridge: optional scalars (subset of mlx-c 0.6 optional.h). */
#ifndef MLX_C_OPTIONAL_H
#define MLX_C_OPTIONAL_H

#include <stdbool.h>

#include "mlx/c/array.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An int that may be absent (has_value false: use the library default). */
typedef struct mlx_optional_int_ {
  int value;
  bool has_value;
} mlx_optional_int;

/* A dtype that may be absent. */
typedef struct mlx_optional_dtype_ {
  mlx_dtype value;
  bool has_value;
} mlx_optional_dtype;

#ifdef __cplusplus
}
#endif

#endif
