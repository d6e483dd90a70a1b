// Package synth writes synthetic Wan2.2 releases in the on-disk layout of
// the real one (sharded float32 DiT safetensors with index and config, a
// bfloat16 zip .pth T5 encoder, a float32 zip .pth VAE, a tokenizer folder
// stub, configuration.json), from a tensor inventory such as
// golden/wan2.2-ti2v-5b.inventory.json. Tensor data is either left as holes
// (Sparse: a 34 GB release costs almost no disk) or filled with seeded
// pseudo-random small values, for converter tests and benchmarks.
package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/wanconv/wanconv/tensor"
)

// Inventory lists every tensor of a release, per component.
type Inventory struct {
	DiT Component `json:"dit"`
	T5  Component `json:"t5"`
	VAE Component `json:"vae"`
}

// Component is one network's tensors as stored.
type Component struct {
	Files        string   `json:"files"`
	StorageDType string   `json:"storage_dtype"` // "float32 ..." – the first word counts
	ParamCount   int64    `json:"param_count"`
	TensorCount  int      `json:"tensor_count"`
	Tensors      []Tensor `json:"tensors"`
}

// Tensor is a name and shape; in JSON it is the pair [name, [dims...]].
type Tensor struct {
	Name  string
	Shape []int64
}

// UnmarshalJSON reads the [name, shape] pair.
func (t *Tensor) UnmarshalJSON(b []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return fmt.Errorf("inventory tensor %s: want [name, shape]", string(b))
	}
	if err := json.Unmarshal(pair[0], &t.Name); err != nil {
		return fmt.Errorf("inventory tensor name %s: %w", pair[0], err)
	}
	if err := json.Unmarshal(pair[1], &t.Shape); err != nil {
		return fmt.Errorf("inventory tensor %s shape: %w", t.Name, err)
	}
	return nil
}

// MarshalJSON writes the [name, shape] pair.
func (t Tensor) MarshalJSON() ([]byte, error) { return json.Marshal([]any{t.Name, t.Shape}) }

// DType is the storage dtype named by StorageDType.
func (c Component) DType() (tensor.DType, error) {
	word, _, _ := strings.Cut(strings.TrimSpace(c.StorageDType), " ")
	return tensor.ParseDType(word)
}

// LoadInventory reads and checks an inventory file: the listed counts must
// match the tensors.
func LoadInventory(path string) (Inventory, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Inventory{}, err
	}
	var inv Inventory
	if err := json.Unmarshal(raw, &inv); err != nil {
		return Inventory{}, fmt.Errorf("%s: %w", path, err)
	}
	for name, c := range map[string]Component{"dit": inv.DiT, "t5": inv.T5, "vae": inv.VAE} {
		if len(c.Tensors) != c.TensorCount {
			return Inventory{}, fmt.Errorf("%s: %s lists %d tensors, tensor_count says %d", path, name, len(c.Tensors), c.TensorCount)
		}
		var params int64
		for _, t := range c.Tensors {
			n := tensor.NumElements(t.Shape)
			if n < 0 {
				return Inventory{}, fmt.Errorf("%s: %s tensor %s: bad shape %v", path, name, t.Name, t.Shape)
			}
			params += n
		}
		if params != c.ParamCount {
			return Inventory{}, fmt.Errorf("%s: %s tensors hold %d parameters, param_count says %d", path, name, params, c.ParamCount)
		}
		if _, err := c.DType(); err != nil {
			return Inventory{}, fmt.Errorf("%s: %s storage_dtype: %w", path, name, err)
		}
	}
	return inv, nil
}
