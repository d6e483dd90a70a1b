package mapping

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// details lists the problem texts of a *PlanError.
func details(t *testing.T, err error) []string {
	t.Helper()
	var out []string
	for _, p := range planErr(t, err).Problems {
		require.Equal(t, ProblemArch, p.Kind)
		out = append(out, p.Detail)
	}
	return out
}

func TestDiTWithDefaultsAndValidate(t *testing.T) {
	src, _ := loadInventory(t, ComponentDiT)
	bare, err := InferDiT(src, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"text_len 0 must be positive", "num_heads 0 must be positive", "model_type is not set",
		"eps 0 must be positive"},
		details(t, bare.Validate()))

	full := bare.WithDefaults()
	require.NoError(t, full.Validate())
	require.Equal(t, "t2v", full.ModelType)
	require.Equal(t, 512, full.TextLen)
	require.Equal(t, 16, full.NumHeads)
	require.Equal(t, 1e-6, full.Eps)
	require.Equal(t, 1*2*2, full.PatchVolume())
	require.Equal(t, 0, bare.NumHeads, "WithDefaults must not change its receiver")
	require.Equal(t, "", bare.ModelType)

	// Stated fields win over the defaults, and the copy shares no slices.
	stated, err := InferDiT(src, []byte(ti2v5BConfig))
	require.NoError(t, err)
	withDefaults := stated.WithDefaults()
	require.Equal(t, stated, withDefaults)
	withDefaults.PatchSize[0], withDefaults.WindowSize[0] = 9, 9
	require.Equal(t, []int{1, 2, 2}, stated.PatchSize)
	require.Equal(t, []int{-1, -1}, stated.WindowSize)

	bad := stated.Clone()
	bad.Dim, bad.TextLen, bad.PatchSize, bad.WindowSize, bad.Eps = 0, -1, []int{1, 0, 2}, []int{-1}, -1
	require.Equal(t, []string{
		"text_len -1 must be positive", "dim 0 must be positive", "patch_size [1 0 2] must be positive",
		"window_size must have two entries, got [-1]", "eps -1 must not be negative",
	}, details(t, bad.Validate()))
	bad = stated.Clone()
	bad.NumHeads, bad.ModelType = 7, "t2i"
	require.Equal(t, []string{"dim 3072 is not divisible by num_heads 7", `model_type "t2i" is not one of t2v, i2v, ti2v, s2v`},
		details(t, bad.Validate()))
	bad.NumHeads, bad.ModelType, bad.PatchSize = 24, "ti2v", []int{1, 2}
	require.Equal(t, []string{"patch_size [1 2] must have three entries"}, details(t, bad.Validate()))
	require.Equal(t, 0, bad.PatchVolume())
}

func TestT5Validate(t *testing.T) {
	src, _ := loadInventory(t, ComponentT5)
	a, err := InferT5(src)
	require.NoError(t, err)
	require.NoError(t, a.Validate())
	require.Equal(t, 64, a.HeadDim())

	bad := a.Clone()
	bad.Dim, bad.NumLayers, bad.NumBuckets = 0, -2, 6 // 6 buckets: even, one exact bucket per direction
	require.Equal(t, []string{"dim 0 must be positive", "num_layers -2 must be positive"}, details(t, bad.Validate()))
	require.Equal(t, 4096, a.Dim, "Clone must copy")

	bad = a.Clone()
	bad.NumHeads, bad.NumBuckets = 3, 31
	require.Equal(t, []string{"dim_attn 4096 is not divisible by num_heads 3", "num_buckets 31 must be even and at least 4"},
		details(t, bad.Validate()))
	bad.NumHeads, bad.NumBuckets = 64, 512
	require.Equal(t, []string{"num_buckets 512: the exact range 128 must stay below max_distance 128"}, details(t, bad.Validate()))
	bad.NumHeads = 0
	require.Equal(t, 0, bad.HeadDim())
}

func TestVAEValidate(t *testing.T) {
	src, _ := loadInventory(t, ComponentVAE)
	a, err := InferVAE(src)
	require.NoError(t, err)
	require.NoError(t, a.Validate())
	require.Equal(t, []int{160, 160, 320, 640, 640}, a.EncoderDims())
	require.Equal(t, []int{1024, 1024, 1024, 512, 256}, a.DecoderDims())

	bad := a.Clone()
	bad.TemperalDownsample = []bool{true}
	bad.NumResBlocks = 0
	bad.AttnScales = []float64{0.5}
	require.Equal(t, []string{
		"num_res_blocks 0 must be at least 1",
		"attn_scales [0.5] must be empty: vae2_2 has attention only in the middle blocks",
		"temperal_downsample has 1 flags, want 3 (one per downsampling level)",
		"decoder temporal upsample flags [true true false] are not the reverse of the encoder's temporal downsample flags [true]",
	}, details(t, bad.Validate()))
	require.Equal(t, []bool{false, true, true}, a.TemperalDownsample, "Clone must copy")

	bad = a.Clone()
	bad.DimMult = []int{1, 3, 4, 4}
	// Widths 160, 160, 480: the second level's 160·2·2·2 channels (time
	// halved too) cannot be averaged into 480.
	require.Equal(t, []string{"encoder level 1: 160·8 channels do not group into 480"}, details(t, bad.Validate()))
	bad.DimMult = []int{1, 2, 4, 3}
	require.Equal(t, []string{
		"decoder level 1: 1024·8 channels are not a multiple of 768",
		"encoder level 3: 640 channels do not group into 480",
	}, details(t, bad.Validate()))
	bad.DimMult, bad.Dim = nil, 0
	require.Equal(t, []string{"dim 0 must be positive", "dim_mult is empty"}, details(t, bad.Validate()))
	require.Nil(t, bad.DecoderDims())
}
