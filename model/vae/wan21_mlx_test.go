//go:build mlx

package vae

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/format/pth"
	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

var a14bKinds = []golden.A14B{golden.T2VA14B, golden.I2VA14B}

// wan21Weights converts a tiny A14B release's Wan2.1_VAE.pth in process,
// entry by entry through mapping's plan for layout l (the converter's own
// path over the same plan is tested in package convert), storing every
// weight in dtype. Call it inside mlx.Do.
func wan21Weights(t *testing.T, k golden.A14B, l mapping.Layout, dtype mlx.Dtype) map[string]*mlx.Array {
	t.Helper()
	f, err := pth.Open(filepath.Join(golden.TinyA14BRelease(k), "Wan2.1_VAE.pth"))
	require.NoError(t, err)
	defer f.Close()
	plan, err := mapping.PlanLayout(l, mapping.ComponentVAE, f.Tensors(), nil)
	require.NoError(t, err)
	require.IsType(t, &mapping.VAE21Arch{}, plan.Arch)
	ws := make(map[string]*mlx.Array, len(plan.Entries))
	for _, e := range plan.Entries {
		require.Equal(t, tensor.F32, e.Source.DType, e.Source.Name)
		buf := make([]byte, e.Source.NumBytes())
		require.NoError(t, f.ReadTensor(e.Source.Name, buf))
		a := mlx.FromBytes(buf, mlx.Float32, ints(e.Source.Shape)...)
		switch e.Transform {
		case mapping.ConvToChannelsLast:
			axes := []int{0}
			for i := 2; i < len(e.Source.Shape); i++ {
				axes = append(axes, i)
			}
			a = mlx.Transpose(a, append(axes, 1)...)
		case mapping.SqueezeGamma:
			a = mlx.Reshape(a, ints(e.OutShape)...)
		case mapping.Identity:
		default:
			t.Fatalf("%s: unexpected transform %s", e.Source.Name, e.Transform)
		}
		ws[e.Target] = mlx.AsType(a, dtype)
		require.Equal(t, ints(e.OutShape), ws[e.Target].Shape(), e.Target)
	}
	return ws
}

func ints(s []int64) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

// loadWan21 builds the model of a tiny A14B release's Wan2.1 VAE from
// weights stored in wdtype, through ArchFromWeights and New as Load does.
func loadWan21(t *testing.T, k golden.A14B, wdtype mlx.Dtype, opts Options) *Model {
	t.Helper()
	var m *Model
	require.NoError(t, mlx.Do(func() error {
		ws := wan21Weights(t, k, mapping.LayoutWanconv, wdtype)
		arch, err := ArchFromWeights(ws)
		require.NoError(t, err)
		m, err = New(arch, ws, opts)
		require.NoError(t, err)
		return nil
	}))
	t.Cleanup(m.Free)
	return m
}

// reference21 holds an A14B release's upstream VAE inputs and outputs.
type reference21 struct{ video, latent, recon []float32 }

func loadReference21(t *testing.T, k golden.A14B) reference21 {
	t.Helper()
	var r reference21
	require.NoError(t, mlx.Do(func() error {
		arrs, _, err := mlx.LoadSafetensors(golden.TinyA14BReference(k))
		require.NoError(t, err)
		get := func(name string, shape []int) []float32 {
			a, ok := arrs[name]
			require.True(t, ok, "reference tensor %s", name)
			require.Equal(t, shape, a.Shape(), name)
			return values(t, a)
		}
		r.video = get("vae.input.video", []int{3, 5, 32, 32})
		r.latent = get("vae.output.latent", []int{16, 2, 4, 4})
		r.recon = get("vae.output.video", []int{3, 5, 32, 32})
		return nil
	}))
	return r
}

// errors21 are the relative errors (max|err|/std(ref)) of one model
// against one reference: encode, decode of the reference latent, and the
// round trip decode(encode(video)) upstream's video is.
type errors21 struct{ enc, dec, round float64 }

func match21(t *testing.T, m *Model, ref reference21) errors21 {
	t.Helper()
	var e errors21
	require.NoError(t, mlx.Do(func() error {
		lat, err := m.Encode(mlx.FromFloat32s(ref.video, 3, 5, 32, 32))
		require.NoError(t, err)
		require.Equal(t, []int{16, 2, 4, 4}, lat.Shape())
		require.Equal(t, mlx.Float32, lat.Dtype())
		encAbs, encRel := errStats(t, values(t, lat), ref.latent)

		rec, err := m.Decode(mlx.FromFloat32s(ref.latent, 16, 2, 4, 4))
		require.NoError(t, err)
		require.Equal(t, []int{3, 5, 32, 32}, rec.Shape())
		decAbs, decRel := errStats(t, values(t, rec), ref.recon)

		round, err := m.Decode(lat)
		require.NoError(t, err)
		rtAbs, rtRel := errStats(t, values(t, round), ref.recon)
		t.Logf("compute %s: latent max|err| %.3g (rel %.3g); video (decode of the reference latent) max|err| %.3g (rel %.3g); "+
			"encode+decode max|err| %.3g (rel %.3g)", m.Options().ComputeDType.Name(), encAbs, encRel, decAbs, decRel, rtAbs, rtRel)
		e = errors21{encRel, decRel, rtRel}
		return nil
	}))
	return e
}

func TestWan21Float32MatchesUpstream(t *testing.T) {
	for _, k := range a14bKinds {
		t.Run(string(k), func(t *testing.T) {
			m := loadWan21(t, k, mlx.Float32, Options{})
			require.Equal(t, "Wan2.1", m.Version())
			require.Equal(t, tensor.F32, m.Options().ComputeDType)
			require.Equal(t, int64(3_602_371), m.ParamCount())
			require.Equal(t, &mapping.VAE21Arch{Dim: 16, ZDim: 16, DimMult: []int{1, 2, 4, 4}, NumResBlocks: 2,
				AttnScales: []float64{}, TemperalDownsample: []bool{false, true, true}}, m.Arch())
			e := match21(t, m, loadReference21(t, k))
			require.LessOrEqual(t, e.enc, 1e-4)
			require.LessOrEqual(t, e.dec, 1e-4)
			require.LessOrEqual(t, e.round, 1e-4)
		})
	}
}

// With bfloat16 weights (and bfloat16 compute) the error is the weight
// rounding's, as for the Wan2.2 VAE (see TestTinyBFloat16MatchesUpstream);
// the bounds sit at about twice the measured values and still catch real
// mistakes, which give errors of order 1.
func TestWan21BFloat16MatchesUpstream(t *testing.T) {
	bounds := map[string][2]float64{ // latent, video
		"bfloat16 weights, float32 compute":  {4e-2, 1e-1},
		"bfloat16 weights, bfloat16 compute": {1e-1, 2e-1},
		"float32 weights, bfloat16 compute":  {1e-1, 2e-1},
	}
	for _, k := range a14bKinds {
		ref := loadReference21(t, k)
		for _, c := range []struct {
			w  mlx.Dtype
			dt tensor.DType
		}{{mlx.BFloat16, tensor.F32}, {mlx.BFloat16, tensor.BF16}, {mlx.Float32, tensor.BF16}} {
			name := fmt.Sprintf("%s weights, %s compute", map[mlx.Dtype]string{mlx.BFloat16: "bfloat16", mlx.Float32: "float32"}[c.w], c.dt.Name())
			t.Run(string(k)+"/"+name, func(t *testing.T) {
				e := match21(t, loadWan21(t, k, c.w, Options{ComputeDType: c.dt}), ref)
				require.LessOrEqual(t, e.enc, bounds[name][0])
				require.LessOrEqual(t, e.dec, bounds[name][1])
			})
		}
	}
}

func TestWan21Shapes(t *testing.T) {
	m := loadWan21(t, golden.T2VA14B, mlx.Float32, Options{})
	require.Equal(t, 2, m.LatentFrames(5))
	require.Equal(t, 9, m.VideoFrames(3))
	require.NoError(t, mlx.Do(func() error {
		_, err := m.Encode(mlx.Zeros(mlx.Float32, 3, 5, 28, 32))
		require.ErrorContains(t, err, "multiples of 8")
		_, err = m.Decode(mlx.Zeros(mlx.Float32, 48, 2, 2, 2))
		require.ErrorContains(t, err, "latent shape [48 2 2 2], want [16")
		// A non-square video, 9 frames: three latent frames, 9 decoded.
		video := mlx.FromFloat32s(SyntheticVideo(9, 16, 24, 3), 3, 9, 16, 24)
		lat, err := m.Encode(video)
		require.NoError(t, err)
		require.Equal(t, []int{16, 3, 2, 3}, lat.Shape())
		rec, err := m.Decode(lat)
		require.NoError(t, err)
		require.Equal(t, []int{3, 9, 16, 24}, rec.Shape())
		v := values(t, rec)
		for _, x := range v {
			require.True(t, x >= -1 && x <= 1, "decoded values are clamped")
		}
		// Causality through the caches: the first five frames encode to the
		// first two latent frames, which decode to the first five frames.
		lat2, err := m.Encode(mlx.SliceAxis(video, 1, 0, 5))
		require.NoError(t, err)
		require.Equal(t, values(t, mlx.SliceAxis(lat, 1, 0, 2)), values(t, lat2))
		rec2, err := m.Decode(mlx.SliceAxis(lat, 1, 0, 2))
		require.NoError(t, err)
		require.Equal(t, values(t, mlx.SliceAxis(rec, 1, 0, 5)), values(t, rec2))
		return nil
	}))
}
