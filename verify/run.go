package verify

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"time"

	"github.com/wanconv/wanconv/mapping"
)

// defaultSpecs are the deterministic inputs used when no golden file says
// otherwise: small enough for a CPU, large enough to exercise every path
// (several latent frames, padding of the DiT sequence, masked T5 tokens, the
// VAE's causal chunking with 1 + 4 frames).
var defaultSpecs = map[mapping.Component]InputSpec{
	mapping.ComponentDiT: {Seed: 0, Frames: 2, Height: 8, Width: 8, ContextLen: 16},
	mapping.ComponentT5:  {Seed: 0, Tokens: 32, ValidTokens: 20},
	mapping.ComponentVAE: {Seed: 0, Frames: 5, Height: 32, Width: 32},
}

// Run verifies o.Dir and returns the report (never nil).
func Run(o Options) *Report {
	rep := &Report{Dir: o.Dir, Golden: o.GoldenPath, Reference: o.Reference}
	defer rep.finish()
	if err := run(o, rep); err != nil {
		rep.Error = err.Error()
	}
	return rep
}

func run(o Options, rep *Report) error {
	var golden *Golden
	if o.GoldenPath != "" {
		g, err := LoadGolden(o.GoldenPath)
		if err != nil {
			return err
		}
		golden = g
	}
	var ref *referenceSet
	if o.Reference != "" {
		r, err := openReference(o.Reference, o.SeqLen)
		if err != nil {
			return err
		}
		ref = r
	}
	if !o.Structural && !MLXBuilt() {
		return fmt.Errorf("this binary was built without MLX: forward passes need `-tags mlx` (or pass --structural-only)")
	}
	if !o.Structural && o.Device == "gpu" && !gpuAvailable() {
		return fmt.Errorf("--device gpu: this MLX build has no GPU backend (install the metal or cuda wheel: MLX_BACKEND=... make setup)")
	}
	dir, err := openConverted(o.Dir)
	if err != nil {
		return err
	}
	defer dir.Close()
	units := dir.units(o.Components, o.Experts)
	if !dir.hasAnyComponent(units) {
		return fmt.Errorf("%s: not a converted directory (none of %s found)", o.Dir, dir.expectedFiles(units))
	}
	recorded := &Golden{Schema: GoldenSchema, Description: "recorded by wanconv verify from " + filepath.Base(filepath.Clean(o.Dir)),
		Components: map[mapping.Component]*ComponentGolden{}}
	for _, u := range units {
		start := time.Now()
		c := &ComponentReport{Name: u.component, Expert: u.expert, DTypes: map[string]int{}}
		rep.Components = append(rep.Components, c)
		verifyComponent(o, dir, u, golden.of(u), ref, c)
		c.Seconds = time.Since(start).Seconds()
		recorded.set(u, recordComponent(c))
	}
	if o.RecordGolden != "" {
		for _, c := range rep.Components {
			for _, ch := range c.Checks {
				if !ch.Passed {
					return fmt.Errorf("golden file not written: %s fails %s (a golden file records a trusted checkpoint)", c.unit(), ch.Name)
				}
			}
		}
		if err := recorded.Save(o.RecordGolden); err != nil {
			return fmt.Errorf("writing golden file: %w", err)
		}
	}
	return nil
}

// verifyComponent runs every check of one component. Whatever goes wrong
// with the checkpoint itself (an unreadable file, a missing tensor, a
// forward pass that fails on the weights) becomes a failed check, so the
// remaining components are still verified and the exit code is 1.
func verifyComponent(o Options, dir *convertedDir, u unit, cg *ComponentGolden, ref *referenceSet, c *ComponentReport) {
	if err := checkStructure(dir, u, cg, o.Source, c); err != nil {
		c.check("open", false, "%v", err)
		return
	}
	if o.Structural {
		return
	}
	if !c.tensorsOK() {
		c.check("forward", false, "skipped: the tensor set does not match the architecture")
		return
	}
	if err := checkForward(o, dir, u, cg, ref, c); err != nil {
		c.check("forward", false, "%v", err)
	}
}

// checkForward loads the component once and runs the deterministic forward
// pass (compared with golden when given) and, with a reference set, the
// upstream inputs (compared element by element).
func checkForward(o Options, dir *convertedDir, u unit, cg *ComponentGolden, ref *referenceSet, c *ComponentReport) error {
	spec := defaultSpecs[u.component]
	if o.Seed != 0 {
		spec.Seed = o.Seed
	}
	if cg != nil && cg.Forward != nil {
		spec = cg.Forward.Inputs
	}
	files, err := dir.files(u)
	if err != nil {
		return err
	}
	job := forwardJob{Component: u.component, Files: files, Checkpoint: dir.checkpoint(u), Open: dir.tree.Opener(), Config: dir.configOf(u),
		Layout: dir.layoutOf(u), Device: o.Device, Spec: spec, Quantized: c.Quantization != nil}
	if u.component == mapping.ComponentDiT {
		if job.Stream, err = o.streamDiT(files); err != nil {
			return err
		}
		if job.Stream {
			c.note("forward.streamed", "block-streamed forward: each block's weights read, evaluated and released in turn")
		}
	}
	var want map[string]HostTensor
	if ref != nil {
		inputs, outputs, seqLen, err := ref.inputs(u)
		if err != nil {
			return err
		}
		job.RefInputs, job.SeqLen, want = inputs, seqLen, outputs
	}
	res, err := runForward(job)
	if err != nil {
		return err
	}
	c.PeakMemory = res.PeakMemory
	fr := &ForwardReport{Inputs: res.Spec, Outputs: map[string]Stats{}}
	for out, t := range res.Outputs {
		fr.Outputs[out] = ComputeStats(t.Shape, t.F32)
		if bad := countNonFinite(t.F32); bad > 0 {
			c.check("forward."+out+".finite", false, "%d NaN/Inf values in the output", bad)
		}
	}
	c.Forward = fr
	if cg != nil && cg.Forward != nil {
		compareGolden(cg.Forward, fr, c)
	}
	if want != nil {
		tol := o.RefTolerance
		if tol == 0 {
			tol = referenceTolerance(u.component, c.DTypes, c.Quantization)
		}
		compareReference(res.RefOutputs, want, tol, c)
		if res.DequantizedRefOutputs != nil {
			compareQuantizedShares(res.RefOutputs, res.DequantizedRefOutputs, want, tol, c)
		}
	}
	return nil
}

// compareGolden checks each output's statistics against the golden file
// (a 4-bit DiT within tolStatsQuantized4 at least).
func compareGolden(g *ForwardGolden, fr *ForwardReport, c *ComponentReport) {
	fr.Tolerance = g.Tolerance
	if q := c.Quantization; q != nil && q.Bits < 8 {
		fr.Tolerance = max(fr.Tolerance, tolStatsQuantized4)
	}
	worst := 0.0
	for _, out := range slices.Sorted(maps.Keys(g.Outputs)) {
		got, ok := fr.Outputs[out]
		if !ok {
			c.check("forward."+out+".golden", false, "output %q missing", out)
			continue
		}
		w, bad := StatsDiff(got, g.Outputs[out], fr.Tolerance)
		worst = max(worst, w)
		if len(bad) > 0 {
			c.check("forward."+out+".golden", false, "%v", bad)
		} else {
			c.check("forward."+out+".golden", true, "statistics within %.3g std of golden (worst %.2e)", fr.Tolerance, w)
		}
	}
	fr.WorstDeviation = &worst
}

// compareReference checks the outputs of the upstream inputs element by element.
func compareReference(got, want map[string]HostTensor, tol float64, c *ComponentReport) {
	c.Reference = map[string]*ErrorVsReference{}
	for _, out := range slices.Sorted(maps.Keys(want)) {
		g, ok := got[out]
		if !ok {
			c.check("reference."+out, false, "output %q not produced", out)
			continue
		}
		if !slices.Equal(g.Shape, want[out].Shape) {
			c.check("reference."+out, false, "shape %v, reference %v", g.Shape, want[out].Shape)
			continue
		}
		e, err := CompareWithReference(g.F32, want[out].F32, tol)
		if err != nil {
			c.check("reference."+out, false, "%v", err)
			continue
		}
		c.Reference[out] = &e
		c.check("reference."+out, e.Passed, "max|err| %.3e, max|err|/std(ref) %.3e (tolerance %.0e)", e.MaxAbsErr, e.RelErr, tol)
	}
}

// Reference tolerances on max|err|/std(ref). With float32 weights the only
// differences from upstream are float32 rounding and summation order. With
// 16-bit weights the rounding of the weights dominates: 2e-2 for the DiT and
// T5; the VAE, a deep stack of convolutions, moves by 2–8 % of its output std
// with bfloat16 weights (measured on the tiny release; perturbing float32
// weights by ±2⁻⁸ gives the same), hence 1e-1 there. The converter keeps the
// VAE float32 by default.
const (
	tolFloat32Weights = 1e-4
	tolHalfWeights    = 2e-2
	tolHalfWeightsVAE = 1e-1
)

// referenceTolerance picks the tolerance from the component's weight dtypes
// and, for a quantized DiT, its bits.
func referenceTolerance(component mapping.Component, dtypes map[string]int, q *QuantizationReport) float64 {
	if q != nil {
		return quantizedTolerance(q.Bits)
	}
	for dt := range dtypes {
		if dt == "bfloat16" || dt == "float16" {
			if component == mapping.ComponentVAE {
				return tolHalfWeightsVAE
			}
			return tolHalfWeights
		}
	}
	return tolFloat32Weights
}

func recordComponent(c *ComponentReport) *ComponentGolden {
	g := &ComponentGolden{ParamCount: c.ParamCount, TensorCount: c.TensorCount, Arch: c.Arch}
	if c.Forward != nil {
		g.Forward = &ForwardGolden{Inputs: c.Forward.Inputs, Outputs: c.Forward.Outputs,
			Tolerance: DefaultStatsTolerance, WeightDType: dominantDType(c.DTypes)}
	}
	return g
}

func dominantDType(h map[string]int) string {
	best, n := "", -1
	for _, k := range slices.Sorted(maps.Keys(h)) {
		if h[k] > n {
			best, n = k, h[k]
		}
	}
	return best
}
