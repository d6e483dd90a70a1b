//go:build mlx

package verify

import (
	"fmt"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// The forward passes read the weights through job.Open, the converted
// directory's tree (never mlx.LoadSafetensors by path, which would follow a
// link out of the directory): each tensor's bytes are read by the
// safetensors reader and copied into an array of its stored dtype.

// mlxDTypes maps every stored dtype to MLX's, so that a model's own checks
// see what the file holds (a float64 weight is refused by the model, not
// converted here).
var mlxDTypes = map[tensor.DType]mlx.Dtype{
	tensor.Bool: mlx.Bool, tensor.U8: mlx.Uint8, tensor.I8: mlx.Int8, tensor.I16: mlx.Int16,
	tensor.I32: mlx.Int32, tensor.I64: mlx.Int64, tensor.F16: mlx.Float16, tensor.BF16: mlx.BFloat16,
	tensor.F32: mlx.Float32, tensor.F64: mlx.Float64, tensor.U32: mlx.Uint32,
}

// loadArrays reads every tensor of job.Files into evaluated arrays (kept:
// the caller or the model frees them); a tensor stored in two files is an
// error.
func loadArrays(job forwardJob) (map[string]*mlx.Array, error) {
	loaded := map[string]*mlx.Array{}
	var buf []byte
	for _, path := range job.Files {
		src, err := safetensors.OpenWith(job.Open, path)
		if err != nil {
			freeAll(loaded)
			return nil, err
		}
		for _, info := range src.Tensors() {
			if _, dup := loaded[info.Name]; dup {
				src.Close()
				freeAll(loaded)
				return nil, fmt.Errorf("tensor %s appears in more than one file (again in %s)", info.Name, path)
			}
			a, err := readArray(src, info, &buf)
			if err != nil {
				src.Close()
				freeAll(loaded)
				return nil, err
			}
			loaded[info.Name] = a
		}
		if err := src.Close(); err != nil {
			freeAll(loaded)
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return loaded, nil
}

// readArray copies one stored tensor into a new evaluated, kept array;
// buf is reused between calls.
func readArray(src *safetensors.File, info tensor.Info, buf *[]byte) (*mlx.Array, error) {
	dt, ok := mlxDTypes[info.DType]
	if !ok {
		return nil, fmt.Errorf("%s: tensor %s: dtype %s has no MLX type", src.Path(), info.Name, info.DType.Name())
	}
	n := info.NumBytes()
	if int64(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if err := src.ReadTensor(info.Name, b); err != nil {
		return nil, err
	}
	a := mlx.FromBytes(b, dt, ints(info.Shape)...)
	if err := mlx.Eval(a); err != nil {
		return nil, fmt.Errorf("%s: tensor %s: %w", src.Path(), info.Name, err)
	}
	mlx.Keep(a)
	return a, nil
}
