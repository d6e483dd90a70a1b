//go:build mlx

package vae

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/mlx"
)

func iota32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

// patchify puts video[c, f, 2i+q, 2j+r] at channel c·4 + r·2 + q.
func TestPatchifyIndexOrder(t *testing.T) {
	const c, f, h, w = 3, 2, 4, 6
	data := iota32(c * f * h * w)
	require.NoError(t, mlx.Do(func() error {
		video := mlx.FromFloat32s(data, c, f, h, w)
		p := patchify(video, PatchSize)
		require.Equal(t, []int{1, f, h / 2, w / 2, 12}, p.Shape())
		got := values(t, p)
		for ff := 0; ff < f; ff++ {
			for i := 0; i < h/2; i++ {
				for j := 0; j < w/2; j++ {
					for cc := 0; cc < c; cc++ {
						for q := 0; q < 2; q++ {
							for r := 0; r < 2; r++ {
								want := data[((cc*f+ff)*h+2*i+q)*w+2*j+r]
								at := ((ff*(h/2)+i)*(w/2)+j)*12 + cc*4 + r*2 + q
								require.Equal(t, want, got[at], "c=%d f=%d i=%d j=%d q=%d r=%d", cc, ff, i, j, q, r)
							}
						}
					}
				}
			}
		}
		back := unpatchify(p, PatchSize)
		require.Equal(t, []int{c, f, h, w}, back.Shape())
		require.Equal(t, data, values(t, back))
		// Without patchify (Wan2.1) the channels only move last.
		cl := patchify(video, 1)
		require.Equal(t, []int{1, f, h, w, c}, cl.Shape())
		require.Equal(t, values(t, mlx.ExpandDims(mlx.Transpose(video, 1, 2, 3, 0), 0)), values(t, cl))
		require.Equal(t, data, values(t, unpatchify(cl, 1)))
		return nil
	}))
}

// avgDownReference restates upstream's AvgDown3D index arithmetic on a
// channels-last [T, H, W, C] array.
func avgDownReference(x []float32, t, h, w, c, ft, fs, outC int) []float32 {
	pad := (ft - t%ft) % ft
	at := func(tt, hh, ww, cc int) float32 {
		tt -= pad
		if tt < 0 {
			return 0
		}
		return x[((tt*h+hh)*w+ww)*c+cc]
	}
	factor := ft * fs * fs
	gs := c * factor / outC
	t2, h2, w2 := (t+pad)/ft, h/fs, w/fs
	out := make([]float32, t2*h2*w2*outC)
	for a := 0; a < t2; a++ {
		for b := 0; b < h2; b++ {
			for d := 0; d < w2; d++ {
				for o := 0; o < outC; o++ {
					var s float32
					for g := 0; g < gs; g++ {
						k := o*gs + g
						cc, rem := k/factor, k%factor
						it, iq, ir := rem/(fs*fs), (rem/fs)%fs, rem%fs
						s += at(a*ft+it, b*fs+iq, d*fs+ir, cc)
					}
					out[((a*h2+b)*w2+d)*outC+o] = s / float32(gs)
				}
			}
		}
	}
	return out
}

// dupUpReference restates upstream's DupUp3D index arithmetic.
func dupUpReference(x []float32, t, h, w, c, ft, fs, outC int, first bool) []float32 {
	factor := ft * fs * fs
	repeats := outC * factor / c
	t2, h2, w2 := t*ft, h*fs, w*fs
	out := make([]float32, t2*h2*w2*outC)
	for tt := 0; tt < t; tt++ {
		for hh := 0; hh < h; hh++ {
			for ww := 0; ww < w; ww++ {
				for o := 0; o < outC; o++ {
					for it := 0; it < ft; it++ {
						for iq := 0; iq < fs; iq++ {
							for ir := 0; ir < fs; ir++ {
								src := (o*factor + it*fs*fs + iq*fs + ir) / repeats
								dst := (((tt*ft+it)*h2+hh*fs+iq)*w2+ww*fs+ir)*outC + o
								out[dst] = x[((tt*h+hh)*w+ww)*c+src]
							}
						}
					}
				}
			}
		}
	}
	if first {
		out = out[(ft-1)*h2*w2*outC:]
	}
	return out
}

func TestShortcutIndexOrder(t *testing.T) {
	cases := []struct{ t, h, w, c, ft, fs, outC int }{
		{t: 3, h: 4, w: 6, c: 4, ft: 2, fs: 2, outC: 8},  // padded front frame, 4·8/8 = 4 per group
		{t: 2, h: 4, w: 2, c: 6, ft: 1, fs: 2, outC: 12}, // spatial only
		{t: 4, h: 2, w: 2, c: 8, ft: 2, fs: 1, outC: 4},
	}
	require.NoError(t, mlx.Do(func() error {
		for _, k := range cases {
			data := iota32(k.t * k.h * k.w * k.c)
			x := mlx.FromFloat32s(data, 1, k.t, k.h, k.w, k.c)
			got := values(t, avgDown(x, k.ft, k.fs, k.outC))
			want := avgDownReference(data, k.t, k.h, k.w, k.c, k.ft, k.fs, k.outC)
			require.InDeltaSlice(t, want, got, 1e-4, "avgDown %+v", k)

			for _, first := range []bool{false, true} {
				// dupUp maps c → outC; use the mirrored widths.
				y := dupUp(x, k.ft, k.fs, k.c*k.ft*k.fs*k.fs/2, first)
				want := dupUpReference(data, k.t, k.h, k.w, k.c, k.ft, k.fs, k.c*k.ft*k.fs*k.fs/2, first)
				require.Equal(t, want, values(t, y), "dupUp %+v first=%v", k, first)
			}
		}
		return nil
	}))
}
