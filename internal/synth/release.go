package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/tensor"
)

// Options controls WriteRelease.
type Options struct {
	// Sparse leaves tensor data as holes: headers are complete and the files
	// have their full size, but cost almost no disk. Otherwise data is filled
	// with pseudo-random small values from Seed.
	Sparse bool
	Seed   uint64
	// Scale, when > 0, keeps only DiT blocks 0..Scale-1 and T5 blocks
	// 0..Scale-1 (and sets num_layers accordingly), shrinking the 34 GB
	// release when the disk lacks room: the token embedding (2.1 GB) and the
	// VAE (2.8 GB) are always full size.
	Scale int
	// DiTShards is the number of DiT safetensors shards (0 = 3, as released).
	DiTShards int
	// Config is the DiT config.json; nil = the TI2V-5B config.
	Config map[string]any
}

// TI2V5BConfig is the DiT config.json of Wan2.2 TI2V-5B.
func TI2V5BConfig() map[string]any {
	return map[string]any{
		"_class_name": "WanModel", "_diffusers_version": "0.33.0",
		"model_type": "ti2v", "dim": 3072, "ffn_dim": 14336, "freq_dim": 256,
		"in_dim": 48, "out_dim": 48, "num_heads": 24, "num_layers": 30,
		"text_len": 512, "eps": 1e-6,
	}
}

// File names of a release.
const (
	ditIndexName  = layout.ReleaseDiTIndex
	t5Name        = layout.ReleaseT5
	vaeName       = layout.ReleaseVAE
	tokenizerPath = layout.Tokenizer
)

// WriteRelease writes a release described by inv into dir (created if
// missing; existing files of the same names are replaced).
func WriteRelease(dir string, inv Inventory, opt Options) error {
	if err := writeCommon(dir, map[string]string{"framework": "Pytorch", "task": "ti2v"}); err != nil {
		return err
	}
	dit := scaled(inv.DiT.Tensors, opt.Scale)
	t5 := scaled(inv.T5.Tensors, opt.Scale)
	cfg := opt.Config
	if cfg == nil {
		cfg = TI2V5BConfig()
	}
	if opt.Scale > 0 {
		cfg = maps.Clone(cfg)
		cfg["num_layers"] = opt.Scale
	}
	if err := writeJSON(filepath.Join(dir, layout.ReleaseConfig), cfg); err != nil {
		return err
	}
	shards := opt.DiTShards
	if shards <= 0 {
		shards = 3
	}
	if err := writeDiT(dir, inv.DiT, dit, shards, opt); err != nil {
		return err
	}
	if err := writePth(filepath.Join(dir, t5Name), inv.T5, t5, opt); err != nil {
		return err
	}
	return writePth(filepath.Join(dir, vaeName), inv.VAE, inv.VAE.Tensors, opt)
}

// writeCommon writes configuration.json and the tokenizer stub.
func writeCommon(dir string, configuration map[string]string) error {
	if err := os.MkdirAll(filepath.Join(dir, tokenizerPath), 0o755); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, layout.ReleaseConfiguration), configuration); err != nil {
		return err
	}
	stubs := map[string]any{
		"special_tokens_map.json": map[string]string{"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"},
		"tokenizer_config.json":   map[string]any{"model_max_length": 512, "synthetic": true},
	}
	for name, v := range stubs {
		if err := writeJSON(filepath.Join(dir, tokenizerPath, name), v); err != nil {
			return err
		}
	}
	return nil
}

// scaled keeps tensors outside "blocks.K." and those with K < n (n <= 0: all).
func scaled(ts []Tensor, n int) []Tensor {
	if n <= 0 {
		return ts
	}
	var out []Tensor
	for _, t := range ts {
		if rest, ok := strings.CutPrefix(t.Name, "blocks."); ok {
			k, err := strconv.Atoi(strings.SplitN(rest, ".", 2)[0])
			if err == nil && k >= n {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// writeDiT writes the DiT as count safetensors shards of about equal size,
// tensors in inventory order, plus the index.
func writeDiT(dir string, c Component, ts []Tensor, count int, opt Options) error {
	dt, err := c.DType()
	if err != nil {
		return err
	}
	var total int64
	for _, t := range ts {
		total += tensor.NumBytes(t.Shape, dt)
	}
	groups := make([][]Tensor, 0, count)
	var acc int64
	for _, t := range ts {
		k := len(groups)
		if k == 0 || (acc >= total*int64(k)/int64(count) && k < count) {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], t)
		acc += tensor.NumBytes(t.Shape, dt)
	}
	weightMap := map[string]string{}
	for i, g := range groups {
		name := layout.ReleaseDiTShard(i+1, len(groups))
		if err := writeSafetensors(filepath.Join(dir, name), g, dt, opt); err != nil {
			return err
		}
		for _, t := range g {
			weightMap[t.Name] = name
		}
	}
	return writeJSON(filepath.Join(dir, ditIndexName), map[string]any{
		"metadata": map[string]int64{"total_size": total}, "weight_map": weightMap,
	})
}

func writeSafetensors(path string, ts []Tensor, dt tensor.DType, opt Options) error {
	entries := make([]safetensors.HeaderEntry, len(ts))
	for i, t := range ts {
		entries[i] = safetensors.HeaderEntry{Name: t.Name, DType: dt, Shape: t.Shape}
	}
	header, offsets, err := safetensors.BuildHeader(entries, map[string]string{"format": "pt"})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	size := int64(len(header))
	if n := len(offsets); n > 0 {
		size += offsets[n-1][1]
	}
	return createFile(path, func(f *os.File) error {
		if _, err := f.Write(header); err != nil {
			return err
		}
		if opt.Sparse {
			return f.Truncate(size)
		}
		w := bufio.NewWriterSize(f, 4<<20)
		for _, t := range ts {
			if err := newFiller(opt.Seed, t.Name).fill(w, dt, tensor.NumBytes(t.Shape, dt)); err != nil {
				return fmt.Errorf("%s: tensor %s: %w", path, t.Name, err)
			}
		}
		return w.Flush()
	})
}

// writePth writes a zip checkpoint with the pth package's streaming writer.
func writePth(path string, c Component, ts []Tensor, opt Options) error {
	dt, err := c.DType()
	if err != nil {
		return err
	}
	list := make([]pth.Tensor, len(ts))
	for i, t := range ts {
		list[i] = pth.Tensor{Name: t.Name, DType: dt, Shape: t.Shape}
		if !opt.Sparse {
			name, n := t.Name, tensor.NumBytes(t.Shape, dt)
			list[i].Data = func(w io.Writer) error { return newFiller(opt.Seed, name).fill(w, dt, n) }
		}
	}
	archive := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return createFile(path, func(f *os.File) error {
		if opt.Sparse {
			return pth.WriteZip(f, archive, list) // nil Data: holes
		}
		w := bufio.NewWriterSize(f, 4<<20)
		if err := pth.WriteZip(w, archive, list); err != nil {
			return err
		}
		return w.Flush()
	})
}

// createFile creates (or truncates) path, lets write fill it and closes it,
// returning write's error or else the error of closing.
func createFile(path string, write func(f *os.File) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return write(f)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
