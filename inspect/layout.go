package inspect

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/wanconv/wanconv/mapping"
)

// target is one checkpoint to open: a file or index, with what is known
// about it before reading it.
type target struct {
	path      string
	component mapping.Component // "" = detect from tensor names
	naming    mapping.Naming    // "" = detect from tensor names
	config    string            // config.json for a DiT, "" if none
}

// layoutFile names where a directory layout keeps one component; the first
// existing candidate wins (an index before a single file).
type layoutFile struct {
	component  mapping.Component
	candidates []string
}

// releaseLayout is the upstream Wan2.2 release directory.
var releaseLayout = []layoutFile{
	{mapping.ComponentDiT, []string{"diffusion_pytorch_model.safetensors.index.json", "diffusion_pytorch_model.safetensors"}},
	{mapping.ComponentT5, []string{"models_t5_umt5-xxl-enc-bf16.pth"}},
	{mapping.ComponentVAE, []string{"Wan2.2_VAE.pth"}},
}

// convertedLayout is a wanconv output directory.
var convertedLayout = []layoutFile{
	{mapping.ComponentDiT, []string{"wan_model_mlx.safetensors.index.json", "wan_model_mlx.safetensors"}},
	{mapping.ComponentT5, []string{"t5_encoder_mlx.safetensors"}},
	{mapping.ComponentVAE, []string{"vae_mlx.safetensors"}},
}

const configName = "config.json"

// shardName matches one shard of a sharded safetensors checkpoint.
var shardName = regexp.MustCompile(`-\d+-of-\d+\.safetensors$`)

// resolve turns the command-line path into targets and the input kind.
func resolve(path string) (targets []target, input string, missing []mapping.Component, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, "", nil, err
	}
	if fi.IsDir() {
		return resolveDir(path)
	}
	if !fi.Mode().IsRegular() {
		return nil, "", nil, fmt.Errorf("%s: not a regular file or directory", path)
	}
	t := target{path: path, config: siblingConfig(path)}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".safetensors":
		return []target{t}, InputSafetensors, nil, nil
	case ".json":
		return []target{t}, InputIndex, nil, nil
	case ".pth", ".pt":
		return []target{t}, InputPth, nil, nil
	default:
		return nil, "", nil, fmt.Errorf("%s: unsupported file type %q (want .safetensors, a sharded index .json, .pth or a directory)", path, ext)
	}
}

// resolveDir finds the components of a release or converted directory.
func resolveDir(dir string) ([]target, string, []mapping.Component, error) {
	config := filepath.Join(dir, configName)
	if !isFile(config) {
		config = ""
	}
	var targets []target
	found := map[mapping.Component]bool{}
	layouts := []struct {
		files  []layoutFile
		naming mapping.Naming
		input  string
	}{
		{releaseLayout, mapping.NamingPyTorch, InputRelease},
		{convertedLayout, mapping.NamingMLX, InputConverted},
	}
	var inputs []string
	for _, l := range layouts {
		n := 0
		for _, lf := range l.files {
			for _, cand := range lf.candidates {
				p := filepath.Join(dir, cand)
				if !isFile(p) {
					continue
				}
				t := target{path: p, component: lf.component, naming: l.naming}
				if lf.component == mapping.ComponentDiT {
					t.config = config
				}
				targets = append(targets, t)
				found[lf.component] = true
				n++
				break
			}
		}
		if n > 0 {
			inputs = append(inputs, l.input)
		}
	}
	if len(targets) == 0 {
		return nil, "", nil, fmt.Errorf("%s: no Wan2.2 checkpoint found (expected %s or %s)", dir,
			layoutNames(releaseLayout), layoutNames(convertedLayout))
	}
	input := inputs[0]
	if len(inputs) > 1 {
		input = InputMixed
	}
	var missing []mapping.Component
	for _, c := range mapping.Components {
		if !found[c] {
			missing = append(missing, c)
		}
	}
	return targets, input, missing, nil
}

func layoutNames(l []layoutFile) string {
	var names []string
	for _, lf := range l {
		names = append(names, lf.candidates[len(lf.candidates)-1])
	}
	return strings.Join(names, ", ")
}

// siblingConfig returns the config.json beside a file, if any.
func siblingConfig(path string) string {
	p := filepath.Join(filepath.Dir(path), configName)
	if isFile(p) {
		return p
	}
	return ""
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	if err != nil {
		return false
	}
	return fi.Mode().IsRegular()
}
