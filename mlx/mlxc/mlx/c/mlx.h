/* wanconv mlx-c compatible bridge: umbrella header.
 *
 * These headers declare the subset of the mlx-c 0.6 C API that the Go package
 * github.com/wanconv/wanconv/mlx uses, with mlx-c's names, types and calling
 * conventions, so the same Go code builds against this bridge (build tag `mlx`)
 * or against an installed official libmlxc (build tags `mlx mlxc`). */
#ifndef MLX_C_MLX_H
#define MLX_C_MLX_H

#include "mlx/c/array.h"
#include "mlx/c/device.h"
#include "mlx/c/error.h"
#include "mlx/c/fast.h"
#include "mlx/c/io.h"
#include "mlx/c/map.h"
#include "mlx/c/memory.h"
#include "mlx/c/ops.h"
#include "mlx/c/optional.h"
#include "mlx/c/stream.h"
#include "mlx/c/transforms.h"
#include "mlx/c/vector.h"

#endif
