package weights

import "github.com/wanconv/wanconv/tensor"

// Info describes one tensor for package mapping from an MLX-style shape.
func Info(name string, dt tensor.DType, shape []int) tensor.Info {
	s := make([]int64, len(shape))
	for i, d := range shape {
		s[i] = int64(d)
	}
	return tensor.Info{Name: name, DType: dt, Shape: s}
}

// InfosOf describes tensors given as name → shape, all of dtype dt, sorted
// by name.
func InfosOf(shapes map[string][]int, dt tensor.DType) []tensor.Info {
	infos := make([]tensor.Info, 0, len(shapes))
	for name, shape := range shapes {
		infos = append(infos, Info(name, dt, shape))
	}
	tensor.SortInfos(infos)
	return infos
}
