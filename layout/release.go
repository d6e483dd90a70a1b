package layout

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"github.com/wanconv/wanconv/mapping"
)

// FS is what release detection reads, by slash-separated relative path: a
// *safefs.Root (regular files only, links only inside the directory), as
// the converter passes its release's, or a Tree's (Tree.DetectRelease,
// Tree.Discover), which in addition reports links leading outside.
type FS interface {
	Stat(rel string) (fs.FileInfo, error)
	ReadFile(rel string, max int64) ([]byte, error)
}

// DiTFiles is one DiT of a directory: the single model, or one expert.
type DiTFiles struct {
	Expert     Expert // "" for a single model
	Checkpoint string // the index or single file (relative, slash-separated)
	Config     string // its config.json (relative); it may be absent
}

// Release is what an upstream release directory must hold for the kind of
// release its structure shows, by relative path. Whether each file exists
// is for the caller to check (the converter reports every missing one).
type Release struct {
	// Kind is the release (ti2v-5B, t2v-A14B, i2v-A14B); "" when the
	// configs do not tell (none present), or for a single model whose
	// model_type is not ti2v.
	Kind mapping.ReleaseKind
	// DiTs is the single model, or the high- and low-noise experts in
	// that order.
	DiTs []DiTFiles
	// T5 and VAE are the checkpoints of those components; VAE is
	// Wan2.2_VAE.pth for a single model, Wan2.1_VAE.pth for the experts.
	T5, VAE string
}

// Dual reports whether the release has two experts.
func (r *Release) Dual() bool { return len(r.DiTs) == 2 }

// DetectRelease tells from the files of an upstream release which release
// it is and where its files are. A single model (diffusion_pytorch_model*
// at the top) goes with Wan2.2_VAE.pth; high_noise_model/ and
// low_noise_model/, each with its DiT (index + shards, or one file) and
// config.json, go with Wan2.1_VAE.pth. Anything else that mixes the two,
// or one expert without the other, is an error naming the files.
func DetectRelease(fsys FS) (*Release, error) {
	r := &Release{T5: ReleaseT5}
	top := firstRegular(fsys, ReleaseCandidates(mapping.ComponentDiT))
	experts, err := scanExperts(fsys, ReleaseExpertCandidates)
	if err != nil {
		return nil, err
	}
	vae22, vae21 := isRegularIn(fsys, ReleaseVAE), isRegularIn(fsys, ReleaseVAE21)
	switch {
	case experts != nil && top != "":
		return nil, fmt.Errorf("both a single DiT (%s) and the A14B experts (%s/, %s/): a release has one or the other",
			top, ExpertHigh, ExpertLow)
	case experts != nil:
		if vae22 && vae21 {
			return nil, fmt.Errorf("both %s and %s: the A14B experts go with %s only", ReleaseVAE, ReleaseVAE21, ReleaseVAE21)
		}
		if vae22 {
			return nil, fmt.Errorf("%s is TI2V-5B's Wan2.2 VAE, but this release has the A14B experts (%s/, %s/), which need %s",
				ReleaseVAE, ExpertHigh, ExpertLow, ReleaseVAE21)
		}
		r.VAE = ReleaseVAE21
		for _, e := range Experts {
			r.DiTs = append(r.DiTs, DiTFiles{Expert: e, Checkpoint: experts[e], Config: ReleaseExpertConfig(e)})
		}
	default:
		if vae21 {
			return nil, fmt.Errorf("%s is the Wan2.1 VAE of the A14B releases, but there are no %s/ and %s/ experts "+
				"(a single-model release, TI2V-5B, ships %s)", ReleaseVAE21, ExpertHigh, ExpertLow, ReleaseVAE)
		}
		r.VAE = ReleaseVAE
		if top == "" {
			top = ReleaseDiTIndex
		}
		r.DiTs = []DiTFiles{{Checkpoint: top, Config: ReleaseConfig}}
	}
	if r.Kind, err = kindOf(fsys, r.DiTs); err != nil {
		return nil, err
	}
	return r, nil
}

// detectConverted is DetectRelease for a converted directory in layout l:
// the single model's DiT files or both experts', the kind from config.json
// (the experts' own in the wanconv layout, the shared one in mlx-video's).
// It returns nil DiTs when the layout has no DiT file here.
func detectConverted(fsys FS, l Converted) ([]DiTFiles, mapping.ReleaseKind, error) {
	top := firstRegular(fsys, l.Candidates(mapping.ComponentDiT))
	experts, err := scanExperts(fsys, func(e Expert) []string { return l.ForExpert(e).Candidates(mapping.ComponentDiT) })
	if err != nil {
		return nil, "", err
	}
	var dits []DiTFiles
	switch {
	case experts != nil && top != "":
		return nil, "", fmt.Errorf("both a single DiT (%s) and the A14B experts (%s): a converted directory has one or the other",
			top, strings.Join([]string{experts[ExpertHigh], experts[ExpertLow]}, ", "))
	case experts != nil:
		for _, e := range Experts {
			dits = append(dits, DiTFiles{Expert: e, Checkpoint: experts[e], Config: l.ExpertConfig(e)})
		}
	case top != "":
		dits = []DiTFiles{{Checkpoint: top, Config: Config}}
	default:
		return nil, "", nil
	}
	kind, err := kindOf(fsys, dits)
	return dits, kind, err
}

// scanExperts finds both experts' DiT checkpoints. It returns nil when
// neither expert has one, and an error when one has and the other has not.
func scanExperts(fsys FS, candidates func(Expert) []string) (map[Expert]string, error) {
	found := map[Expert]string{}
	for _, e := range Experts {
		found[e] = firstRegular(fsys, candidates(e))
	}
	switch {
	case found[ExpertHigh] == "" && found[ExpertLow] == "":
		return nil, nil
	case found[ExpertHigh] == "":
		return nil, expertMissing(ExpertHigh, found[ExpertLow], candidates(ExpertHigh))
	case found[ExpertLow] == "":
		return nil, expertMissing(ExpertLow, found[ExpertHigh], candidates(ExpertLow))
	}
	return found, nil
}

func expertMissing(e Expert, other string, candidates []string) error {
	return fmt.Errorf("expert %s is missing (none of %s), but %s is there: an A14B checkpoint has both %s and %s",
		e, strings.Join(candidates, ", "), other, ExpertHigh, ExpertLow)
}

// kindOf names the release from the DiTs' config.json model_type (or, when
// a config lacks it, its in_dim). Configs that are absent say nothing;
// experts that disagree, or experts that are not t2v or i2v, are errors.
func kindOf(fsys FS, dits []DiTFiles) (mapping.ReleaseKind, error) {
	mt, from := "", ""
	for _, d := range dits {
		t, err := configModelType(fsys, d.Config)
		switch {
		case err != nil:
			return "", err
		case t == "":
		case mt != "" && t != mt:
			return "", fmt.Errorf("the experts disagree: %s says model_type %q, %s %q", from, mt, d.Config, t)
		default:
			mt, from = t, d.Config
		}
	}
	if mt == "" {
		if len(dits) == 1 {
			return mapping.ReleaseTI2V5B, nil // a single model with no config: TI2V-5B is the only one
		}
		return "", nil
	}
	kind, err := mapping.ReleaseKindOf(&mapping.DiTArch{ModelType: mt}, len(dits))
	if err != nil && len(dits) == 1 {
		return "", nil // a single model of another kind (not a Wan2.2 release); converted as a model
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", dits[0].Config, err)
	}
	return kind, nil
}

// configModelType reads model_type from a config.json (or derives it from
// in_dim: 16 t2v, 36 i2v, 48 ti2v); "" when the file or both fields are
// absent. A config that is not a regular file or cannot be read says
// nothing here: whoever uses it reads it and reports why it cannot.
func configModelType(fsys FS, rel string) (string, error) {
	if !isRegularIn(fsys, rel) {
		return "", nil
	}
	raw, err := fsys.ReadFile(rel, MaxConfigSize)
	if err != nil {
		return "", nil
	}
	var cfg struct {
		ModelType *string `json:"model_type"`
		InDim     *int    `json:"in_dim"`
	}
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return "", fmt.Errorf("%s: %w", rel, err)
	}
	if cfg.ModelType != nil {
		return *cfg.ModelType, nil
	}
	if cfg.InDim != nil {
		return map[int]string{16: "t2v", 36: "i2v", 48: "ti2v"}[*cfg.InDim], nil
	}
	return "", nil
}

// firstRegular returns the first candidate that is a regular file, "".
func firstRegular(fsys FS, candidates []string) string {
	for _, c := range candidates {
		if isRegularIn(fsys, c) {
			return c
		}
	}
	return ""
}

func isRegularIn(fsys FS, rel string) bool {
	fi, err := fsys.Stat(rel)
	return err == nil && fi.Mode().IsRegular()
}

// relJoin joins a directory and a slash-separated relative path.
func relJoin(dir, rel string) string { return filepath.Join(dir, filepath.FromSlash(path.Clean(rel))) }
