package mapping

import (
	"slices"
)

// Upstream WanModel constructor defaults for the DiT fields that only
// config.json states (WithDefaults fills them in).
const (
	DefaultDiTModelType = "t2v"
	DefaultDiTTextLen   = 512
	DefaultDiTNumHeads  = 16
	DefaultDiTEps       = 1e-6
)

// Fixed hyper-parameters of upstream's T5Encoder: no constructor argument
// sets them and the weights do not show them.
const (
	// T5MaxDistance is the relative distance from which on every distance
	// shares the last bucket of its direction (T5RelativeEmbedding max_dist).
	T5MaxDistance = 128
	// T5Eps is the epsilon of every T5LayerNorm (an RMS norm).
	T5Eps = 1e-6
)

// Clone returns a deep copy of a.
func (a *DiTArch) Clone() *DiTArch {
	c := *a
	c.PatchSize = slices.Clone(a.PatchSize)
	c.WindowSize = slices.Clone(a.WindowSize)
	return &c
}

// WithDefaults returns a copy of a in which the fields config.json did not
// state (zero, or a nil window_size) take upstream's constructor defaults:
// model_type t2v, text_len 512, num_heads 16, eps 1e-6, window_size
// (-1, -1). a itself is not changed.
func (a *DiTArch) WithDefaults() *DiTArch {
	c := a.Clone()
	if c.ModelType == "" {
		c.ModelType = DefaultDiTModelType
	}
	if c.TextLen == 0 {
		c.TextLen = DefaultDiTTextLen
	}
	if c.NumHeads == 0 {
		c.NumHeads = DefaultDiTNumHeads
	}
	if c.Eps == 0 {
		c.Eps = DefaultDiTEps
	}
	if c.WindowSize == nil {
		c.WindowSize = []int{-1, -1}
	}
	return c
}

// PatchVolume is the number of latent positions one token covers (0 unless
// PatchSize has three entries).
func (a *DiTArch) PatchVolume() int {
	if len(a.PatchSize) != 3 {
		return 0
	}
	return a.PatchSize[0] * a.PatchSize[1] * a.PatchSize[2]
}

// Validate checks that a is a complete WanModel architecture: every size
// positive, patch_size three positive entries, model_type, num_heads and eps
// set, and the constraints InferDiT checks (divisibility, even head and
// frequency dims, window_size of two entries). An architecture inferred
// without config.json lacks the config-only fields: use WithDefaults first.
// The error is a *PlanError listing every problem.
func (a *DiTArch) Validate() error {
	f := &inferer{}
	f.positive(
		sized{"text_len", a.TextLen}, sized{"in_dim", a.InDim}, sized{"dim", a.Dim}, sized{"ffn_dim", a.FFNDim},
		sized{"freq_dim", a.FreqDim}, sized{"text_dim", a.TextDim}, sized{"out_dim", a.OutDim},
		sized{"num_layers", a.NumLayers})
	if a.NumHeads == 0 { // negative counts are validateDiT's
		f.fail("", "num_heads 0 must be positive")
	}
	if len(a.PatchSize) != 3 {
		f.fail("", "patch_size %v must have three entries", a.PatchSize)
	} else if slices.Min(a.PatchSize) <= 0 {
		f.fail("", "patch_size %v must be positive", a.PatchSize)
	}
	if a.ModelType == "" {
		f.fail("", "model_type is not set")
	}
	if a.Eps == 0 { // negative values are validateDiT's
		f.fail("", "eps 0 must be positive")
	}
	validateDiT(f, a)
	return f.err(ComponentDiT)
}

// Clone returns a copy of a.
func (a *T5Arch) Clone() *T5Arch {
	c := *a
	return &c
}

// HeadDim is DimAttn / NumHeads (0 while NumHeads is not positive).
func (a *T5Arch) HeadDim() int {
	if a.NumHeads <= 0 {
		return 0
	}
	return a.DimAttn / a.NumHeads
}

// Validate checks that a is a complete T5Encoder architecture: every size
// positive, dim_attn divisible by num_heads, and a bidirectional bucket
// count (even, at least 4: half the buckets per direction, half of those
// exact) whose exact range stays below T5MaxDistance. The error is a
// *PlanError listing every problem.
func (a *T5Arch) Validate() error {
	f := &inferer{}
	f.positive(sized{"vocab", a.Vocab}, sized{"dim", a.Dim}, sized{"dim_attn", a.DimAttn},
		sized{"dim_ffn", a.DimFFN}, sized{"num_heads", a.NumHeads}, sized{"num_layers", a.NumLayers},
		sized{"num_buckets", a.NumBuckets})
	if a.NumHeads > 0 && a.DimAttn%a.NumHeads != 0 {
		f.fail("", "dim_attn %d is not divisible by num_heads %d", a.DimAttn, a.NumHeads)
	}
	switch {
	case a.NumBuckets > 0 && (a.NumBuckets%2 != 0 || a.NumBuckets < 4):
		f.fail("", "num_buckets %d must be even and at least 4", a.NumBuckets)
	case a.NumBuckets/4 >= T5MaxDistance:
		f.fail("", "num_buckets %d: the exact range %d must stay below max_distance %d", a.NumBuckets, a.NumBuckets/4, T5MaxDistance)
	}
	return f.err(ComponentT5)
}

// Clone returns a deep copy of a.
func (a *VAEArch) Clone() *VAEArch {
	c := *a
	c.DimMult = slices.Clone(a.DimMult)
	c.AttnScales = slices.Clone(a.AttnScales)
	c.TemperalDownsample = slices.Clone(a.TemperalDownsample)
	c.TemperalUpsample = slices.Clone(a.TemperalUpsample)
	return &c
}

// EncoderDims are the encoder widths: the stem (Dim) and then each
// level's output, Dim·DimMult[i].
func (a *VAEArch) EncoderDims() []int {
	dims := []int{a.Dim}
	for _, m := range a.DimMult {
		dims = append(dims, a.Dim*m)
	}
	return dims
}

// DecoderDims are the decoder widths from coarse to fine: the stem
// (DecDim·DimMult[last]) and then each level's output. Nil when DimMult is
// empty.
func (a *VAEArch) DecoderDims() []int {
	n := len(a.DimMult)
	if n == 0 {
		return nil
	}
	dims := []int{a.DecDim * a.DimMult[n-1]}
	for i := n - 1; i >= 0; i-- {
		dims = append(dims, a.DecDim*a.DimMult[i])
	}
	return dims
}

// Validate checks that a is a complete WanVAE_ architecture: positive
// widths, a non-empty positive dim_mult, at least one residual block per
// level, one temporal flag per downsampling level with the decoder's the
// reverse of the encoder's, no attention inside the levels (attn_scales
// empty, as vae2_2 builds it), and channel counts that the averaging and
// duplicating shortcuts of the resampling blocks can regroup. The error is
// a *PlanError listing every problem.
func (a *VAEArch) Validate() error {
	f := &inferer{}
	f.positive(sized{"dim", a.Dim}, sized{"dec_dim", a.DecDim}, sized{"z_dim", a.ZDim})
	if len(a.DimMult) == 0 {
		f.fail("", "dim_mult is empty")
	}
	for i, m := range a.DimMult {
		if m <= 0 {
			f.fail("", "dim_mult[%d] %d must be positive", i, m)
		}
	}
	if a.NumResBlocks < 1 {
		f.fail("", "num_res_blocks %d must be at least 1", a.NumResBlocks)
	}
	if len(a.AttnScales) > 0 {
		f.fail("", "attn_scales %v must be empty: vae2_2 has attention only in the middle blocks", a.AttnScales)
	}
	if n := len(a.DimMult); n > 0 && len(a.TemperalDownsample) != n-1 {
		f.fail("", "temperal_downsample has %d flags, want %d (one per downsampling level)", len(a.TemperalDownsample), n-1)
	}
	checkVAEUpsample(f, a)
	if len(f.problems) == 0 {
		checkVAEShortcuts(f, a)
	}
	return f.err(ComponentVAE)
}

// checkVAEUpsample checks that the decoder's temporal flags are the reverse
// of the encoder's, as upstream always builds them.
func checkVAEUpsample(f *inferer, a *VAEArch) {
	rev := slices.Clone(a.TemperalDownsample)
	slices.Reverse(rev)
	if !slices.Equal(rev, a.TemperalUpsample) {
		f.fail("", "decoder temporal upsample flags %v are not the reverse of the encoder's temporal downsample flags %v",
			a.TemperalUpsample, a.TemperalDownsample)
	}
}

// checkVAEShortcuts checks the channel arithmetic of the averaging (encoder)
// and duplicating (decoder) shortcuts of the resampling levels.
func checkVAEShortcuts(f *inferer, a *VAEArch) {
	enc, dec := a.EncoderDims(), a.DecoderDims()
	factor := func(flag bool) int {
		if flag {
			return 2
		}
		return 1
	}
	for i := range a.DimMult {
		if i == len(a.DimMult)-1 {
			if enc[i]%enc[i+1] != 0 {
				f.fail("", "encoder level %d: %d channels do not group into %d", i, enc[i], enc[i+1])
			}
			break
		}
		down := factor(a.TemperalDownsample[i]) * 4
		if (enc[i]*down)%enc[i+1] != 0 {
			f.fail("", "encoder level %d: %d·%d channels do not group into %d", i, enc[i], down, enc[i+1])
		}
		up := factor(a.TemperalUpsample[i]) * 4
		if (dec[i+1]*up)%dec[i] != 0 {
			f.fail("", "decoder level %d: %d·%d channels are not a multiple of %d", i, dec[i+1], up, dec[i])
		}
	}
}

// sized is one size to check for positivity.
type sized struct {
	name string
	v    int
}

// positive records a problem for every size that is not positive.
func (f *inferer) positive(sizes ...sized) {
	for _, s := range sizes {
		if s.v <= 0 {
			f.fail("", "%s %d must be positive", s.name, s.v)
		}
	}
}
