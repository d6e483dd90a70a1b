//go:build mlx

package dit

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/wanconv/wanconv/golden"
	"github.com/wanconv/wanconv/layout"
	"github.com/wanconv/wanconv/mapping"
	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/tensor"
)

var referencePath = golden.TinyReference()

func requireMLX(t testing.TB) {
	t.Helper()
	if !mlx.Available() {
		t.Skip("MLX is not available in this build")
	}
}

// loadDir loads a converted dir's DiT weights and config.json inside the
// current Do.
func loadDir(t testing.TB, dir string) (*mapping.DiTArch, map[string]*mlx.Array) {
	t.Helper()
	files, configJSON, err := layout.ComponentFiles(dir, mapping.ComponentDiT)
	require.NoError(t, err)
	weights := make(map[string]*mlx.Array)
	for _, f := range files {
		arrs, _, err := mlx.LoadSafetensors(f)
		require.NoError(t, err)
		for k, v := range arrs {
			weights[k] = v
		}
	}
	arch, err := ArchFromWeights(weights, configJSON)
	require.NoError(t, err)
	return arch, weights
}

// reference holds the tiny upstream inputs and output.
type reference struct {
	x, t, context, output *mlx.Array
	seqLen                int
}

func loadReference(t testing.TB) reference {
	t.Helper()
	arrs, _, err := mlx.LoadSafetensors(referencePath)
	require.NoError(t, err)
	return reference{x: arrs["dit.input.x"], t: arrs["dit.input.t"], context: arrs["dit.input.context"],
		output: arrs["dit.output"], seqLen: 80} // golden.json dit.seq_len
}

// compare returns max|got−want| and that divided by std(want).
func compare(t testing.TB, got, want *mlx.Array) (maxAbs, rel float64) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape())
	g, err := got.Float32s()
	require.NoError(t, err)
	w, err := want.Float32s()
	require.NoError(t, err)
	var sum, sq float64
	for i := range w {
		d := math.Abs(float64(g[i]) - float64(w[i]))
		require.False(t, math.IsNaN(d), "NaN at %d", i)
		maxAbs = math.Max(maxAbs, d)
		sum += float64(w[i])
	}
	mean := sum / float64(len(w))
	for _, v := range w {
		sq += (float64(v) - mean) * (float64(v) - mean)
	}
	return maxAbs, maxAbs / math.Sqrt(sq/float64(len(w)))
}

// forwardReference converts the tiny release with dtype, runs the reference
// inputs and returns the error against the upstream output.
func forwardReference(t *testing.T, dtype string, opts Options) (maxAbs, rel float64) {
	requireMLX(t)
	dir := convertTiny(t, dtype)
	var compute string
	require.NoError(t, mlx.Do(func() error {
		arch, weights := loadDir(t, dir)
		m, err := New(arch, weights, opts)
		require.NoError(t, err)
		defer m.Free()
		compute = m.Options().ComputeDType.Name()
		ref := loadReference(t)
		out, err := m.Forward(ref.x, ref.t, ref.context, ref.seqLen)
		require.NoError(t, err)
		require.NoError(t, mlx.Eval(out))
		require.Equal(t, mlx.Float32, out.Dtype())
		maxAbs, rel = compare(t, out, ref.output)
		return nil
	}))
	if dtype == "" {
		dtype = "bfloat16 (default)"
	}
	t.Logf("dit %s weights, %v compute: max|err| %.3g, max|err|/std(ref) %.3g", dtype, compute, maxAbs, rel)
	return maxAbs, rel
}

func TestForwardFloat32Weights(t *testing.T) {
	_, rel := forwardReference(t, "float32", Options{})
	require.LessOrEqual(t, rel, 1e-4)
}

func TestForwardBFloat16Weights(t *testing.T) {
	_, rel := forwardReference(t, "", Options{}) // converter default: bfloat16
	require.LessOrEqual(t, rel, 2e-2)
}

func TestForwardBFloat16WeightsCastAtLoad(t *testing.T) {
	_, rel := forwardReference(t, "", Options{CastAtLoad: true})
	require.LessOrEqual(t, rel, 2e-2)
}

func TestForwardBFloat16Compute(t *testing.T) {
	_, rel := forwardReference(t, "", Options{ComputeDType: tensor.BF16})
	require.LessOrEqual(t, rel, 2e-2)
}

// tinyModel runs f with the float32-converted tiny model inside one Do.
func tinyModel(t *testing.T, f func(m *Model, ref reference)) {
	requireMLX(t)
	dir := convertTiny(t, "float32")
	require.NoError(t, mlx.Do(func() error {
		arch, weights := loadDir(t, dir)
		m, err := New(arch, weights, Options{})
		require.NoError(t, err)
		defer m.Free()
		f(m, loadReference(t))
		return nil
	}))
}

func run(t *testing.T, m *Model, x, ts, ctx *mlx.Array, seqLen int) *mlx.Array {
	out, err := m.Forward(x, ts, ctx, seqLen)
	require.NoError(t, err)
	require.NoError(t, mlx.Eval(out))
	return out
}

// A t2v-style timestep [1] is broadcast to every token, as upstream does.
func TestForwardScalarTimestep(t *testing.T) {
	tinyModel(t, func(m *Model, ref reference) {
		scalar := run(t, m, ref.x, mlx.FromFloat32s([]float32{700}, 1), ref.context, ref.seqLen)
		perToken := make([]float32, ref.seqLen)
		for i := range perToken {
			perToken[i] = 700
		}
		expanded := run(t, m, ref.x, mlx.FromFloat32s(perToken, 1, ref.seqLen), ref.context, ref.seqLen)
		maxAbs, _ := compare(t, scalar, expanded)
		require.LessOrEqual(t, maxAbs, 1e-6)
		// and it differs from the reference, whose first frame has t = 0
		maxAbs, _ = compare(t, scalar, ref.output)
		require.Greater(t, maxAbs, 1e-2)
	})
}

// Padded tokens must not influence the real ones (keys are masked), so the
// output is the same for any seq_len ≥ the token count.
func TestForwardPaddingIsMasked(t *testing.T) {
	tinyModel(t, func(m *Model, ref reference) {
		ts := mlx.FromFloat32s([]float32{300}, 1)
		exact := run(t, m, ref.x, ts, ref.context, 72) // 3·4·6 tokens, no padding
		padded := run(t, m, ref.x, ts, ref.context, 97)
		maxAbs, _ := compare(t, padded, exact)
		require.LessOrEqual(t, maxAbs, 1e-5)
	})
}

func TestForwardRejectsBadInputs(t *testing.T) {
	tinyModel(t, func(m *Model, ref reference) {
		one := mlx.FromFloat32s([]float32{1}, 1)
		_, err := m.Forward(mlx.Zeros(mlx.Float32, 16, 3, 8, 12), one, ref.context, 80)
		require.ErrorContains(t, err, "latent x has shape [16 3 8 12], want [48, F, H, W]")
		_, err = m.Forward(ref.x, ref.t, ref.context, 60)
		require.ErrorContains(t, err, "gives 72 tokens, more than seq_len 60")
		_, err = m.Forward(ref.x, mlx.Zeros(mlx.Float32, 1, 79), ref.context, 80)
		require.ErrorContains(t, err, "timesteps t have shape [1 79], want [1] or [1, 80]")
		_, err = m.Forward(ref.x, one, mlx.Zeros(mlx.Float32, 33, 64), 80)
		require.ErrorContains(t, err, "context has shape [33 64], want [L ≤ 32, 64]")
		_, err = m.Forward(ref.x, mlx.FromFloat32s([]float32{float32(math.NaN())}, 1), ref.context, 80)
		require.ErrorContains(t, err, "not finite")
		_, err = m.Forward(mlx.Zeros(mlx.Float32, 48, 1, 1, 12), one, ref.context, 80)
		require.ErrorContains(t, err, "smaller than patch")
	})
}

func TestNewListsEveryProblem(t *testing.T) {
	requireMLX(t)
	dir := convertTiny(t, "float32")
	require.NoError(t, mlx.Do(func() error {
		arch, weights := loadDir(t, dir)
		delete(weights, "blocks.1.self_attn.norm_q.weight")
		weights["head.head.bias"] = mlx.Zeros(mlx.Float32, 191)
		weights["blocks.0.modulation"] = mlx.Zeros(mlx.Int32, 1, 6, 128)
		_, err := New(arch, weights, Options{})
		require.Equal(t, map[string]mapping.ProblemKind{
			"blocks.1.self_attn.norm_q.weight": mapping.ProblemMissing,
			"head.head.bias":                   mapping.ProblemShape,
			"blocks.0.modulation":              mapping.ProblemDType,
		}, mapping.ProblemKinds(err), "%v", err)
		require.ErrorContains(t, err, "wrong-shape tensor head.head.bias: has shape (191,), the architecture requires (192,)")
		weights["blocks.0.modulation"] = mlx.Zeros(mlx.Float64, 1, 6, 128)
		weights["head.head.bias"] = mlx.Zeros(mlx.Float32, 192)
		weights["blocks.1.self_attn.norm_q.weight"] = mlx.Zeros(mlx.Float32, 128)
		_, err = New(arch, weights, Options{})
		require.Equal(t, map[string]mapping.ProblemKind{"blocks.0.modulation": mapping.ProblemDType}, mapping.ProblemKinds(err))
		_, err = New(arch, weights, Options{ComputeDType: tensor.F16})
		require.EqualError(t, err, "dit: compute dtype float16 is not supported (want float32 or bfloat16)")
		// A failed New takes nothing: the weights are still valid.
		for name, w := range weights {
			require.True(t, w.Valid(), name)
		}
		return nil
	}))
}

// Load owns its weights: Free returns their memory.
func TestLoadForwardAndFree(t *testing.T) {
	requireMLX(t)
	dir := convertTiny(t, "float32")
	active := func() (n int64) {
		require.NoError(t, mlx.Do(func() error { n = mlx.ActiveMemory(); return nil }))
		return n
	}
	before := active()
	m, err := loadConverted(dir, Options{})
	require.NoError(t, err)
	weightBytes := m.ParamCount() * 4 // float32
	requireNear(t, before+weightBytes, active())
	m.Free()
	requireNear(t, before, active())

	m, err = loadConverted(dir, Options{})
	require.NoError(t, err)
	require.Equal(t, 2, m.Arch().NumLayers)
	require.NoError(t, mlx.Do(func() error {
		ref := loadReference(t)
		out := run(t, m, ref.x, ref.t, ref.context, ref.seqLen)
		_, rel := compare(t, out, ref.output)
		require.LessOrEqual(t, rel, 1e-4)
		return nil
	}))
	afterForward := active()
	m.Free()
	requireNear(t, afterForward-weightBytes, active())

	_, err = Load(nil, nil, Options{})
	require.ErrorContains(t, err, "no weight files")
}

// With CastAtLoad, Load keeps only the widened copies: bfloat16 weights cost
// 4 bytes a parameter, not 6.
func TestLoadCastAtLoadFreesStoredCopies(t *testing.T) {
	requireMLX(t)
	dir := convertTiny(t, "bfloat16")
	active := func() (n int64) {
		require.NoError(t, mlx.Do(func() error { n = mlx.ActiveMemory(); return nil }))
		return n
	}
	before := active()
	m, err := loadConverted(dir, Options{CastAtLoad: true})
	require.NoError(t, err)
	requireNear(t, before+m.ParamCount()*4, active())
	m.Free()
	requireNear(t, before, active())
}

// requireNear allows a few KiB of allocator rounding and bookkeeping in
// MLX's active-memory count (the tiny model's weights are 2.4 MB in float32).
func requireNear(t *testing.T, want, got int64) {
	t.Helper()
	require.InDelta(t, want, got, 16<<10, "active memory %d, want %d", got, want)
}

// SyntheticInputs feed Forward directly.
func TestSyntheticInputsForward(t *testing.T) {
	tinyModel(t, func(m *Model, ref reference) {
		in, err := SyntheticInputs(m.Arch(), 2, 4, 6, 5, 3)
		require.NoError(t, err)
		x, ts, ctx := in.Arrays()
		out := run(t, m, x, ts, ctx, in.SeqLen)
		require.Equal(t, []int{48, 2, 4, 6}, out.Shape())
		v, err := out.Float32s()
		require.NoError(t, err)
		for _, f := range v {
			require.False(t, math.IsNaN(float64(f)) || math.IsInf(float64(f), 0))
		}
	})
}

// loadConverted loads the DiT of a converted directory found by package layout.
func loadConverted(dir string, opts Options) (*Model, error) {
	files, configJSON, err := layout.ComponentFiles(dir, mapping.ComponentDiT)
	if err != nil {
		return nil, err
	}
	return Load(files, configJSON, opts)
}

// A successful New takes the weights: the ones it uses as stored outlive
// the caller's Do, the ones it replaced by float32 copies are freed at once,
// and Free brings memory back to where it was before loading.
func TestNewTakesTheWeights(t *testing.T) {
	requireMLX(t)
	dir := convertTiny(t, "") // bfloat16: biases and norms get float32 copies
	active := func() (n int64) {
		require.NoError(t, mlx.Do(func() error { n = mlx.ActiveMemory(); return nil }))
		return n
	}
	before := active()
	var m *Model
	var used, replaced *mlx.Array
	require.NoError(t, mlx.Do(func() error {
		arch, weights := loadDir(t, dir)
		used, replaced = weights["head.head.weight"], weights["head.head.bias"]
		var err error
		m, err = New(arch, weights, Options{})
		require.NoError(t, err)
		require.False(t, replaced.Valid(), "a replaced bfloat16 bias is freed by New")
		return nil
	}))
	require.True(t, used.Valid(), "a weight the model uses outlives the loading Do")
	require.Equal(t, mlx.BFloat16, used.Dtype())
	m.Free()
	require.False(t, used.Valid())
	requireNear(t, before, active())
}
