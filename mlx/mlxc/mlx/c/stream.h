/* wanconv bridge: mlx_stream (subset of mlx-c 0.6 stream.h). */
#ifndef MLX_C_STREAM_H
#define MLX_C_STREAM_H

#include "mlx/c/device.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mlx_stream_ {
  void* ctx;
} mlx_stream;

mlx_stream mlx_stream_new(void);
mlx_stream mlx_stream_new_device(mlx_device dev);
int mlx_stream_free(mlx_stream stream);
int mlx_synchronize(mlx_stream stream);
int mlx_get_default_stream(mlx_stream* stream, mlx_device dev);
int mlx_set_default_stream(mlx_stream stream);
/* The calling thread's default CPU / GPU stream; free with mlx_stream_free. */
mlx_stream mlx_default_cpu_stream_new(void);
mlx_stream mlx_default_gpu_stream_new(void);

#ifdef __cplusplus
}
#endif

#endif
