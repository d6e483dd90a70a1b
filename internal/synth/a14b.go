package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// A14BInventory is golden/wan2.2-a14b.inventory.json: the experts of
// T2V-A14B and I2V-A14B (float32 on disk, as released) and the Wan2.1 VAE.
// The T5 is TI2V-5B's (the same umt5-xxl file).
type A14BInventory struct {
	T2V, I2V, VAE21 Component
}

// a14bEntry is one network of the A14B inventory file: counts and a
// name → shape object.
type a14bEntry struct {
	Params  int64              `json:"params"`
	Tensors int                `json:"tensors"`
	Shapes  map[string][]int64 `json:"shapes"`
}

// LoadA14BInventory reads and checks the A14B inventory: the listed counts
// must match the shapes. Tensors are sorted by name.
func LoadA14BInventory(path string) (A14BInventory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return A14BInventory{}, err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return A14BInventory{}, fmt.Errorf("%s: %w", path, err)
	}
	var inv A14BInventory
	for key, c := range map[string]*Component{"dit_t2v_a14b": &inv.T2V, "dit_i2v_a14b": &inv.I2V, "vae2_1": &inv.VAE21} {
		var e a14bEntry
		if err := json.Unmarshal(doc[key], &e); err != nil {
			return A14BInventory{}, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		*c = Component{StorageDType: "float32", ParamCount: e.Params, TensorCount: e.Tensors}
		for name, shape := range e.Shapes {
			if tensor.NumElements(shape) < 0 {
				return A14BInventory{}, fmt.Errorf("%s: %s tensor %s: bad shape %v", path, key, name, shape)
			}
			c.Tensors = append(c.Tensors, Tensor{Name: name, Shape: shape})
		}
		sort.Slice(c.Tensors, func(i, j int) bool { return c.Tensors[i].Name < c.Tensors[j].Name })
		if err := c.check(); err != nil {
			return A14BInventory{}, fmt.Errorf("%s: %s: %w", path, key, err)
		}
	}
	return inv, nil
}

// check compares a component's listed counts with its tensors.
func (c Component) check() error {
	if len(c.Tensors) != c.TensorCount {
		return fmt.Errorf("lists %d tensors, the count says %d", len(c.Tensors), c.TensorCount)
	}
	var params int64
	for _, t := range c.Tensors {
		params += tensor.NumElements(t.Shape)
	}
	if params != c.ParamCount {
		return fmt.Errorf("tensors hold %d parameters, the count says %d", params, c.ParamCount)
	}
	return nil
}

// A14BConfig is an expert's diffusers config.json of T2V-A14B ("t2v") or
// I2V-A14B ("i2v").
func A14BConfig(modelType string) map[string]any {
	inDim := 16
	if modelType == "i2v" {
		inDim = 36
	}
	return map[string]any{
		"_class_name": "WanModel", "_diffusers_version": "0.33.0",
		"model_type": modelType, "dim": 5120, "ffn_dim": 13824, "freq_dim": 256,
		"in_dim": inDim, "out_dim": 16, "num_heads": 40, "num_layers": 40,
		"text_len": 512, "eps": 1e-6,
	}
}

// WriteA14BRelease writes a T2V-A14B ("t2v") or I2V-A14B ("i2v") release
// into dir: high_noise_model/ and low_noise_model/ (each its DiT in
// opt.DiTShards shards, 6 when 0, with index and config.json; opt.Scale
// keeps the first blocks), the T5 of t5 (TI2V-5B's inventory), the Wan2.1
// VAE, the tokenizer stub and configuration.json. Both experts get the same
// tensors; with Sparse unset, each its own seeded data.
func WriteA14BRelease(dir, modelType string, inv A14BInventory, t5 Component, opt Options) error {
	dit := inv.T2V
	switch modelType {
	case "t2v":
	case "i2v":
		dit = inv.I2V
	default:
		return fmt.Errorf("synth: model type %q is not an A14B release (want t2v or i2v)", modelType)
	}
	if err := writeCommon(dir, map[string]string{"framework": "Pytorch", "task": modelType + "-A14B"}); err != nil {
		return err
	}
	shards := opt.DiTShards
	if shards <= 0 {
		shards = 6
	}
	cfg := A14BConfig(modelType)
	if opt.Scale > 0 {
		cfg["num_layers"] = opt.Scale
	}
	for i, e := range layout.Experts {
		edir := filepath.Join(dir, string(e))
		if err := os.MkdirAll(edir, 0o755); err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(edir, layout.ReleaseConfig), cfg); err != nil {
			return err
		}
		eo := opt
		eo.Seed = opt.Seed + uint64(i)
		if err := writeDiT(edir, dit, scaled(dit.Tensors, opt.Scale), shards, eo); err != nil {
			return err
		}
	}
	if err := writePth(filepath.Join(dir, t5Name), t5, scaled(t5.Tensors, opt.Scale), opt); err != nil {
		return err
	}
	return writePth(filepath.Join(dir, layout.ReleaseVAE21), inv.VAE21, inv.VAE21.Tensors, opt)
}
