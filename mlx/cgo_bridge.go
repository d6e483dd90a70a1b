//go:build mlx && !mlxc

package mlx

// Build with the package's own mlx-c compatible bridge (bridge_*.cpp), which
// needs the MLX C++ headers and library: CGO_CXXFLAGS must hold
// -I<mlx>/include and CGO_LDFLAGS -L<mlx>/lib (mk/mlx.mk sets both).

/*
#cgo CFLAGS: -I${SRCDIR}/mlxc
#cgo CXXFLAGS: -std=c++20 -I${SRCDIR}/mlxc
#cgo LDFLAGS: -lmlx -lstdc++
*/
import "C"
