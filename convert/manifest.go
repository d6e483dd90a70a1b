package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/wanconv/wanconv/mapping"
)

// Manifest describes a converted directory. It holds nothing time- or
// host-dependent, so converting the same release twice gives the same bytes.
type Manifest struct {
	Tool    string `json:"tool"`
	Version string `json:"version"`
	Format  string `json:"format"`
	Layout  string `json:"layout"`
	// Release is the release kind (ti2v-5B, t2v-A14B, i2v-A14B); empty for
	// a single model of no Wan2.2 release.
	Release      string            `json:"release,omitempty"`
	DTypes       map[string]string `json:"dtypes"` // component → requested dtype
	MaxShardSize int64             `json:"max_shard_size"`
	// Architectures holds each component's architecture as inferred by
	// the mapping package (mapping.DiTArch, T5Arch, VAEArch); for an A14B
	// release "dit" maps each expert to its architecture.
	Architectures map[string]any `json:"architectures"`
	Sources       []SourceFile   `json:"sources"`
	Files         []OutputFile   `json:"files"`
	Warnings      []string       `json:"warnings"`
}

// OutputFile is one file of the converted directory.
type OutputFile struct {
	Path      string `json:"path"`
	Kind      string `json:"kind"` // "safetensors", "index" or "copy"
	Component string `json:"component,omitempty"`
	// Expert is the A14B expert a DiT file belongs to.
	Expert     string `json:"expert,omitempty"`
	SHA256     string `json:"sha256"`
	Bytes      int64  `json:"bytes"`
	Tensors    int    `json:"tensors,omitempty"`
	Parameters int64  `json:"parameters,omitempty"`
	DType      string `json:"dtype,omitempty"` // output dtype(s), "+"-joined when mixed
	// TensorSHA256 maps every tensor of a safetensors file to the sha256 of
	// its data bytes, so a verifier can name the tensor a corruption hit.
	TensorSHA256 map[string]string `json:"tensor_sha256,omitempty"`
}

func newManifest(opt *resolvedOptions, inv *inventory, cp *conversionPlan) *Manifest {
	m := &Manifest{Tool: "wanconv", Version: Version, Format: "mlx", Layout: string(opt.layout.Name), Release: string(cp.kind),
		DTypes: map[string]string{}, MaxShardSize: opt.MaxShardSize, Architectures: map[string]any{}, Sources: inv.files, Warnings: []string{}}
	for _, c := range mapping.Components {
		m.DTypes[string(c)] = dtypeLabel(opt.dtypes[c])
	}
	experts := map[string]any{}
	for _, p := range inv.parts {
		if p.expert != "" {
			experts[string(p.expert)] = cp.archs[p]
		} else {
			m.Architectures[string(p.component)] = cp.archs[p]
		}
	}
	if len(experts) > 0 {
		m.Architectures[string(mapping.ComponentDiT)] = experts
	}
	return m
}

// addTensorFile records a written safetensors file.
func (m *Manifest) addTensorFile(f *plannedFile, w writtenFile) {
	names := make([]string, len(f.dtypes))
	for i, d := range f.dtypes {
		names[i] = d.Name()
	}
	sort.Strings(names)
	dt := ""
	for i, n := range names {
		if i > 0 {
			dt += "+"
		}
		dt += n
	}
	m.Files = append(m.Files, OutputFile{Path: f.name, Kind: "safetensors", Component: string(f.part.component), Expert: string(f.part.expert),
		SHA256: w.sha256, Bytes: w.bytes, Tensors: len(f.tensors), Parameters: f.params, DType: dt,
		TensorSHA256: w.tensorSHA256})
}

// sortFiles orders Files by path.
func (m *Manifest) sortFiles() {
	sort.Slice(m.Files, func(a, b int) bool { return m.Files[a].Path < m.Files[b].Path })
}

// encodeJSON renders v as indented JSON with a final newline.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ditIndexJSON is the Hugging Face index of one DiT output (shard names
// relative to the index's folder).
func ditIndexJSON(d *ditOutput) ([]byte, error) {
	type index struct {
		Metadata  map[string]any    `json:"metadata"`
		WeightMap map[string]string `json:"weight_map"`
	}
	return encodeJSON(index{Metadata: map[string]any{"total_size": d.total}, WeightMap: d.index})
}

// writeNewFile writes data to a new file and fsyncs it.
func writeNewFile(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// paramCount sums the parameters of the planned tensor files.
func paramCount(files []*plannedFile) (tensors int, params int64) {
	for _, f := range files {
		tensors += len(f.tensors)
		params += f.params
	}
	return
}
