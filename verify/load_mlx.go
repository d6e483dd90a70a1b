//go:build mlx

package verify

import (
	"fmt"
	"os"
	"runtime"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

// The forward passes read the weights through job.Open, the converted
// directory's tree (never mlx.LoadSafetensors by the tree path, which would
// follow a link out of the directory). Where the system names open files
// (/proc/self/fd on Linux, /dev/fd on macOS), MLX's own lazy loader reads
// the file that job.Open opened, by its descriptor's name: the same inode,
// whatever the path now leads to, with MLX's memory use and speed. Elsewhere
// each tensor's bytes are read by the safetensors reader and copied into an
// array of its stored dtype.

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
		arrs, err := loadFile(job.Open, path, true, &buf)
		if err != nil {
			freeAll(loaded)
			return nil, err
		}
		for name := range arrs {
			if _, dup := loaded[name]; dup {
				freeAll(loaded)
				freeAll(arrs)
				return nil, fmt.Errorf("tensor %s appears in more than one file (again in %s)", name, path)
			}
		}
		for name, a := range arrs {
			loaded[name] = a
		}
	}
	return loaded, nil
}

// loadFile reads one safetensors file opened through open: by MLX's loader
// on the opened descriptor where the system names it (and byDescriptor),
// else tensor by tensor.
func loadFile(open safetensors.Opener, path string, byDescriptor bool, buf *[]byte) (map[string]*mlx.Array, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if name, ok := descriptorPath(f); ok && byDescriptor {
		// The strict reader checks the header of this very file first, so
		// MLX's loader never parses one the structural checks did not see
		// (the tree path may have been swapped since they ran).
		hdr, err := safetensors.Open(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		hdr.Close()
		arrs, _, err := mlx.LoadSafetensors(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for _, a := range arrs {
			mlx.Keep(a)
		}
		return arrs, nil
	}
	src, err := safetensors.OpenWith(func(string) (*os.File, error) { return open(path) }, path)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	arrs := map[string]*mlx.Array{}
	for _, info := range src.Tensors() {
		a, err := readArray(src, info, buf)
		if err != nil {
			freeAll(arrs)
			return nil, err
		}
		arrs[info.Name] = a
	}
	return arrs, nil
}

// descriptorPath names the open file f by its descriptor (/proc/self/fd/N,
// /dev/fd/N), when the system has such names and this one opens f's file.
func descriptorPath(f *os.File) (string, bool) {
	var dir string
	switch runtime.GOOS {
	case "linux":
		dir = "/proc/self/fd"
	case "darwin":
		dir = "/dev/fd"
	default:
		return "", false
	}
	name := fmt.Sprintf("%s/%d", dir, f.Fd())
	a, err1 := os.Stat(name)
	b, err2 := f.Stat()
	if err1 != nil || err2 != nil || !os.SameFile(a, b) {
		return "", false
	}
	return name, true
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
