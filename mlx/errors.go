package mlx

import "errors"

// ErrUnavailable is returned by Do when the package was built without MLX
// (without the `mlx` build tag).
var ErrUnavailable = errors.New("mlx: not available (build with -tags mlx; see mlx/README.md)")

// errOutsideDo is recorded on arrays made by operations called outside Do.
var errOutsideDo = errors.New("mlx: operation called outside mlx.Do")
