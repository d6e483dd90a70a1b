/* wanconv bridge: mlx_device (subset of mlx-c 0.6 device.h). */
#ifndef MLX_C_DEVICE_H
#define MLX_C_DEVICE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mlx_device_ {
  void* ctx;
} mlx_device;

typedef enum mlx_device_type_ { MLX_CPU, MLX_GPU } mlx_device_type;

mlx_device mlx_device_new(void);
mlx_device mlx_device_new_type(mlx_device_type type, int index);
int mlx_device_free(mlx_device dev);
int mlx_device_get_type(mlx_device_type* type, mlx_device dev);
int mlx_device_is_available(bool* avail, mlx_device dev);
int mlx_get_default_device(mlx_device* dev);
int mlx_set_default_device(mlx_device dev);

#ifdef __cplusplus
}
#endif

#endif
