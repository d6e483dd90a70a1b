//go:build mlx

package dit

import (
	"fmt"
	"math"
	"slices"

	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
)

// Forward runs the transformer on one latent x [InDim, F, H, W] with
// timesteps t ([1] for one timestep, or [1, seqLen] per token as ti2v uses)
// and text embeddings context [L, TextDim], L ≤ TextLen. seqLen is the padded
// token count (at least the number of patches). It returns the prediction
// [OutDim, F', H', W'] (float32, the patch grid times the patch size) as a
// lazy array in the caller's scope; run it inside mlx.Do and mlx.Eval the
// result. Each block is built in its own mlx.Scoped; a streamed model
// (LoadStreamed) also evaluates each block there, with its weights. An i2v
// model needs ForwardY.
func (m *Model) Forward(x, t, context *mlx.Array, seqLen int) (*mlx.Array, error) {
	return m.ForwardY(x, nil, t, context, seqLen)
}

// ForwardY is Forward with the image-to-video conditioning y [InDim − C, F,
// H, W] for a latent x [C, F, H, W]: as upstream's WanModel.forward does,
// y's channels (4 mask + 16 image-latent channels for I2V-A14B) follow x's
// before the patch embedding. y must be nil for t2v and ti2v and is
// required for i2v.
func (m *Model) ForwardY(x, y, t, context *mlx.Array, seqLen int) (*mlx.Array, error) {
	c := m.arch
	x, err := m.joinConditioning(x, y)
	if err != nil {
		return nil, err
	}
	grid, err := m.checkInputs(x, t, context, seqLen)
	if err != nil {
		return nil, err
	}
	n := grid[0] * grid[1] * grid[2]
	dt := weights.MLXDType(m.opts.ComputeDType)
	eps := float32(c.Eps)

	tokens := m.embedPatches(x, grid, seqLen)
	// The embeddings are built in scopes that keep only their results, so
	// that evaluating them frees their intermediates (the widened weights).
	var index *tokenIndex
	emb := mlx.Scoped(func() []*mlx.Array {
		e, e0, idx, terr := m.embedTime(t, seqLen)
		if terr != nil {
			err = terr
			return nil
		}
		index = idx
		return []*mlx.Array{e, e0, idx.rows, m.embedText(context, dt)}
	})
	if err != nil {
		return nil, err
	}
	e := emb[0]
	s := &step{e0: emb[1], tokens: index, context: emb[3], heads: c.NumHeads, eps: eps, dt: dt}
	cos, sin, err := RopeTable(c.HeadDim(), grid, seqLen)
	if err != nil {
		return nil, fmt.Errorf("dit: %w", err)
	}
	half := c.HeadDim() / 2
	s.rope = rope{cos: mlx.FromFloat32s(cos, seqLen, 1, half, 1), sin: mlx.FromFloat32s(sin, seqLen, 1, half, 1)}
	if n < seqLen {
		keep := make([]bool, seqLen)
		for i := range n {
			keep[i] = true
		}
		s.mask = mlx.FromBools(keep, 1, 1, 1, seqLen)
	}

	if m.stream != nil {
		if tokens, err = m.stream.forward(m, tokens, s); err != nil {
			return nil, err
		}
	}
	for _, b := range m.blocks {
		tokens = mlx.Scoped(func() []*mlx.Array { return []*mlx.Array{b.forward(tokens, s)} })[0]
	}
	out := mlx.Scoped(func() []*mlx.Array { return []*mlx.Array{m.applyHead(tokens, e, index, dt, eps)} })[0]
	out = m.unpatchify(mlx.SliceAxis(out, 0, 0, n), grid)
	if err := mlx.Err(); err != nil {
		return nil, fmt.Errorf("dit: forward: %w", err)
	}
	return out, nil
}

// joinConditioning concatenates y's channels after x's (i2v), checking
// that y goes with the model type and x's shape.
func (m *Model) joinConditioning(x, y *mlx.Array) (*mlx.Array, error) {
	i2v := m.arch.ModelType == ModelTypeI2V
	switch {
	case y == nil && i2v:
		return nil, fmt.Errorf("dit: an i2v model needs the conditioning y (in_dim %d = the latent's channels + y's)", m.arch.InDim)
	case y == nil:
		return x, nil
	case !i2v:
		return nil, fmt.Errorf("dit: a %s model takes no conditioning y", m.arch.ModelType)
	case x.Ndim() != 4 || y.Ndim() != 4 || !slices.Equal(x.Shape()[1:], y.Shape()[1:]) || x.Dim(0)+y.Dim(0) != m.arch.InDim:
		return nil, fmt.Errorf("dit: latent x %v and conditioning y %v must be [C, F, H, W] and [%d − C, F, H, W]",
			x.Shape(), y.Shape(), m.arch.InDim)
	}
	return mlx.Concatenate(0, f32(x), f32(y)), nil
}

// checkInputs validates shapes and returns the token grid.
func (m *Model) checkInputs(x, t, context *mlx.Array, seqLen int) ([3]int, error) {
	c := m.arch
	var grid [3]int
	if x.Ndim() != 4 || x.Dim(0) != c.InDim {
		return grid, fmt.Errorf("dit: latent x has shape %v, want [%d, F, H, W]", x.Shape(), c.InDim)
	}
	for i := range grid {
		grid[i] = x.Dim(i+1) / c.PatchSize[i]
		if grid[i] == 0 {
			return grid, fmt.Errorf("dit: latent x %v is smaller than patch %v", x.Shape(), c.PatchSize)
		}
	}
	if n := grid[0] * grid[1] * grid[2]; n > seqLen {
		return grid, fmt.Errorf("dit: latent x %v gives %d tokens, more than seq_len %d", x.Shape(), n, seqLen)
	}
	ts := t.Shape()
	if !(slices.Equal(ts, []int{1}) || slices.Equal(ts, []int{1, seqLen})) {
		return grid, fmt.Errorf("dit: timesteps t have shape %v, want [1] or [1, %d]", ts, seqLen)
	}
	if context.Ndim() != 2 || context.Dim(1) != c.TextDim || context.Dim(0) > c.TextLen {
		return grid, fmt.Errorf("dit: context has shape %v, want [L ≤ %d, %d]", context.Shape(), c.TextLen, c.TextDim)
	}
	return grid, nil
}

// embedPatches turns x [C, F, H, W] into tokens [seqLen, dim] ordered
// (f, h, w), zero rows after the real tokens. The patch convolution runs in
// float32.
func (m *Model) embedPatches(x *mlx.Array, grid [3]int, seqLen int) *mlx.Array {
	p := m.arch.PatchSize
	n := grid[0] * grid[1] * grid[2]
	video := mlx.ExpandDims(mlx.Transpose(f32(x), 1, 2, 3, 0), 0) // [1, F, H, W, C]
	conv := mlx.Conv3d(video, f32(m.patchW), p, []int{0, 0, 0})
	tokens := mlx.Add(mlx.Reshape(conv, n, m.arch.Dim), m.patchB)
	if n == seqLen {
		return tokens
	}
	return mlx.Pad(tokens, []int{0}, []int{0}, []int{seqLen - n}, 0)
}

// embedTime returns the time embedding e [U, dim], its projection e0
// [U, 6, dim] (U distinct timesteps, float32 throughout) and the token→row
// map.
func (m *Model) embedTime(t *mlx.Array, seqLen int) (e, e0 *mlx.Array, index *tokenIndex, err error) {
	c := m.arch
	values, err := t.Float32s()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dit: reading timesteps: %w", err)
	}
	for _, v := range values {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, nil, fmt.Errorf("dit: timestep %v is not finite", v)
		}
	}
	if len(values) == 1 && seqLen > 1 {
		one := values[0]
		values = make([]float32, seqLen)
		for i := range values {
			values[i] = one
		}
	}
	distinct, table, rows := timestepTable(c.FreqDim, values)
	sinusoid := mlx.FromFloat32s(table, len(distinct), c.FreqDim)
	e = m.timeOut.apply(silu(m.timeIn.apply(sinusoid, mlx.Float32)), mlx.Float32)
	e0 = mlx.Reshape(m.timeProj.apply(silu(e), mlx.Float32), len(distinct), 6, c.Dim)
	index = &tokenIndex{}
	if len(distinct) > 1 {
		index.rows = mlx.FromInt32s(rows, len(rows))
	}
	return e, e0, index, nil
}

// embedText zero-pads context to TextLen rows and embeds it to [TextLen, dim].
func (m *Model) embedText(context *mlx.Array, dt mlx.Dtype) *mlx.Array {
	ctx := f32(context)
	if pad := m.arch.TextLen - ctx.Dim(0); pad > 0 {
		ctx = mlx.Pad(ctx, []int{0}, []int{0}, []int{pad}, 0)
	}
	hidden := geluTanh(f32(m.textIn.apply(ctx, dt)))
	return m.textOut.apply(hidden, dt)
}

// applyHead is Linear(LN(x)·(1 + scale) + shift) with (shift, scale) =
// head.modulation + e.
func (m *Model) applyHead(x, e *mlx.Array, index *tokenIndex, dt mlx.Dtype, eps float32) *mlx.Array {
	mod := mlx.Add(m.headModulation, mlx.ExpandDims(e, 1)) // [U, 2, dim]
	parts := mlx.Split(mod, 2, 1)
	shift := index.expand(mlx.Squeeze(parts[0], 1))
	scale := index.expand(mlx.AddScalar(mlx.Squeeze(parts[1], 1), 1))
	return f32(m.head.apply(modulate(x, scale, shift, eps), dt))
}

// unpatchify turns [n, pt·ph·pw·C] rows into [C, F'·pt, H'·ph, W'·pw].
func (m *Model) unpatchify(x *mlx.Array, grid [3]int) *mlx.Array {
	p, c := m.arch.PatchSize, m.arch.OutDim
	x = mlx.Reshape(x, grid[0], grid[1], grid[2], p[0], p[1], p[2], c)
	x = mlx.Transpose(x, 6, 0, 3, 1, 4, 2, 5)
	return mlx.Reshape(x, c, grid[0]*p[0], grid[1]*p[1], grid[2]*p[2])
}
