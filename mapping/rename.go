package mapping

import "strings"

// Rename replaces a run of whole dotted segments of a tensor name: From is
// the run in PyTorch naming, To what it becomes. Both are literal dotted
// strings ("text_embedding.0" → "text_embedding_0"); a run matches only
// whole segments, so "ffn.0" changes "blocks.3.ffn.0.weight" but neither
// "blocks.3.ffn.01.weight" nor "blocks.3.xffn.0.weight".
type Rename struct {
	From, To string
}

type compiledRename struct {
	from, to []string
}

func compileRename(r Rename) compiledRename {
	return compiledRename{from: strings.Split(r.From, "."), to: strings.Split(r.To, ".")}
}

// applyRenames scans segs left to right; at each position the first rename
// whose run starts there replaces it and the scan continues after the run.
// inverse maps To back to From.
func applyRenames(renames []compiledRename, segs []string, inverse bool) []string {
	if len(renames) == 0 {
		return segs
	}
	out := make([]string, 0, len(segs)+2)
	for i := 0; i < len(segs); {
		matched := false
		for _, r := range renames {
			from, to := r.from, r.to
			if inverse {
				from, to = to, from
			}
			if hasRun(segs[i:], from) {
				out = append(out, to...)
				i += len(from)
				matched = true
				break
			}
		}
		if !matched {
			out = append(out, segs[i])
			i++
		}
	}
	return out
}

func hasRun(segs, run []string) bool {
	if len(run) > len(segs) {
		return false
	}
	for i, s := range run {
		if segs[i] != s {
			return false
		}
	}
	return true
}
