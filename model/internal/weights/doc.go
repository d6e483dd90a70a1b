// Package weights connects the model packages (dit, t5, vae) to the
// architecture knowledge of package mapping: it describes a map of loaded
// MLX arrays as tensor.Info values (name, dtype, shape) and runs mapping's
// checks on them, so that every model infers its architecture and validates
// its weights the same way the converter and the verifier do. Without the
// mlx build tag only the shape-to-tensor.Info helpers are built.
package weights
