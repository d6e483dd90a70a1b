package verify

import (
	"fmt"
	"strings"

	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// A quantized DiT (either layout) stores its attention and FFN Linears as
// MLX affine-quantized triplets: <p>.weight uint32 codes, <p>.scales and
// <p>.biases (mapping.SplitQuantizedDiT). The structural checks resolve
// them to the dense weights they stand for, so that the architecture,
// counts and golden facts are those of the dense checkpoint, and add:
//
//   - quantization.config: config.json's quantization entry (what loaders
//     read) agrees with the shapes and with the manifest;
//   - quantization.consistency: every group's scale and bias finite and
//     consistent with its packed codes (quant.CheckRows: the group's edge
//     value at code 0, the opposite extreme at the code the scale implies);
//   - quantization.source, with --source: every Linear re-quantized from
//     the release's weight (cast to the scales' dtype) is byte for byte
//     what is stored.
//
// What catches a flipped packed word: the manifest's per-tensor sha256
// always (the tensor named); without a manifest, --source always (tensor,
// row and group named); without either, the consistency check only when
// the flip moves the group's code 0 or its extreme code (README: measured
// rates), since any other code pattern is a valid quantization of some
// weights.

// QuantizationReport describes a quantized component.
type QuantizationReport struct {
	Bits      int `json:"bits"`
	GroupSize int `json:"group_size"`
	Linears   int `json:"linears"` // quantized Linears
	// From says where bits and group size came from: "config.json", or
	// "shapes" when config.json has no quantization entry.
	From string `json:"from"`
}

// quantBlockBytes bounds the packed codes read at a time, in whole rows:
// bounded memory for any Linear.
const quantBlockBytes = 4 << 20

// resolveQuantized returns the tensor descriptions the architecture checks
// see (a quantized DiT's triplets as dense weights) and the quantized
// Linears (nil for a dense component).
func resolveQuantized(dir *convertedDir, u unit, lay mapping.Layout, infos []tensor.Info, c *ComponentReport) ([]tensor.Info, *mapping.QuantizedDiT) {
	stated, err := mapping.QuantizationOf(dir.configOf(u))
	if err != nil {
		c.check("quantization.config", false, "%v", err)
		stated = nil
	}
	mq := dir.manifestQuantization()
	if !mapping.IsQuantizedDiT(infos, stated) && mq == nil {
		return infos, nil
	}
	q, probs := mapping.SplitQuantizedDiT(lay, infos, stated)
	for _, p := range probs {
		if p.Name == "" {
			c.check("tensors.quantization", false, "%s", p.Detail)
		} else {
			c.check("tensors.quantization", false, "%s: %s", p.Name, p.Detail)
		}
	}
	if q.Params.Bits == 0 {
		return infos, nil
	}
	c.Quantization = &QuantizationReport{Bits: q.Params.Bits, GroupSize: q.Params.GroupSize, Linears: len(q.Linears), From: "config.json"}
	var bad []string
	if q.Inferred {
		c.Quantization.From = "shapes"
		bad = append(bad, fmt.Sprintf("config.json has no quantization entry: loaders (mlx-video's, mlx-lm's) cannot know the checkpoint is %s", q.Params))
	}
	if mq != nil && *mq != q.Params {
		bad = append(bad, fmt.Sprintf("the manifest records %s, the checkpoint is %s", *mq, q.Params))
	}
	if len(bad) > 0 {
		c.check("quantization.config", false, "%s", strings.Join(bad, "; "))
	} else {
		c.check("quantization.config", true, "%s, %d Linears quantized", q.Params, len(q.Linears))
	}
	return q.Dense, q
}

// packedNames lists the uint32 code tensors of the quantized Linears.
func packedNames(q *mapping.QuantizedDiT) map[string]bool {
	out := map[string]bool{}
	if q != nil {
		for _, l := range q.Linears {
			out[l.Weight()] = true
		}
	}
	return out
}

// quantBlock is one block of rows of a quantized Linear, as stored.
type quantBlock struct {
	row, rows int
	out       quant.Outputs
}

// eachBlock reads a Linear's words, scales and biases in blocks of whole
// rows and calls f with each; it stops at the first error of f.
func eachBlock(src tensor.SectionSource, l mapping.QuantizedLinear, p quant.Params, f func(b quantBlock) error) error {
	cols := int(l.Cols)
	nw1, ns1 := p.Sizes(1, cols, l.DType)
	per := max(1, quantBlockBytes/nw1)
	var secs [3]tensor.SectionReader
	for i, name := range []string{l.Weight(), l.Scales(), l.Biases()} {
		s, ok, err := src.Section(name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: tensor %s: not readable in place", src.Path(), name)
		}
		secs[i] = s
	}
	buf := quant.Outputs{Words: make([]byte, per*nw1), Scales: make([]byte, per*ns1), Biases: make([]byte, per*ns1)}
	for r := 0; r < int(l.Rows); r += per {
		n := min(per, int(l.Rows)-r)
		b := quantBlock{row: r, rows: n, out: quant.Outputs{Words: buf.Words[:n*nw1], Scales: buf.Scales[:n*ns1], Biases: buf.Biases[:n*ns1]}}
		for i, dst := range [][]byte{b.out.Words, b.out.Scales, b.out.Biases} {
			size := int64(nw1)
			if i > 0 {
				size = int64(ns1)
			}
			if _, err := secs[i].ReadAt(dst, int64(r)*size); err != nil {
				return fmt.Errorf("%s: tensor %s: %w", src.Path(), []string{l.Weight(), l.Scales(), l.Biases()}[i], err)
			}
		}
		if err := f(b); err != nil {
			return err
		}
	}
	return nil
}

// checkQuantConsistency scans every quantized Linear's groups.
func checkQuantConsistency(src tensor.SectionSource, q *mapping.QuantizedDiT, c *ComponentReport) error {
	var bad []string
	groups := 0
	for _, l := range q.Linears {
		n, first := 0, ""
		err := eachBlock(src, l, q.Params, func(b quantBlock) error {
			k, f, err := quant.CheckRows(b.out, l.DType, b.row, b.rows, int(l.Cols), q.Params)
			if n == 0 && k > 0 {
				first = f
			}
			n += k
			return err
		})
		if err != nil {
			return err
		}
		groups += int(l.Rows * l.Cols / int64(q.Params.GroupSize))
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d group(s) inconsistent with %s and %s; first: %s", l.Weight(), n, l.Scales(), l.Biases(), first))
		}
	}
	if len(bad) > 0 {
		c.check("quantization.consistency", false, "%s", limitList(bad))
	} else {
		c.check("quantization.consistency", true, "%d groups of %d Linears: scales and biases finite and consistent with the packed codes", groups, len(q.Linears))
	}
	return nil
}

// Reference tolerances on max|err|/std(ref) for a quantized DiT, by bits,
// about twice what the tiny release measures (README): 8-bit 1.5e-2 from
// float32 weights, 2.8–3.1e-2 from bfloat16; 4-bit 0.22–0.31. Random
// weights are harder to quantize than trained ones, so real checkpoints
// are expected well inside. tolQuantKernel bounds the quantized matmul
// against the dense matmul of the same dequantized weights (float32
// summation order only: 2e-6 measured).
// tolStatsQuantized4 is the golden-statistics tolerance (in golden std) of
// a 4-bit DiT checked against a dense checkpoint's golden file: its
// statistics move by up to 7.6e-2 std on the tiny release (8-bit: 8.5e-3,
// within the default 2e-2).
const (
	tolQuantized8      = 6e-2
	tolQuantized4      = 6e-1
	tolQuantKernel     = 1e-3
	tolStatsQuantized4 = 1.5e-1
)

func quantizedTolerance(bits int) float64 {
	if bits >= 8 {
		return tolQuantized8
	}
	return tolQuantized4
}

// compareQuantizedShares adds the dequantized run's error against the
// reference (the checkpoint's own error: what the quantization costs) and
// the quantized run against the dequantized one (what MLX's quantized
// matmul adds).
func compareQuantizedShares(quantized, dequantized, want map[string]HostTensor, tol float64, c *ComponentReport) {
	for out, ref := range want {
		d, ok := dequantized[out]
		q, ok2 := quantized[out]
		if !ok || !ok2 || len(d.F32) != len(ref.F32) || len(q.F32) != len(d.F32) {
			c.check("reference."+out+".dequantized", false, "output %q missing or of another size in the dequantized run", out)
			continue
		}
		e, err := CompareWithReference(d.F32, ref.F32, tol)
		if err != nil {
			c.check("reference."+out+".dequantized", false, "%v", err)
			continue
		}
		c.Reference[out+".dequantized"] = &e
		c.check("reference."+out+".dequantized", e.Passed, "Linears dequantized: max|err| %.3e, max|err|/std(ref) %.3e (tolerance %.0e): the quantization's share",
			e.MaxAbsErr, e.RelErr, tol)
		k, err := CompareWithReference(q.F32, d.F32, tolQuantKernel)
		if err != nil {
			c.check("reference."+out+".kernel", false, "%v", err)
			continue
		}
		c.Reference[out+".quantized_vs_dequantized"] = &k
		c.check("reference."+out+".kernel", k.Passed, "quantized matmul vs dense matmul of the dequantized weights: max|err|/std %.3e (tolerance %.0e): the kernel's share",
			k.RelErr, tolQuantKernel)
	}
}
