//go:build mlx

package vae

import (
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
)

// builder fetches converted weights by name, casts them to the compute
// dtype and remembers every array it made so the model can free them.
type builder struct {
	src   map[string]*mlx.Array
	dtype mlx.Dtype
	made  []*mlx.Array
	slots slotCounter
}

func (b *builder) keep(a *mlx.Array) *mlx.Array {
	b.made = append(b.made, a)
	return a
}

// get returns the named tensor in the compute dtype. New checked the names
// and shapes against the architecture's RequiredMLX before building.
func (b *builder) get(name string) *mlx.Array {
	return b.keep(mlx.AsType(b.src[name], b.dtype))
}

func (b *builder) conv3(prefix string, kt, ks int) causalConv {
	return causalConv{w: b.get(prefix + ".weight"), b: b.get(prefix + ".bias"), kt: kt, ks: ks, slot: b.slots.next()}
}

// pointwise turns a 1×1 conv weight (O, 1, …, 1, I) into an (I, O) matrix.
func (b *builder) pointwise(prefix string) pointwise {
	w := b.src[prefix+".weight"]
	o, i := w.Dim(0), w.Dim(-1)
	wt := mlx.Transpose(mlx.Reshape(mlx.AsType(w, b.dtype), o, i))
	return pointwise{wt: b.keep(wt), b: b.get(prefix + ".bias")}
}

func (b *builder) norm(name string) rmsNorm { return newRMSNorm(b.get(name)) }

func (b *builder) residual(prefix string, in, out int) residualBlock {
	r := residualBlock{
		norm1: b.norm(prefix + ".residual.layers.0.gamma"),
		conv1: b.conv3(prefix+".residual.layers.2", 3, 3),
		norm2: b.norm(prefix + ".residual.layers.3.gamma"),
		conv2: b.conv3(prefix+".residual.layers.6", 3, 3),
	}
	if in != out {
		s := b.pointwise(prefix + ".shortcut")
		r.shortcut = &s
	}
	return r
}

func (b *builder) attention(prefix string, dim int) attention {
	return attention{
		norm:  b.norm(prefix + ".norm.gamma"),
		qkv:   b.pointwise(prefix + ".to_qkv"),
		proj:  b.pointwise(prefix + ".proj"),
		scale: attentionScale(dim),
	}
}

func (b *builder) resample(prefix string, mode resampleMode) *resample {
	r := &resample{mode: mode, w: b.get(prefix + ".resample.layers.1.weight"), b: b.get(prefix + ".resample.layers.1.bias")}
	if mode == downsample3d || mode == upsample3d {
		r.timeW = b.get(prefix + ".time_conv.weight")
		r.timeB = b.get(prefix + ".time_conv.bias")
		r.slot = b.slots.next()
	}
	return r
}

// middle is the (residual, attention, residual) stage of both halves.
type middle struct {
	res1, res2 residualBlock
	attn       attention
}

func (b *builder) middle(prefix string, dim int) middle {
	return middle{
		res1: b.residual(prefix+".layers.0", dim, dim),
		attn: b.attention(prefix+".layers.1", dim),
		res2: b.residual(prefix+".layers.2", dim, dim),
	}
}

func (m *middle) forward(x *mlx.Array, st *stream) *mlx.Array {
	x = m.res1.forward(x, st)
	x = m.attn.forward(x)
	return m.res2.forward(x, st)
}

// head is RMS, SiLU and the output causal conv.
type head struct {
	norm rmsNorm
	conv causalConv
}

func (h *head) forward(x *mlx.Array, st *stream) *mlx.Array {
	return h.conv.forward(silu(h.norm.forward(x)), st)
}

// downLevel is upstream's Down_ResidualBlock.
type downLevel struct {
	blocks           []residualBlock
	resample         *resample // nil on the last level
	factorT, factorS int
	outC             int
}

func (d *downLevel) forward(x *mlx.Array, st *stream) *mlx.Array {
	y := x
	for i := range d.blocks {
		y = d.blocks[i].forward(y, st)
	}
	if d.resample != nil {
		y = d.resample.forward(y, st)
	}
	return mlx.Add(y, avgDown(x, d.factorT, d.factorS, d.outC))
}

// upLevel is upstream's Up_ResidualBlock.
type upLevel struct {
	blocks           []residualBlock
	resample         *resample // nil (and no shortcut) on the last level
	factorT, factorS int
	outC             int
}

func (u *upLevel) forward(x *mlx.Array, st *stream, firstChunk bool) *mlx.Array {
	y := x
	for i := range u.blocks {
		y = u.blocks[i].forward(y, st)
	}
	if u.resample == nil {
		return y
	}
	y = u.resample.forward(y, st)
	return mlx.Add(y, dupUp(x, u.factorT, u.factorS, u.outC, firstChunk))
}

// encoder is upstream's Encoder3d followed by the mu half of WanVAE_.conv1.
type encoder struct {
	stem   causalConv
	levels []downLevel
	middle middle
	head   head
	toMu   pointwise
	slots  int
}

func (b *builder) encoder(c *mapping.VAEArch) *encoder {
	b.slots = slotCounter{}
	dims := c.EncoderDims()
	last := len(c.DimMult) - 1
	e := &encoder{stem: b.conv3("encoder.conv1", 3, 3)}
	for i := 0; i <= last; i++ {
		lv := downLevel{factorT: 1, factorS: 1, outC: dims[i+1]}
		in := dims[i]
		for j := 0; j < c.NumResBlocks; j++ {
			lv.blocks = append(lv.blocks, b.residual(encResPrefix(i, j), in, dims[i+1]))
			in = dims[i+1]
		}
		if i != last {
			lv.factorS = 2
			mode := downsample2d
			if c.TemperalDownsample[i] {
				mode, lv.factorT = downsample3d, 2
			}
			lv.resample = b.resample(encResPrefix(i, c.NumResBlocks), mode)
		}
		e.levels = append(e.levels, lv)
	}
	e.middle = b.middle("encoder.middle", dims[last+1])
	e.head = head{norm: b.norm("encoder.head.layers.0.gamma"), conv: b.conv3("encoder.head.layers.2", 3, 3)}
	e.toMu = b.toMu(c.ZDim)
	e.slots = b.slots.n
	return e
}

// toMu is the mu half of WanVAE_.conv1, which maps the encoder output to
// (mu, log_var): only mu is used, so it keeps the first z_dim output
// channels.
func (b *builder) toMu(zDim int) pointwise {
	q := b.pointwise("conv1")
	return pointwise{
		wt: b.keep(mlx.SliceAxis(q.wt, 1, 0, zDim)),
		b:  b.keep(mlx.SliceAxis(q.b, 0, 0, zDim)),
	}
}

func (e *encoder) slotCount() int { return e.slots }

// forward encodes one chunk of patchified frames into unnormalised mu.
func (e *encoder) forward(x *mlx.Array, st *stream) *mlx.Array {
	x = e.stem.forward(x, st)
	for i := range e.levels {
		x = e.levels[i].forward(x, st)
	}
	x = e.middle.forward(x, st)
	x = e.head.forward(x, st)
	return e.toMu.forward(x)
}

// decoder is WanVAE_.conv2 followed by upstream's Decoder3d.
type decoder struct {
	fromZ  pointwise
	stem   causalConv
	middle middle
	levels []upLevel
	head   head
	slots  int
}

func (b *builder) decoder(c *mapping.VAEArch) *decoder {
	b.slots = slotCounter{}
	dims := c.DecoderDims()
	up := c.TemperalUpsample
	last := len(c.DimMult) - 1
	d := &decoder{fromZ: b.pointwise("conv2"), stem: b.conv3("decoder.conv1", 3, 3)}
	d.middle = b.middle("decoder.middle", dims[0])
	for i := 0; i <= last; i++ {
		lv := upLevel{factorT: 1, factorS: 1, outC: dims[i+1]}
		in := dims[i]
		for j := 0; j < c.NumResBlocks+1; j++ {
			lv.blocks = append(lv.blocks, b.residual(decResPrefix(i, j), in, dims[i+1]))
			in = dims[i+1]
		}
		if i != last {
			lv.factorS = 2
			mode := upsample2d
			if up[i] {
				mode, lv.factorT = upsample3d, 2
			}
			lv.resample = b.resample(decResPrefix(i, c.NumResBlocks+1), mode)
		}
		d.levels = append(d.levels, lv)
	}
	d.head = head{norm: b.norm("decoder.head.layers.0.gamma"), conv: b.conv3("decoder.head.layers.2", 3, 3)}
	d.slots = b.slots.n
	return d
}

func (d *decoder) slotCount() int { return d.slots }

// forward decodes one latent frame (already denormalised) into patchified
// frames: one on the first chunk, the temporal factor on later ones.
func (d *decoder) forward(z *mlx.Array, st *stream, firstChunk bool) *mlx.Array {
	x := d.stem.forward(d.fromZ.forward(z), st)
	x = d.middle.forward(x, st)
	for i := range d.levels {
		x = d.levels[i].forward(x, st, firstChunk)
	}
	return d.head.forward(x, st)
}
