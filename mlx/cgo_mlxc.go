//go:build mlx && mlxc

package mlx

// Build against an installed official mlx-c (libmlxc + libmlx). Its headers
// and libraries are found through CGO_CFLAGS / CGO_LDFLAGS (mk/mlx.mk derives
// them from MLXC_PREFIX); no Go code changes.

/*
#cgo LDFLAGS: -lmlxc -lmlx -lstdc++
*/
import "C"
