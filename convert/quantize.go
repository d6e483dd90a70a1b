package convert

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// With Options.Quantize, each quantizable Linear weight of the DiT
// (mapping.QuantizableDiTLayout) is planned as three consecutive outputs of
// one source tensor: <p>.weight (uint32 packed codes), <p>.scales and
// <p>.biases (the DiT's dtype). The producer streams the source in blocks of
// whole rows, quantizes each block on all cores (quant.QuantizeRows) and
// emits the packed words as they come; the scales and biases, 1/16 of the
// source bytes at most (float32 source, group size 32), are kept until the
// words are written and then emitted, so every file is still written in
// offset order. splitShards never separates the three.

// quantRole tells which part of a quantized Linear a planned tensor is.
type quantRole int

const (
	quantNone   quantRole = iota // a dense tensor
	quantWords                   // <p>.weight: the packed codes
	quantScales                  // <p>.scales
	quantBiases                  // <p>.biases
)

// follows reports whether a tensor must stay in the same file as the one
// planned before it.
func (r quantRole) follows() bool { return r == quantScales || r == quantBiases }

// resolveQuant validates --quantize and --group-size.
func resolveQuant(o Options) (*quant.Params, error) {
	if o.Quantize == 0 {
		if o.GroupSize != 0 {
			return nil, usageErrorf("--group-size %d needs --quantize 4 or 8", o.GroupSize)
		}
		return nil, nil
	}
	if o.Quantize != 4 && o.Quantize != 8 {
		return nil, usageErrorf("--quantize %d: want 4 or 8 bits", o.Quantize)
	}
	p := quant.Params{Bits: o.Quantize, GroupSize: o.GroupSize}
	if p.GroupSize == 0 {
		p.GroupSize = quant.DefaultGroupSize
	}
	if err := p.Validate(); err != nil {
		return nil, usageErrorf("--group-size: %v", err)
	}
	return &p, nil
}

// quantizedEntries replaces a quantizable weight's planned output by its
// three quantized outputs; other tensors are returned unchanged. path names
// the source file in messages.
func quantizedEntries(t plannedTensor, l mapping.Layout, p *quant.Params, path string) ([]plannedTensor, error) {
	if p == nil || t.part.component != mapping.ComponentDiT || !mapping.QuantizableDiTLayout(l, t.target) {
		return []plannedTensor{t}, nil
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: tensor %s: cannot quantize (%s): %s", path, t.info.Name, p, fmt.Sprintf(format, args...))
	}
	if err := p.CheckShape(t.shape); err != nil {
		return nil, fail("%v", err)
	}
	if t.op != layoutKeep || len(t.info.Shape) != 2 {
		return nil, fail("not a plain 2-D Linear weight")
	}
	switch t.info.DType {
	case tensor.F32, tensor.BF16, tensor.F16:
	default:
		return nil, fail("stored as %s (float32, bfloat16 or float16 only)", t.info.DType.Name())
	}
	switch t.dtype {
	case tensor.F32, tensor.BF16, tensor.F16:
	default:
		return nil, fail("scales cannot be %s", t.dtype.Name())
	}
	rows, cols := t.shape[0], t.shape[1]
	words, scales, biases := t, t, t
	words.role, words.dtype, words.shape = quantWords, tensor.U32, p.PackedShape(rows, cols)
	scales.role, scales.target, scales.shape = quantScales, stem(t.target)+".scales", p.ScalesShape(rows, cols)
	biases.role, biases.target, biases.shape = quantBiases, stem(t.target)+".biases", p.ScalesShape(rows, cols)
	out := []plannedTensor{words, scales, biases}
	for i := range out {
		out[i].quant = *p
		out[i].size = tensor.NumBytes(out[i].shape, out[i].dtype)
	}
	return out, nil
}

// stem drops the final ".weight" of a Linear weight's name.
func stem(name string) string { return name[:len(name)-len(".weight")] }

// quantized emits the three outputs of a quantized Linear: ts[0] is the
// words, ts[1] the scales, ts[2] the biases, planned consecutively.
func (p *producer) quantized(fi int, ts []plannedTensor) error {
	w := &ts[0]
	if len(ts) < 3 || ts[1].role != quantScales || ts[2].role != quantBiases {
		return fmt.Errorf("internal error: %s is not followed by its scales and biases", w.target)
	}
	src, ok := p.sources[w.part]
	if !ok {
		return fmt.Errorf("internal error: no source for the %s", w.part)
	}
	read, err := p.reader(src, w)
	if err != nil {
		return err
	}
	q, out := w.quant, ts[1].dtype
	rows, cols := int(w.info.Shape[0]), int(w.info.Shape[1])
	rowBytes := cols * w.info.DType.Size()
	block := quant.BlockRows(cols, w.info.DType, p.limits.quantBlockBytes)
	_, scaleRow := q.Sizes(1, cols, out)
	scales, biases := make([]byte, rows*scaleRow), make([]byte, rows*scaleRow)
	hw := sha256.New()
	var off int64
	for r := 0; r < rows; r += block {
		n := min(block, rows-r)
		nw, ns := q.Sizes(n, cols, out)
		buf, err := p.buffer(nw)
		if err != nil {
			return err
		}
		p.in = grow(p.in, n*rowBytes)
		if err := read(p.in, int64(r)*int64(rowBytes)); err != nil {
			return err
		}
		dst := quant.Outputs{Words: buf, Scales: scales[r*scaleRow : r*scaleRow+ns], Biases: biases[r*scaleRow : r*scaleRow+ns]}
		if err := quant.QuantizeRows(dst, p.in, w.info.DType, out, n, cols, q); err != nil {
			return inputError(fmt.Errorf("%s: tensor %s: %w", src.Path(), w.info.Name, err))
		}
		hw.Write(buf)
		if err := p.send(chunk{file: fi, off: w.offset + off, data: buf, buf: buf}); err != nil {
			return err
		}
		off += int64(nw)
	}
	p.sums[fi][w.target] = hex.EncodeToString(hw.Sum(nil))
	for i, data := range [][]byte{scales, biases} {
		t := &ts[1+i]
		p.sums[fi][t.target] = sha256Hex(data)
		// unpooled: the hasher hands back only pooled buffers
		if err := p.send(chunk{file: fi, off: t.offset, data: data}); err != nil {
			return err
		}
	}
	return nil
}

// withQuantization returns a DiT config.json (a JSON object) with the
// "quantization" object appended as its last member, the rest of the text
// unchanged, the way mlx-lm's converters record it.
func withQuantization(config []byte, q layout.Quantization) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(config))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("config.json is not a JSON object")
	}
	members := 0
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("config.json: %w", err)
		}
		if key == "quantization" {
			return nil, errors.New("config.json already has a quantization entry (is the release quantized already?)")
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("config.json: %w", err)
		}
		members++
	}
	end := dec.InputOffset() // just before the closing brace
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("config.json: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("config.json has data after its object")
	}
	body := bytes.TrimRight(config[:end], " \t\r\n")
	var b bytes.Buffer
	b.Write(body)
	if members > 0 {
		b.WriteByte(',')
	}
	fmt.Fprintf(&b, "\n  \"quantization\": {\"group_size\": %d, \"bits\": %d}\n}\n", q.GroupSize, q.Bits)
	return b.Bytes(), nil
}
