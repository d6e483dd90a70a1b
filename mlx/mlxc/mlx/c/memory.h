/* wanconv bridge: allocator statistics (subset of mlx-c 0.6 memory.h). */
#ifndef MLX_C_MEMORY_H
#define MLX_C_MEMORY_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int mlx_clear_cache(void);
int mlx_get_active_memory(size_t* res);
int mlx_get_cache_memory(size_t* res);
int mlx_get_peak_memory(size_t* res);
int mlx_reset_peak_memory(void);

#ifdef __cplusplus
}
#endif

#endif
