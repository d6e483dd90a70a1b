//go:build mlx

package vae

import (
	"fmt"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
)

// levelItem is one child of the Wan2.1 VAE's flat level lists
// (encoder.downsamples, decoder.upsamples): a residual block or a resample.
type levelItem interface {
	forward(x *mlx.Array, st *stream) *mlx.Array
}

// items names the children of a flat level list in order.
type items struct {
	prefix string
	n      int
}

func (it *items) next() string {
	it.n++
	return fmt.Sprintf("%s.layers.%d", it.prefix, it.n-1)
}

// encoder21 is vae2_1.py's Encoder3d followed by the mu half of
// WanVAE_.conv1: no patchify, no shortcuts around the levels.
type encoder21 struct {
	stem   causalConv
	items  []levelItem
	middle middle
	head   head
	toMu   pointwise
	slots  int
}

func (b *builder) encoder21(c *mapping.VAE21Arch) *encoder21 {
	b.slots = slotCounter{}
	dims := c.EncoderDims()
	n := len(c.DimMult)
	e := &encoder21{stem: b.conv3("encoder.conv1", 3, 3)}
	it := &items{prefix: "encoder.downsamples"}
	for i := 0; i < n; i++ {
		in, out := dims[i], dims[i+1]
		for j := 0; j < c.NumResBlocks; j++ {
			r := b.residual(it.next(), in, out)
			e.items = append(e.items, &r)
			in = out
		}
		if i != n-1 {
			mode := downsample2d
			if c.TemperalDownsample[i] {
				mode = downsample3d
			}
			e.items = append(e.items, b.resample(it.next(), mode))
		}
	}
	e.middle = b.middle("encoder.middle", dims[n])
	e.head = head{norm: b.norm("encoder.head.layers.0.gamma"), conv: b.conv3("encoder.head.layers.2", 3, 3)}
	e.toMu = b.toMu(c.ZDim)
	e.slots = b.slots.n
	return e
}

func (e *encoder21) slotCount() int { return e.slots }

func (e *encoder21) forward(x *mlx.Array, st *stream) *mlx.Array {
	x = e.stem.forward(x, st)
	for _, l := range e.items {
		x = l.forward(x, st)
	}
	x = e.middle.forward(x, st)
	x = e.head.forward(x, st)
	return e.toMu.forward(x)
}

// decoder21 is WanVAE_.conv2 followed by vae2_1.py's Decoder3d: levels of
// num_res_blocks+1 residual blocks, each but the last ended by an upsample
// whose Conv2d halves the channels.
type decoder21 struct {
	fromZ  pointwise
	stem   causalConv
	middle middle
	items  []levelItem
	head   head
	slots  int
}

func (b *builder) decoder21(c *mapping.VAE21Arch) *decoder21 {
	b.slots = slotCounter{}
	dims, up := c.DecoderDims(), c.TemperalUpsample()
	n := len(c.DimMult)
	d := &decoder21{fromZ: b.pointwise("conv2"), stem: b.conv3("decoder.conv1", 3, 3)}
	d.middle = b.middle("decoder.middle", dims[0])
	it := &items{prefix: "decoder.upsamples"}
	for i := 0; i < n; i++ {
		in, out := c.DecoderIn(i), dims[i+1]
		for j := 0; j <= c.NumResBlocks; j++ {
			r := b.residual(it.next(), in, out)
			d.items = append(d.items, &r)
			in = out
		}
		if i != n-1 {
			mode := upsample2d
			if up[i] {
				mode = upsample3d
			}
			d.items = append(d.items, b.resample(it.next(), mode))
		}
	}
	d.head = head{norm: b.norm("decoder.head.layers.0.gamma"), conv: b.conv3("decoder.head.layers.2", 3, 3)}
	d.slots = b.slots.n
	return d
}

func (d *decoder21) slotCount() int { return d.slots }

// forward decodes one denormalised latent frame: one video frame on the
// first chunk (the upsample3d time convs skip it, as upstream's "Rep"
// marker does), the temporal factor on later ones.
func (d *decoder21) forward(z *mlx.Array, st *stream, _ bool) *mlx.Array {
	x := d.stem.forward(d.fromZ.forward(z), st)
	x = d.middle.forward(x, st)
	for _, l := range d.items {
		x = l.forward(x, st)
	}
	return d.head.forward(x, st)
}
