/* wanconv bridge: string-keyed maps (subset of mlx-c 0.6 map.h). */
#ifndef MLX_C_MAP_H
#define MLX_C_MAP_H

#include "mlx/c/array.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mlx_map_string_to_array_ {
  void* ctx;
} mlx_map_string_to_array;

typedef struct mlx_map_string_to_array_iterator_ {
  void* ctx;
  void* map_ctx;
} mlx_map_string_to_array_iterator;

mlx_map_string_to_array mlx_map_string_to_array_new(void);
int mlx_map_string_to_array_free(mlx_map_string_to_array map);
int mlx_map_string_to_array_insert(
    mlx_map_string_to_array map,
    const char* key,
    const mlx_array value);
/* Returns 0 and sets *value when key is present, 2 when it is not. */
int mlx_map_string_to_array_get(
    mlx_array* value,
    const mlx_map_string_to_array map,
    const char* key);
mlx_map_string_to_array_iterator mlx_map_string_to_array_iterator_new(
    mlx_map_string_to_array map);
int mlx_map_string_to_array_iterator_free(mlx_map_string_to_array_iterator it);
/* Returns 0 with the next entry (key valid while the map lives), 2 at the
 * end, and 1 after reporting an error to the error handler. */
int mlx_map_string_to_array_iterator_next(
    const char** key,
    mlx_array* value,
    mlx_map_string_to_array_iterator it);

typedef struct mlx_map_string_to_string_ {
  void* ctx;
} mlx_map_string_to_string;

typedef struct mlx_map_string_to_string_iterator_ {
  void* ctx;
  void* map_ctx;
} mlx_map_string_to_string_iterator;

mlx_map_string_to_string mlx_map_string_to_string_new(void);
int mlx_map_string_to_string_free(mlx_map_string_to_string map);
int mlx_map_string_to_string_insert(
    mlx_map_string_to_string map,
    const char* key,
    const char* value);
mlx_map_string_to_string_iterator mlx_map_string_to_string_iterator_new(
    mlx_map_string_to_string map);
int mlx_map_string_to_string_iterator_free(
    mlx_map_string_to_string_iterator it);
/* Statuses as for mlx_map_string_to_array_iterator_next. */
int mlx_map_string_to_string_iterator_next(
    const char** key,
    const char** value,
    mlx_map_string_to_string_iterator it);

#ifdef __cplusplus
}
#endif

#endif
