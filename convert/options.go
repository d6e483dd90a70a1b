package convert

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// Version is recorded in every manifest.
const Version = "0.1.0"

// DefaultMaxShardSize is the DiT shard limit when Options.MaxShardSize is 0.
const DefaultMaxShardSize int64 = 5_000_000_000

// Options configures one conversion.
type Options struct {
	SrcDir, OutDir string
	// DType is "keep", "bfloat16", "float16" or "float32" for every
	// component. "" is the default policy: bfloat16 for the DiT and the T5
	// encoder, float32 for the VAE (see DefaultDTypes).
	DType string
	// ComponentDType overrides DType per component: "dit", "t5", "vae".
	ComponentDType map[string]string
	// MaxShardSize bounds each DiT output file in bytes (0 = 5e9).
	MaxShardSize int64
	// Layout is the converted layout: "wanconv" (default) or "mlx-video".
	Layout string
	// Quantize is 4 or 8 to store the DiT's attention and FFN Linear
	// weights MLX-quantized with that many bits (0: dense). GroupSize is
	// the quantization group size, 32, 64 or 128 (0: 64); it needs Quantize.
	Quantize, GroupSize int
	// Force replaces the outputs of an earlier conversion, exactly the files
	// its manifest lists; without it any existing output is an error.
	Force bool
	// Quiet turns progress reporting off (warnings still reach Warnings).
	Quiet bool
	// Progress receives progress reports; nil = none.
	Progress io.Writer
	// ProgressBar redraws one status line (for terminals) instead of
	// printing log lines.
	ProgressBar bool
}

// DefaultDTypes is the dtype policy when no --dtype is given. The VAE stays
// float32: upstream runs it in float32, and rounding its weights to bfloat16
// moves its outputs by 2–8 % of their std (measured on the tiny release, and
// reproduced by perturbing float32 weights by ±2⁻⁸), several times the 2e-2
// the verifier accepts. It is 0.7 B parameters, so float32 costs 1.4 GB more
// than bfloat16; `--vae-dtype bfloat16` opts in to the smaller file.
var DefaultDTypes = map[mapping.Component]tensor.DType{
	mapping.ComponentDiT: tensor.BF16,
	mapping.ComponentT5:  tensor.BF16,
	mapping.ComponentVAE: tensor.F32,
}

// keepDType marks "leave the stored dtype alone".
const keepDType = tensor.Invalid

// resolvedOptions are Options after validation and defaulting.
type resolvedOptions struct {
	Options
	dtypes map[mapping.Component]tensor.DType // keepDType = keep
	layout layout.Converted
	quant  *quant.Params // nil: no quantization
}

// dtypeChoices are the values accepted for --dtype and the overrides.
var dtypeChoices = map[string]tensor.DType{
	"keep": keepDType, "bfloat16": tensor.BF16, "float16": tensor.F16, "float32": tensor.F32,
}

func parseDTypeChoice(s string) (tensor.DType, error) {
	if s == "" {
		return tensor.BF16, nil
	}
	if d, ok := dtypeChoices[strings.ToLower(s)]; ok {
		return d, nil
	}
	if d, err := tensor.ParseDType(s); err == nil && (d == tensor.BF16 || d == tensor.F16 || d == tensor.F32) {
		return d, nil
	}
	return 0, fmt.Errorf("unknown dtype %q (want keep, bfloat16, float16 or float32)", s)
}

// dtypeLabel is the manifest/report spelling of a requested dtype.
func dtypeLabel(d tensor.DType) string {
	if d == keepDType {
		return "keep"
	}
	return d.Name()
}

func (o Options) resolve() (*resolvedOptions, error) {
	if o.SrcDir == "" || o.OutDir == "" {
		return nil, usageErrorf("both a source directory and an output directory are required")
	}
	base, err := parseDTypeChoice(o.DType)
	if err != nil {
		return nil, usageErrorf("--dtype: %v", err)
	}
	r := &resolvedOptions{Options: o, dtypes: map[mapping.Component]tensor.DType{}}
	for _, c := range mapping.Components {
		r.dtypes[c] = base
		if o.DType == "" {
			r.dtypes[c] = DefaultDTypes[c]
		}
	}
	keys := make([]string, 0, len(o.ComponentDType))
	for k := range o.ComponentDType {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c, err := mapping.ParseComponent(k)
		if err != nil {
			return nil, usageErrorf("dtype override: %v", err)
		}
		d, err := parseDTypeChoice(o.ComponentDType[k])
		if err != nil {
			return nil, usageErrorf("--%s-dtype: %v", k, err)
		}
		r.dtypes[c] = d
	}
	r.layout = layout.Wanconv
	if o.Layout != "" {
		if r.layout, err = layout.LayoutByName(o.Layout); err != nil {
			return nil, usageErrorf("--layout: %v", err)
		}
	}
	if r.quant, err = resolveQuant(o); err != nil {
		return nil, err
	}
	if r.MaxShardSize == 0 {
		r.MaxShardSize = DefaultMaxShardSize
	}
	if r.MaxShardSize < 0 {
		return nil, usageErrorf("--max-shard-size must be positive, got %d", r.MaxShardSize)
	}
	return r, nil
}

// targetDType is the output dtype of one tensor: floats follow the request,
// everything else (and "keep") keeps its stored type.
func (r *resolvedOptions) targetDType(c mapping.Component, stored tensor.DType) tensor.DType {
	want := r.dtypes[c]
	if want == keepDType || !stored.IsFloat() {
		return stored
	}
	return want
}
