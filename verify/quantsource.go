package verify

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/quant"
	"github.com/wanconv/wanconv/tensor"
)

// checkQuantSource re-quantizes every quantized Linear from the release in
// sourceDir (nothing to do when it is ""): the release's weight, cast to the
// scales' dtype and quantized as mlx.core.quantize does (package quant),
// must give the stored codes, scales and biases byte for byte. A difference
// names the tensor, the part and the first row and group. Memory: one block
// of rows at a time.
func checkQuantSource(sourceDir string, expert layout.Expert, lay mapping.Layout, conv tensor.SectionSource, q *mapping.QuantizedDiT, c *ComponentReport) error {
	if sourceDir == "" {
		return nil
	}
	rel, err := openReleaseDiT(sourceDir, expert)
	if err != nil {
		return err
	}
	defer rel.Close()
	var bad []string
	for _, l := range q.Linears {
		name := mapping.SourceNameLayout(lay, mapping.ComponentDiT, l.Weight())
		info, ok := rel.Lookup(name)
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("%s: the release has no %s", l.Weight(), name))
			continue
		case len(info.Shape) != 2 || info.Shape[0] != l.Rows || info.Shape[1] != l.Cols:
			bad = append(bad, fmt.Sprintf("%s: the release's %s has shape %s, the codes stand for (%d, %d)",
				l.Weight(), name, tensor.ShapeString(info.Shape), l.Rows, l.Cols))
			continue
		}
		sec, ok, err := rel.Section(name)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: tensor %s: not readable in place", rel.Path(), name)
		}
		if diff, err := requantize(sec, info, conv, l, q.Params); err != nil {
			return err
		} else if diff != "" {
			bad = append(bad, l.Prefix+": "+diff)
		}
	}
	if len(bad) > 0 {
		c.check("quantization.source", false, "%s", limitList(bad))
	} else {
		c.check("quantization.source", true, "%d Linears re-quantized from %s: identical codes, scales and biases", len(q.Linears), sourceDir)
	}
	return nil
}

// requantize compares one Linear with the quantization of its source
// weight; it returns "" when identical, else where they first differ.
func requantize(src tensor.SectionReader, info tensor.Info, conv tensor.SectionSource, l mapping.QuantizedLinear, p quant.Params) (string, error) {
	cols := int(l.Cols)
	rowBytes := cols * info.DType.Size()
	var in []byte
	var want quant.Outputs
	diff := ""
	err := eachBlock(conv, l, p, func(b quantBlock) error {
		in = grow(in, b.rows*rowBytes)
		if _, err := src.ReadAt(in, int64(b.row)*int64(rowBytes)); err != nil {
			return fmt.Errorf("source tensor %s: %w", info.Name, err)
		}
		want.Words, want.Scales, want.Biases = grow(want.Words, len(b.out.Words)), grow(want.Scales, len(b.out.Scales)), grow(want.Biases, len(b.out.Biases))
		if err := quant.QuantizeRows(want, in, info.DType, l.DType, b.rows, cols, p); err != nil {
			return fmt.Errorf("source tensor %s: %w", info.Name, err)
		}
		for _, part := range []struct {
			name      string
			got, want []byte
			perRow    int
		}{
			{"codes (.weight)", b.out.Words, want.Words, len(b.out.Words) / b.rows},
			{"scales", b.out.Scales, want.Scales, len(b.out.Scales) / b.rows},
			{"biases", b.out.Biases, want.Biases, len(b.out.Biases) / b.rows},
		} {
			if i := firstDiff(part.got, part.want); i >= 0 {
				row, off := b.row+i/part.perRow, i%part.perRow
				group := off * cols / part.perRow / p.GroupSize
				diff = fmt.Sprintf("%s differ from the re-quantized source %s, first at row %d, group %d", part.name, info.Name, row, group)
				return errStop
			}
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return diff, err
}

var errStop = errors.New("stop")

// firstDiff is the index of the first differing byte, or -1.
func firstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return len(a)
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// openReleaseDiT opens the DiT (an A14B release: the expert's) of an
// upstream release directory.
// Every file is read from inside dir only (a link leading outside it is
// refused); the source stays usable once the directory is released.
func openReleaseDiT(dir string, expert layout.Expert) (tensor.SectionSource, error) {
	tree, err := layout.OpenTree(dir)
	if err != nil {
		return nil, fmt.Errorf("--source: %w", err)
	}
	defer tree.Close()
	rel, err := tree.DetectRelease()
	if err != nil {
		return nil, fmt.Errorf("--source %s: %w", dir, err)
	}
	for _, d := range rel.DiTs {
		if d.Expert == expert {
			return tree.OpenSafetensors(tree.Path(d.Checkpoint))
		}
	}
	return nil, fmt.Errorf("--source %s: the release has no DiT %s", dir, expert)
}
