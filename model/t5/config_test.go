package t5

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// tinyConfig is the golden tiny encoder (golden.json "t5.config").
func tinyConfig() Config {
	return Config{Vocab: 512, Dim: 64, DimAttn: 64, DimFFN: 128, NumHeads: 4, NumLayers: 2,
		NumBuckets: 32, MaxDistance: DefaultMaxDistance, Eps: DefaultEps}
}

func shapesOf(c Config) map[string][]int {
	m := map[string][]int{}
	for _, s := range c.RequiredTensors() {
		m[s.Name] = s.Shape
	}
	return m
}

func TestConfigFromShapesRoundTrip(t *testing.T) {
	for _, want := range []Config{tinyConfig(), UMT5XXL()} {
		got, err := ConfigFromShapes(shapesOf(want))
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.NoError(t, got.CheckShapes(shapesOf(want)))
	}
}

func TestParamCount(t *testing.T) {
	require.Equal(t, int64(115264), tinyConfig().ParamCount()) // golden.json t5.param_count
	// umt5-xxl encoder: 256384·4096 + 24·(4·4096² + 3·4096·10240 + 2·4096 + 32·64) + 4096.
	require.Equal(t, int64(5680910336), UMT5XXL().ParamCount())
	require.Len(t, tinyConfig().RequiredTensors(), 1+2*10+1)
}

func TestConfigFromShapesErrors(t *testing.T) {
	shapes := shapesOf(tinyConfig())
	delete(shapes, "token_embedding.weight")
	delete(shapes, "blocks.0.pos_embedding.embedding.weight")
	_, err := ConfigFromShapes(shapes)
	require.ErrorContains(t, err, "missing tensor token_embedding.weight")
	require.ErrorContains(t, err, "missing tensor blocks.0.pos_embedding.embedding.weight")

	shapes = shapesOf(tinyConfig())
	shapes["blocks.3.norm1.weight"] = []int{64}
	_, err = ConfigFromShapes(shapes)
	require.ErrorContains(t, err, "missing 2")

	shapes = shapesOf(tinyConfig())
	shapes["blocks.0.attn.q.weight"] = []int{64, 64, 1}
	_, err = ConfigFromShapes(shapes)
	require.ErrorContains(t, err, "blocks.0.attn.q.weight has shape [64 64 1], want rank 2")

	shapes = shapesOf(tinyConfig())
	shapes["blocks.0.pos_embedding.embedding.weight"] = []int{32, 5} // 64 % 5 != 0
	_, err = ConfigFromShapes(shapes)
	require.ErrorContains(t, err, "not divisible by num_heads 5")
}

func TestCheckShapesListsEveryProblem(t *testing.T) {
	cfg := tinyConfig()
	shapes := shapesOf(cfg)
	delete(shapes, "blocks.1.ffn.fc2.weight")
	delete(shapes, "norm.weight")
	shapes["blocks.0.attn.o.weight"] = []int{64, 32}
	shapes["blocks.0.ffn.gate.0.weight"] = []int{128, 64}
	err := cfg.CheckShapes(shapes)
	require.ErrorContains(t, err, "4 weight problem(s)")
	require.ErrorContains(t, err, "missing tensor blocks.1.ffn.fc2.weight (want shape [64 128])")
	require.ErrorContains(t, err, "missing tensor norm.weight")
	require.ErrorContains(t, err, "tensor blocks.0.attn.o.weight has shape [64 32], want [64 64]")
	require.ErrorContains(t, err, "unexpected tensor blocks.0.ffn.gate.0.weight")
}

func TestValidate(t *testing.T) {
	require.NoError(t, tinyConfig().Validate())
	bad := tinyConfig()
	bad.Dim = 0
	bad.NumBuckets = 6 // even but max_distance fine; 6/4 = 1 exact bucket is allowed
	bad.Eps = 0
	err := bad.Validate()
	require.ErrorContains(t, err, "dim = 0")
	require.ErrorContains(t, err, "eps = 0")
	require.NotContains(t, err.Error(), "num_buckets")

	bad = tinyConfig()
	bad.NumBuckets = 31
	require.ErrorContains(t, bad.Validate(), "num_buckets = 31")
	bad = tinyConfig()
	bad.MaxDistance = 8
	require.ErrorContains(t, bad.Validate(), "max_distance 8 must exceed the exact range 8")
}

func TestConfigFromShapesRejectsSharedPositions(t *testing.T) {
	shapes := shapesOf(tinyConfig())
	shapes["pos_embedding.embedding.weight"] = []int{32, 4}
	_, err := ConfigFromShapes(shapes)
	require.ErrorContains(t, err, "shared_pos=True")
}
