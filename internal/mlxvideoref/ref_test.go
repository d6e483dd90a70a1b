package mlxvideoref

import (
	"maps"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
)

func TestName(t *testing.T) {
	for _, c := range []struct{ comp, in, out string }{
		{"dit", "patch_embedding.weight", "patch_embedding_proj.weight"},
		{"dit", "text_embedding.2.bias", "text_embedding_1.bias"},
		{"dit", "time_projection.1.weight", "time_projection.weight"},
		{"dit", "blocks.12.ffn.2.weight", "blocks.12.ffn.fc2.weight"},
		{"dit", "blocks.12.self_attn.q.weight", "blocks.12.self_attn.q.weight"},
		{"t5", "blocks.3.ffn.gate.0.weight", "blocks.3.ffn.gate_proj.weight"},
		{"t5", "blocks.3.ffn.fc1.weight", "blocks.3.ffn.fc1.weight"},
		{"vae", "decoder.upsamples.0.upsamples.3.resample.1.weight", "decoder.upsamples.0.upsamples.3.resample_weight"},
		{"vae", "encoder.middle.1.to_qkv.bias", "encoder.middle.1.to_qkv_bias"},
		{"vae", "decoder.middle.1.proj.weight", "decoder.middle.1.proj_weight"},
		{"vae", "encoder.downsamples.0.downsamples.1.residual.3.gamma", "encoder.downsamples.0.downsamples.1.residual.layer_3.gamma"},
		{"vae", "decoder.head.0.gamma", "decoder.head.layer_0.gamma"},
		{"vae", "conv2.weight", "conv2.weight"},
		{"vae2_1", "decoder.upsamples.3.resample.1.weight", "decoder.upsamples.3.resample.1.weight"},
		{"vae2_1", "encoder.downsamples.0.residual.0.gamma", "encoder.downsamples.0.residual.0.gamma"},
		{"vae2_1", "decoder.head.0.gamma", "decoder.head.0.gamma"},
	} {
		require.Equal(t, c.out, Name(c.comp, c.in), c.in)
	}
}

func TestShape(t *testing.T) {
	require.Equal(t, []int64{3072, 192}, Shape("dit", "patch_embedding.weight", []int64{3072, 48, 1, 2, 2}))
	require.Equal(t, []int64{3072, 3072}, Shape("dit", "blocks.0.self_attn.q.weight", []int64{3072, 3072}))
	require.Equal(t, []int64{320, 3, 3, 3, 160}, Shape("vae", "x.residual.2.weight", []int64{320, 160, 3, 3, 3}))
	require.Equal(t, []int64{160, 3, 3, 160}, Shape("vae", "x.resample.1.weight", []int64{160, 160, 3, 3}))
	require.Equal(t, []int64{160}, Shape("vae", "x.residual.0.gamma", []int64{160, 1, 1, 1}))
	require.Equal(t, []int64{320, 160, 3, 3, 3}, PyTorchOrder([]int64{320, 3, 3, 3, 160}))
	require.Equal(t, []int64{96, 3, 3, 192}, Shape("vae2_1", "decoder.upsamples.11.resample.1.weight", []int64{96, 192, 3, 3}))
	require.Equal(t, []int64{96, 1, 1, 1}, Shape("vae2_1", "decoder.head.0.gamma", []int64{96, 1, 1, 1}))
	require.Equal(t, []int64{384, 1, 1}, Shape("vae2_1", "decoder.middle.1.norm.gamma", []int64{384, 1, 1}))
	require.Equal(t, []int64{384, 1, 1, 384}, Shape("vae2_1", "decoder.middle.1.proj.weight", []int64{384, 384, 1, 1}))
}

func TestTI2VConfig(t *testing.T) {
	raw, err := os.ReadFile(golden.TinyFacts())
	require.NoError(t, err)
	cfg, err := TI2VConfig(raw)
	require.NoError(t, err)
	require.ElementsMatch(t, Fields, slices.Collect(maps.Keys(cfg)))
	require.Len(t, Fields, 49)
	require.Equal(t, 128.0, cfg["dim"])
	require.Equal(t, 64.0, cfg["text_dim"])
	require.Equal(t, 512.0, cfg["t5_vocab_size"])
	require.Equal(t, 48.0, cfg["vae_z_dim"])
	require.Equal(t, []any{4.0, 16.0, 16.0}, cfg["vae_stride"])
	require.Equal(t, "ti2v", cfg["model_type"])

	_, err = TI2VConfig([]byte(`{"dit":{"config":{}}}`))
	require.ErrorContains(t, err, "dit.config.model_type missing")
}
