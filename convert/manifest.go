package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
)

// newManifest starts the manifest (layout.ManifestDoc) of a conversion: for
// an A14B release "dit" maps each expert to its architecture.
func newManifest(opt *resolvedOptions, inv *inventory, cp *conversionPlan) *layout.ManifestDoc {
	m := &layout.ManifestDoc{Tool: layout.ManifestTool, Version: Version, Format: "mlx", Layout: string(opt.layout.Name),
		Release: cp.kind, DTypes: map[mapping.Component]string{}, MaxShardSize: opt.MaxShardSize, Quantization: opt.quantInfo(),
		Architectures: map[mapping.Component]any{}, Sources: inv.files, Warnings: []string{}}
	for _, c := range mapping.Components {
		m.DTypes[c] = dtypeLabel(opt.dtypes[c])
	}
	experts := map[layout.Expert]any{}
	for _, p := range inv.parts {
		if p.expert != "" {
			experts[p.expert] = cp.archs[p]
		} else {
			m.Architectures[p.component] = cp.archs[p]
		}
	}
	if len(experts) > 0 {
		m.Architectures[mapping.ComponentDiT] = experts
	}
	return m
}

// addTensorFile records a written safetensors file.
func addTensorFile(m *layout.ManifestDoc, f *plannedFile, w writtenFile) {
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
	m.Files = append(m.Files, layout.ManifestEntry{Path: f.name, Kind: "safetensors", Component: f.part.component, Expert: f.part.expert,
		SHA256: w.sha256, Bytes: w.bytes, Tensors: len(f.tensors), Parameters: f.params, DType: dt,
		TensorSHA256: w.tensorSHA256})
}

// sortFiles orders a manifest's Files by path.
func sortFiles(m *layout.ManifestDoc) {
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
