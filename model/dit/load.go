//go:build mlx

package dit

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/mlx"
)

// Load reads a converted directory (config.json and the DiT weights,
// wan_model_mlx.safetensors or the shards its index names), reads every
// tensor into memory and builds the model with New, which takes the
// weights: call Free when done. Load runs its MLX work inside mlx.Do itself.
func Load(dir string, opts Options) (*Model, error) {
	configPath := filepath.Join(dir, "config.json")
	configJSON, err := os.ReadFile(configPath)
	if err != nil {
		return nil, fmt.Errorf("dit: %w", err)
	}
	ws, err := findWeights(dir)
	if err != nil {
		return nil, err
	}
	var m *Model
	err = mlx.Do(func() error {
		weights, loaded, err := ws.load()
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
			return fmt.Errorf("%w (weights from %s, config %s)", err, dir, configPath)
		}
		m, err = New(arch, weights, opts)
		if err != nil {
			release()
			return fmt.Errorf("%w (weights from %s)", err, dir)
		}
		// New took the weights: the model frees them.
		return nil
	})
	return m, err
}

// load reads every shard, evaluating each one's tensors (MLX loads lazily)
// so that I/O errors surface here, and checks the shards against the index.
// The arrays are kept; loaded lists them for the caller to free.
func (ws weightSet) load() (weights map[string]*mlx.Array, loaded []*mlx.Array, err error) {
	weights = make(map[string]*mlx.Array)
	var problems []string
	for _, f := range ws.files {
		arrs, _, err := mlx.LoadSafetensors(f)
		if err != nil {
			return nil, loaded, fmt.Errorf("dit: loading %s: %w", f, err)
		}
		names := make([]string, 0, len(arrs))
		shard := make([]*mlx.Array, 0, len(arrs))
		for name, a := range arrs {
			names = append(names, name)
			shard = append(shard, a)
		}
		if err := mlx.Eval(shard...); err != nil {
			return nil, loaded, fmt.Errorf("dit: reading %s: %w", f, err)
		}
		problems = append(problems, ws.checkShard(f, names)...)
		for name, a := range arrs {
			mlx.Keep(a)
			loaded = append(loaded, a)
			if _, dup := weights[name]; dup {
				problems = append(problems, fmt.Sprintf("tensor %s appears in more than one shard (again in %s)", name, f))
				continue
			}
			weights[name] = a
		}
	}
	present := make(map[string]bool, len(weights))
	for name := range weights {
		present[name] = true
	}
	problems = append(problems, ws.missingFromShards(present)...)
	if len(problems) > 0 {
		return nil, loaded, fmt.Errorf("dit: DiT shards do not match their index:\n  %s", strings.Join(problems, "\n  "))
	}
	return weights, loaded, nil
}
