//go:build mlx

package vae

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
	"github.com/wanconv/wanconv/tensor"
)

// toWanconv renames and reshapes weights of layout l into the wanconv
// layout by mapping.RelayoutToWanconv. Call it inside mlx.Do.
func toWanconv(t *testing.T, l mapping.Layout, ws map[string]*mlx.Array) map[string]*mlx.Array {
	t.Helper()
	infos, odd := weights.Describe(ws)
	require.Empty(t, odd)
	rl, err := mapping.RelayoutToWanconv(l, mapping.ComponentVAE, infos, nil)
	require.NoError(t, err)
	out := make(map[string]*mlx.Array, len(rl))
	for _, r := range rl {
		a := ws[r.Name]
		if r.From != r.To {
			n := len(r.TorchShape)
			if r.From == mapping.ConvToChannelsLast {
				axes := []int{0, n - 1}
				for i := 1; i < n-1; i++ {
					axes = append(axes, i)
				}
				a = mlx.Transpose(a, axes...)
			} else {
				a = mlx.Reshape(a, ints(r.TorchShape)...)
			}
			if r.To == mapping.ConvToChannelsLast {
				axes := []int{0}
				for i := 2; i < n; i++ {
					axes = append(axes, i)
				}
				a = mlx.Transpose(a, append(axes, 1)...)
			} else {
				a = mlx.Reshape(a, ints(r.Shape)...)
			}
		}
		require.Equal(t, ints(r.Shape), a.Shape(), r.Name)
		out[r.Target] = a
	}
	return out
}

// The Wan2.1 VAE in mlx-video's layout (upstream names, channels-last
// convs, gammas kept (C, 1, 1[, 1])) is recognised, relaid out to wanconv's
// and matches upstream as the wanconv conversion does.
func TestWan21MLXVideoLayoutMatchesUpstream(t *testing.T) {
	for _, k := range a14bKinds {
		t.Run(string(k), func(t *testing.T) {
			var m *Model
			require.NoError(t, mlx.Do(func() error {
				src := wan21Weights(t, k, mapping.LayoutMLXVideo, mlx.Float32)
				require.Equal(t, []int{16, 1, 1, 1}, src["decoder.head.0.gamma"].Shape())
				require.Equal(t, []int{32, 3, 3, 64}, src["decoder.upsamples.3.resample.1.weight"].Shape())
				infos, _ := weights.Describe(src)
				c, l, err := mapping.DetectLayout(infoNames(infos))
				require.NoError(t, err)
				require.Equal(t, mapping.ComponentVAE, c)
				require.Equal(t, mapping.LayoutMLXVideo, l)
				arch, err := mapping.CheckConvertedLayout(mapping.LayoutMLXVideo, mapping.ComponentVAE, infos, nil)
				require.NoError(t, err)
				require.IsType(t, &mapping.VAE21Arch{}, arch)

				ws := toWanconv(t, mapping.LayoutMLXVideo, src)
				a, err := ArchFromWeights(ws)
				require.NoError(t, err)
				require.Equal(t, arch, a)
				m, err = New(a, ws, Options{})
				require.NoError(t, err)
				return nil
			}))
			defer m.Free()
			e := match21(t, m, loadReference21(t, k))
			require.LessOrEqual(t, e.enc, 1e-4)
			require.LessOrEqual(t, e.dec, 1e-4)
		})
	}
}

func infoNames(infos []tensor.Info) []string {
	out := make([]string, len(infos))
	for i, t := range infos {
		out[i] = t.Name
	}
	return out
}
