package convert

import (
	"errors"
	"fmt"
	"math"
	"path"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// Output file names every layout shares (package layout spells them).
var (
	outManifest    = layout.Manifest
	outTokenizer   = layout.Tokenizer
	outputMetadata = layout.OutputMetadata()
)

// plannedTensor is one output tensor as plain data: which component's
// source tensor it comes from, what happens to its bytes (a layout kind and a
// dtype) and where they land. The writer resolves the source and builds the
// byte transform; the plan holds no open file and no code.
type plannedTensor struct {
	part   part
	info   tensor.Info // the source tensor as stored (name, dtype, shape)
	target string
	shape  []int64 // output shape
	dtype  tensor.DType
	op     layoutOp
	offset int64 // absolute offset of the data in the output file
	size   int64 // output bytes
	// role and quant describe the parts of a quantized Linear (quantize.go).
	role  quantRole
	quant quant.Params
}

// planInput is what planning needs of a release: tensor descriptions and
// where they come from (for messages), never file handles.
type planInput struct {
	kind    mapping.ReleaseKind
	parts   []part // the DiT(s) (experts high noise first), then T5 and VAE
	tensors map[part][]tensor.Info
	paths   map[part]string
	configs map[part][]byte // each DiT's config.json
}

// planInput describes the opened release for planning.
func (inv *inventory) planInput() planInput {
	in := planInput{kind: inv.kind, parts: inv.parts, tensors: map[part][]tensor.Info{}, paths: map[part]string{}, configs: inv.configs}
	for p, src := range inv.sources {
		in.tensors[p] = src.Tensors()
		in.paths[p] = src.Path()
	}
	return in
}

// plannedFile is one safetensors output file with its header already laid out.
type plannedFile struct {
	name    string
	part    part
	header  []byte
	tensors []plannedTensor
	size    int64
	params  int64
	dtypes  []tensor.DType // distinct output dtypes, for the manifest
}

// conversionPlan is everything the writer executes; it is computed before
// any output byte is written.
type conversionPlan struct {
	kind      mapping.ReleaseKind
	files     []*plannedFile
	dits      []*ditOutput // one per DiT part, in part order
	archs     map[part]any
	totalSize int64 // bytes of every tensor file, headers included
}

// ditOutput is one DiT's (one expert's) output files: its shard index.
type ditOutput struct {
	expert layout.Expert
	names  layout.Converted  // the layout's names for this DiT
	index  map[string]string // target name → DiT shard file
	total  int64             // DiT tensor bytes (index metadata.total_size)
}

// planConversion plans every part; every part's problems are reported
// together.
func planConversion(in planInput, opt *resolvedOptions) (*conversionPlan, error) {
	cp := &conversionPlan{kind: in.kind, archs: map[part]any{}}
	var problems []error
	tensors := map[part][]plannedTensor{}
	for _, p := range in.parts {
		pts, arch, err := planComponent(p, in, opt)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		tensors[p] = pts
		cp.archs[p] = arch
	}
	if len(problems) > 0 {
		return nil, inputError(errors.Join(problems...))
	}
	maxShard := opt.MaxShardSize
	if opt.layout.Unsharded {
		maxShard = math.MaxInt64
	}
	for _, p := range in.parts {
		if p.component != mapping.ComponentDiT {
			continue
		}
		d := &ditOutput{expert: p.expert, names: opt.layout.ForExpert(p.expert), index: map[string]string{}}
		ditShards := splitShards(tensors[p], maxShard)
		for i, shard := range ditShards {
			name := d.names.DiTShard(i+1, len(ditShards))
			f, err := layoutFile(name, p, shard)
			if err != nil {
				return nil, err
			}
			for _, t := range f.tensors {
				d.index[t.target] = path.Base(name)
				d.total += t.size
			}
			cp.files = append(cp.files, f)
		}
		cp.dits = append(cp.dits, d)
	}
	for _, o := range []struct {
		c    mapping.Component
		name string
	}{{mapping.ComponentT5, opt.layout.T5}, {mapping.ComponentVAE, opt.layout.VAE}} {
		f, err := layoutFile(o.name, partOf(o.c), tensors[partOf(o.c)])
		if err != nil {
			return nil, err
		}
		cp.files = append(cp.files, f)
	}
	for _, f := range cp.files {
		cp.totalSize += f.size
	}
	return cp, nil
}

// planComponent maps one part's source tensors to output tensors.
func planComponent(p part, in planInput, opt *resolvedOptions) ([]plannedTensor, any, error) {
	c, path := p.component, in.paths[p]
	var cfg []byte
	if c == mapping.ComponentDiT {
		cfg = in.configs[p]
	}
	plan, err := mapping.PlanLayout(opt.layout.Name, c, in.tensors[p], cfg)
	if err != nil {
		var pe *mapping.PlanError
		if errors.As(err, &pe) && pe.File == "" {
			pe.File = path
			return nil, nil, pe
		}
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]plannedTensor, 0, len(plan.Entries))
	for _, e := range plan.Entries {
		op, err := layoutFor(e.Transform)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: tensor %s: %w", path, e.Source.Name, err)
		}
		if tensor.NumElements(e.OutShape) != e.Source.NumElements() {
			return nil, nil, fmt.Errorf("%s: tensor %s: planned shape %s does not hold the %d elements of %s",
				path, e.Source.Name, tensor.ShapeString(e.OutShape), e.Source.NumElements(), tensor.ShapeString(e.Source.Shape))
		}
		dt := opt.targetDType(c, e.Source.DType)
		if _, err := newTensorTransform(e.Source, op, dt); err != nil { // refuse now what the writer could not do
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		parts, err := quantizedEntries(plannedTensor{
			part: p, info: e.Source, target: e.Target, shape: e.OutShape, dtype: dt, op: op,
			size: tensor.NumBytes(e.OutShape, dt),
		}, opt.layout.Name, opt.quant, path)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, parts...)
	}
	return out, plan.Arch, nil
}

func layoutFor(t mapping.Transform) (layoutOp, error) {
	switch t {
	case mapping.Identity, mapping.SqueezeGamma, mapping.FlattenPatch:
		return layoutKeep, nil
	case mapping.ConvToChannelsLast:
		return layoutChannelsLast, nil
	}
	return 0, fmt.Errorf("unsupported transform %s", t)
}

// splitShards cuts tensors (in target order) into consecutive groups whose
// data stays within max bytes; a tensor larger than max gets a group alone.
// The three parts of a quantized Linear are one unit: never cut apart.
func splitShards(ts []plannedTensor, max int64) [][]plannedTensor {
	var groups [][]plannedTensor
	var cur []plannedTensor
	var size int64
	for i := 0; i < len(ts); {
		j := i + 1
		for j < len(ts) && ts[j].role.follows() {
			j++
		}
		var unit int64
		for _, t := range ts[i:j] {
			unit += t.size
		}
		if len(cur) > 0 && size+unit > max {
			groups = append(groups, cur)
			cur, size = nil, 0
		}
		cur = append(cur, ts[i:j]...)
		size += unit
		i = j
	}
	if len(cur) > 0 || len(groups) == 0 {
		groups = append(groups, cur)
	}
	return groups
}

// layoutFile builds the header of one output file and assigns offsets.
func layoutFile(name string, p part, ts []plannedTensor) (*plannedFile, error) {
	entries := make([]safetensors.HeaderEntry, len(ts))
	for i, t := range ts {
		entries[i] = safetensors.HeaderEntry{Name: t.target, DType: t.dtype, Shape: t.shape}
	}
	header, offsets, err := safetensors.BuildHeader(entries, outputMetadata)
	if err != nil {
		return nil, inputError(fmt.Errorf("laying out %s: %w", name, err))
	}
	f := &plannedFile{name: name, part: p, header: header, tensors: ts, size: int64(len(header))}
	seen := map[tensor.DType]bool{}
	for i := range f.tensors {
		t := &f.tensors[i]
		t.offset = int64(len(header)) + offsets[i][0]
		f.size = int64(len(header)) + offsets[i][1]
		if !t.role.follows() { // a quantized Linear's parameters count once
			f.params += t.info.NumElements()
		}
		if !seen[t.dtype] {
			seen[t.dtype] = true
			f.dtypes = append(f.dtypes, t.dtype)
		}
	}
	return f, nil
}
