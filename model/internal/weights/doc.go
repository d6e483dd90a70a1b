// Package weights connects the model packages (dit, t5, vae) to the
// architecture knowledge of package mapping: it describes a map of loaded
// MLX arrays as tensor.Info values (name, dtype, shape) and runs mapping's
// checks on them, so that every model infers its architecture and validates
// its weights the same way the converter and the verifier do; it also
// holds what the three models share: the resolution of their ComputeDType
// option and their weight ownership rule (Take). Without the
// mlx build tag only the shape-to-tensor.Info helpers and ComputeDType are
// built.
package weights
