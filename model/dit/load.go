//go:build mlx

package dit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/mlx"
)

// Load reads the DiT from its safetensors files (the shards of a converted
// checkpoint; package layout finds them in a directory) and config.json
// (configJSON, nil when absent), reads every tensor into memory and builds
// the model with New, which takes the weights: call Free when done. A tensor
// stored in two files is an error. Load runs its MLX work inside mlx.Do
// itself.
func Load(files []string, configJSON []byte, opts Options) (*Model, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("dit: no weight files")
	}
	where := strings.Join(files, ", ")
	var m *Model
	err := mlx.Do(func() error {
		weights, loaded, err := loadFiles(files)
		release := func() {
			for _, a := range loaded {
				a.Free()
			}
		}
		if err != nil {
			release()
			return err
		}
		arch, err := ArchFromWeights(weights, configJSON)
		if err != nil {
			release()
			return fmt.Errorf("%w (weights from %s)", err, where)
		}
		m, err = New(arch, weights, opts)
		if err != nil {
			release()
			return fmt.Errorf("%w (weights from %s)", err, where)
		}
		// New took the weights: the model frees them.
		return nil
	})
	return m, err
}

// loadFiles reads every file, evaluating each one's tensors (MLX loads
// lazily) so that I/O errors surface here. The arrays are kept; loaded lists
// them for the caller to free.
func loadFiles(files []string) (weights map[string]*mlx.Array, loaded []*mlx.Array, err error) {
	weights = make(map[string]*mlx.Array)
	var problems []string
	for _, f := range files {
		arrs, _, err := mlx.LoadSafetensors(f)
		if err != nil {
			return nil, loaded, fmt.Errorf("dit: loading %s: %w", f, err)
		}
		shard := make([]*mlx.Array, 0, len(arrs))
		for _, a := range arrs {
			shard = append(shard, a)
		}
		if err := mlx.Eval(shard...); err != nil {
			return nil, loaded, fmt.Errorf("dit: reading %s: %w", f, err)
		}
		for _, name := range slices.Sorted(maps.Keys(arrs)) {
			a := arrs[name]
			mlx.Keep(a)
			loaded = append(loaded, a)
			if _, dup := weights[name]; dup {
				problems = append(problems, fmt.Sprintf("tensor %s appears in more than one file (again in %s)", name, f))
				continue
			}
			weights[name] = a
		}
	}
	if len(problems) > 0 {
		return nil, loaded, fmt.Errorf("dit: %s", strings.Join(problems, "; "))
	}
	return weights, loaded, nil
}
