//go:build mlx

package t5

import (
	"fmt"
	"slices"

	"github.com/wanconv/wanconv/mlx"
	"github.com/wanconv/wanconv/model/internal/weights"
)

// Encode runs the encoder on token ids [B, L] (any integer dtype) with an
// attention mask [B, L] (nonzero = real token, 0 = padding; nil = all real)
// and returns the final hidden states [B, L, dim] in float32, for every
// position including padded ones (their values follow upstream but carry no
// meaning). Upstream uses B = 1.
//
// Encode must run inside mlx.Do; the result belongs to the caller's scope.
// Each block runs in its own mlx.Scoped and is evaluated before the next one
// starts, so at most one block's temporaries (and, with float32 compute and
// narrower weights, one block's float32 weight copies) are alive at a time.
func (m *Model) Encode(ids, mask *mlx.Array) (*mlx.Array, error) {
	if len(m.owned) == 0 {
		return nil, fmt.Errorf("t5: encode: model has been freed")
	}
	batch, length, err := m.checkInputs(ids, mask)
	if err != nil {
		return nil, err
	}
	a, dt := m.arch, weights.MLXDType(m.opts.ComputeDType)

	x := m.embed(ids, batch, length)
	if x == nil {
		return nil, fmt.Errorf("t5: encode: embedding: %w", mlx.Err())
	}
	buckets := mlx.FromInt32s(BucketTable(length, length, a.NumBuckets, m.maxDistance), length*length)
	var keep *mlx.Array // [B, 1, 1, L] bool: true where the key is a real token
	if mask != nil {
		keep = mlx.LogicalNot(mlx.Equal(mlx.AsType(mask, mlx.Int32), mlx.ScalarOf(0, mlx.Int32)))
		keep = mlx.Reshape(keep, batch, 1, 1, length)
	}
	if err := mlx.Eval(buckets); err != nil {
		return nil, fmt.Errorf("t5: encode: position buckets: %w", err)
	}

	for k := range m.blocks {
		blk := &m.blocks[k]
		out := mlx.Scoped(func() []*mlx.Array {
			y := blk.forward(x, buckets, keep, a, dt)
			if mlx.Eval(y) != nil {
				return nil
			}
			return []*mlx.Array{y}
		})
		if err := mlx.Err(); err != nil {
			return nil, fmt.Errorf("t5: encode: block %d: %w", k, err)
		}
		if len(out) != 1 {
			return nil, fmt.Errorf("t5: encode: block %d produced no output", k)
		}
		x.Free() // the previous residual stream is no longer needed (y is evaluated)
		x = out[0]
	}
	y := rmsNorm(x, m.norm)
	if err := mlx.Eval(y); err != nil {
		return nil, fmt.Errorf("t5: encode: final norm: %w", err)
	}
	return y, nil
}

// embed gathers the token embeddings [B, L, dim] as float32, evaluated, or
// returns nil (with the error recorded) when MLX fails.
func (m *Model) embed(ids *mlx.Array, batch, length int) *mlx.Array {
	out := mlx.Scoped(func() []*mlx.Array {
		flat := mlx.Reshape(mlx.AsType(ids, mlx.Int32), batch*length)
		x := mlx.Take(m.embedding, flat, 0)
		x = mlx.AsType(mlx.Reshape(x, batch, length, m.arch.Dim), mlx.Float32)
		if mlx.Eval(x) != nil {
			return nil
		}
		return []*mlx.Array{x}
	})
	if len(out) != 1 {
		return nil
	}
	return out[0]
}

// checkInputs validates shapes and dtypes and that every id is below vocab
// (MLX's gather does not check bounds).
func (m *Model) checkInputs(ids, mask *mlx.Array) (batch, length int, err error) {
	if ids == nil || !ids.Valid() {
		return 0, 0, fmt.Errorf("t5: encode: ids are missing or invalid")
	}
	if ids.Ndim() != 2 || ids.Dim(0) < 1 || ids.Dim(1) < 1 {
		return 0, 0, fmt.Errorf("t5: encode: ids have shape %v, want [B, L] with B, L >= 1", ids.Shape())
	}
	if !isInteger(ids.Dtype()) {
		return 0, 0, fmt.Errorf("t5: encode: ids have dtype %s, want an integer dtype", ids.Dtype())
	}
	batch, length = ids.Dim(0), ids.Dim(1)
	if mask != nil {
		if !mask.Valid() {
			return 0, 0, fmt.Errorf("t5: encode: mask is invalid")
		}
		if !slices.Equal(mask.Shape(), ids.Shape()) {
			return 0, 0, fmt.Errorf("t5: encode: mask has shape %v, ids have %v", mask.Shape(), ids.Shape())
		}
		if !isInteger(mask.Dtype()) && mask.Dtype() != mlx.Bool {
			return 0, 0, fmt.Errorf("t5: encode: mask has dtype %s, want an integer or bool dtype", mask.Dtype())
		}
	}
	lo, hi := mlx.Min(ids, false), mlx.Max(ids, false)
	if err := mlx.Eval(lo, hi); err != nil {
		return 0, 0, fmt.Errorf("t5: encode: reading ids: %w", err)
	}
	minID, err1 := lo.Item()
	maxID, err2 := hi.Item()
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("t5: encode: reading ids: %v %v", err1, err2)
	}
	if minID < 0 || maxID >= float64(m.arch.Vocab) {
		return 0, 0, fmt.Errorf("t5: encode: token ids span [%g, %g], want [0, %d)", minID, maxID, m.arch.Vocab)
	}
	return batch, length, nil
}

func isInteger(d mlx.Dtype) bool {
	switch d {
	case mlx.Uint8, mlx.Int8, mlx.Int16, mlx.Int32, mlx.Int64:
		return true
	}
	return false
}

// EncodeTokens is Encode for one sequence given as Go slices (mask nil = all
// real tokens); it runs its own mlx.Do and returns the hidden states
// row-major as [len(ids), dim].
func (m *Model) EncodeTokens(ids, mask []int32) ([]float32, error) {
	if mask != nil && len(mask) != len(ids) {
		return nil, fmt.Errorf("t5: encode: %d mask entries for %d ids", len(mask), len(ids))
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("t5: encode: no token ids")
	}
	var out []float32
	err := mlx.Do(func() error {
		idsA := mlx.FromInt32s(ids, 1, len(ids))
		var maskA *mlx.Array
		if mask != nil {
			maskA = mlx.FromInt32s(mask, 1, len(mask))
		}
		y, err := m.Encode(idsA, maskA)
		if err != nil {
			return err
		}
		out, err = y.Float32s()
		return err
	})
	return out, err
}
