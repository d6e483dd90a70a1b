package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/wanconv/wanconv/format/safetensors"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/tensor"
)

// checkStructure runs the pure-Go checks of one component. It returns an
// error only when the input cannot be read at all (exit 2); everything else
// is a failed check (exit 1).
func checkStructure(dir *convertedDir, u unit, cg *ComponentGolden, source string, c *ComponentReport) error {
	src, err := dir.open(u)
	if err != nil {
		return err
	}
	defer src.Close()
	infos := src.Tensors()
	c.Files = componentFiles(src)
	c.DTypes = map[string]int{}
	for _, t := range infos {
		c.DTypes[t.DType.Name()]++
	}

	lay := dir.layoutOf(u)
	c.Layout = string(lay)
	described, quantized := infos, (*mapping.QuantizedDiT)(nil)
	if u.component == mapping.ComponentDiT {
		described, quantized = resolveQuantized(dir, u, lay, infos, c)
	}
	c.TensorCount = len(described)
	c.ParamCount = tensor.ParamCount(described)
	arch, err := mapping.CheckConvertedLayout(lay, u.component, described, dir.configOf(u))
	var pe *mapping.PlanError
	switch {
	case errors.As(err, &pe):
		for _, p := range pe.Problems {
			if p.Name == "" { // a problem of the whole set (a config.json field)
				c.check("tensors."+string(p.Kind), false, "%s", p.Detail)
				continue
			}
			c.check("tensors."+string(p.Kind), false, "%s: %s", p.Name, p.Detail)
		}
	case err != nil:
		c.check("tensors", false, "%v", err)
	default:
		c.check("tensors", true, "all %d tensors the architecture needs, with the right shapes, nothing extra", len(described))
	}
	if arch != nil {
		if b, err := json.Marshal(arch); err == nil {
			c.Arch = b
		}
	}
	if lay == mapping.LayoutMLXVideo && u.component == mapping.ComponentDiT {
		checkMLXVideoConfig(dir, arch, c)
	}

	checkDTypes(dir, u, infos, packedNames(quantized), c)
	hashes, err := scanTensors(src, infos, c)
	if err != nil {
		return err
	}
	if quantized != nil {
		if err := checkQuantConsistency(src, quantized, c); err != nil {
			return err
		}
		if err := checkQuantSource(source, u.expert, lay, src, quantized, c); err != nil {
			return err
		}
	}
	checkManifest(dir, u, hashes, c)
	if cg != nil {
		checkCounts(cg, c)
	}
	return nil
}

// componentFiles names the files a component was read from (index and shards).
func componentFiles(src tensor.Source) []string {
	files := []string{filepath.Base(src.Path())}
	if sh, ok := src.(*safetensors.Sharded); ok {
		for _, f := range sh.Shards() {
			files = append(files, filepath.Base(f.Path()))
		}
	}
	return files
}

// checkDTypes requires every float tensor to carry the dtype the manifest
// declares for its component (or, without a manifest, one common dtype);
// the packed codes of quantized Linears are uint32 and nothing else is.
func checkDTypes(dir *convertedDir, u unit, infos []tensor.Info, packed map[string]bool, c *ComponentReport) {
	allowed := map[string]bool{}
	for _, f := range dir.manifestFiles(u) {
		for _, d := range strings.Split(f.DType, "+") {
			if d != "" {
				allowed[d] = true
			}
		}
	}
	var bad []string
	first := ""
	for _, t := range infos {
		if packed[t.Name] {
			if t.DType != tensor.U32 {
				bad = append(bad, fmt.Sprintf("%s is %s (quantized codes are uint32)", t.Name, t.DType.Name()))
			}
			continue
		}
		if !t.DType.IsFloat() {
			bad = append(bad, fmt.Sprintf("%s is %s (weights must be floating point)", t.Name, t.DType.Name()))
			continue
		}
		d := t.DType.Name()
		switch {
		case len(allowed) > 0 && !allowed[d]:
			bad = append(bad, fmt.Sprintf("%s is %s, manifest says %s", t.Name, d, strings.Join(slices.Sorted(maps.Keys(allowed)), "+")))
		case len(allowed) == 0 && first == "":
			first = d
		case len(allowed) == 0 && d != first:
			bad = append(bad, fmt.Sprintf("%s is %s, other tensors %s", t.Name, d, first))
		}
	}
	if len(bad) > 0 {
		c.check("dtypes", false, "%s", limitList(bad))
		return
	}
	c.check("dtypes", true, "%s", dtypeSummary(c.DTypes))
}

// scanTensors reads every tensor once: per-tensor sha256 and a NaN/Inf count.
func scanTensors(src tensor.SectionSource, infos []tensor.Info, c *ComponentReport) (map[string]string, error) {
	hashes := make(map[string]string, len(infos))
	buf := make([]byte, 4<<20)
	var nonFinite []string
	for _, t := range infos {
		sec, ok, err := src.Section(t.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("%s: tensor %s: not readable in place", src.Path(), t.Name)
		}
		h := sha256.New()
		var bad int64
		size := sec.Size()
		for off := int64(0); off < size; {
			n := int64(len(buf))
			if size-off < n {
				n = size - off
			}
			if _, err := sec.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF) && n == size-off) {
				return nil, fmt.Errorf("%s: tensor %s: %w", src.Path(), t.Name, err)
			}
			h.Write(buf[:n])
			bad += countNonFiniteBits(buf[:n], t.DType)
			off += n
		}
		hashes[t.Name] = hex.EncodeToString(h.Sum(nil))
		if bad > 0 {
			nonFinite = append(nonFinite, fmt.Sprintf("%s (%d values)", t.Name, bad))
		}
	}
	if len(nonFinite) > 0 {
		c.check("finite", false, "NaN/Inf in %s", limitList(nonFinite))
	} else {
		c.check("finite", true, "no NaN/Inf in %d tensors", len(infos))
	}
	return hashes, nil
}

// countNonFiniteBits counts NaN/Inf elements by their exponent bits.
func countNonFiniteBits(b []byte, dt tensor.DType) int64 {
	var n int64
	switch dt {
	case tensor.BF16:
		for i := 0; i+1 < len(b); i += 2 {
			if uint16(b[i+1])<<8&0x7f80 == 0x7f80 {
				n++
			}
		}
	case tensor.F16:
		for i := 0; i+1 < len(b); i += 2 {
			if uint16(b[i+1])<<8&0x7c00 == 0x7c00 {
				n++
			}
		}
	case tensor.F32:
		for i := 0; i+3 < len(b); i += 4 {
			if (uint32(b[i+3])<<24|uint32(b[i+2])<<16)&0x7f800000 == 0x7f800000 {
				n++
			}
		}
	case tensor.F64:
		for i := 0; i+7 < len(b); i += 8 {
			if (uint64(b[i+7])<<56|uint64(b[i+6])<<48)&0x7ff0000000000000 == 0x7ff0000000000000 {
				n++
			}
		}
	}
	return n
}

// checkManifest compares each file's sha256 and size with the manifest and,
// where they differ, names the tensors whose bytes changed.
func checkManifest(dir *convertedDir, u unit, hashes map[string]string, c *ComponentReport) {
	if dir.Manifest == nil {
		// A checkpoint another converter wrote (mlx-video's, mlx-gen's) has
		// no manifest: the remaining checks still decide.
		c.note("manifest", "no %s: not written by wanconv, so there are no recorded checksums to compare", ManifestName)
		return
	}
	files := dir.manifestFiles(u)
	if len(files) == 0 {
		c.check("manifest", false, "%s lists no file for %s", ManifestName, u)
		return
	}
	ok := true
	for _, f := range files {
		sum, size, err := fileSHA256(dir.tree, f.Path)
		if err != nil {
			c.check("manifest."+f.Path, false, "%v", err)
			ok = false
			continue
		}
		if sum == f.SHA256 && size == f.Bytes {
			continue
		}
		ok = false
		var changed []string
		for _, t := range slices.Sorted(maps.Keys(f.TensorSHA256)) {
			if got, present := hashes[t]; present && got != f.TensorSHA256[t] {
				changed = append(changed, t)
			}
		}
		if len(changed) > 0 {
			c.check("manifest."+f.Path, false, "sha256 differs from the manifest; changed tensors: %s", limitList(changed))
		} else {
			c.check("manifest."+f.Path, false, "sha256 %s… (%d bytes) differs from the manifest's %s… (%d bytes)",
				short(sum), size, short(f.SHA256), f.Bytes)
		}
	}
	if ok {
		c.check("manifest", true, "%d file(s) match their sha256", len(files))
	}
}

// fileSHA256 hashes the regular file rel of the converted directory
// (never anything outside it, never a FIFO or device).
func fileSHA256(tree *layout.Tree, rel string) (string, int64, error) {
	path := tree.Path(rel)
	f, err := tree.Opener()(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// checkCounts compares parameter/tensor counts and the architecture with golden.
func checkCounts(cg *ComponentGolden, c *ComponentReport) {
	c.check("golden.param_count", cg.ParamCount == c.ParamCount, "%s parameters (golden %s)",
		groupDigits(c.ParamCount), groupDigits(cg.ParamCount))
	c.check("golden.tensor_count", cg.TensorCount == c.TensorCount, "%d tensors (golden %d)", c.TensorCount, cg.TensorCount)
	if len(cg.Arch) > 0 && len(c.Arch) > 0 {
		var want, got map[string]any
		_ = json.Unmarshal(cg.Arch, &want)
		_ = json.Unmarshal(c.Arch, &got)
		same := reflect.DeepEqual(want, got)
		c.check("golden.arch", same, "%s", archDetail(same, c.Arch, cg.Arch))
	}
}

func archDetail(same bool, got, want []byte) string {
	if same {
		return "architecture as recorded"
	}
	var g, w bytes.Buffer
	_ = json.Compact(&g, got)
	_ = json.Compact(&w, want)
	return fmt.Sprintf("architecture %s, golden %s", g.String(), w.String())
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// limitList joins up to 10 items and says how many more there are.
func limitList(items []string) string {
	if len(items) <= 10 {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:10], "; ") + fmt.Sprintf("; … and %d more", len(items)-10)
}
