package weights

import (
	"testing"

	"github.com/stretchr/testify/require"
)

var testSpecs = []Spec{
	{"embed.weight", []int{10, 4}},
	{"blocks.0.norm.weight", []int{4}},
	{"blocks.0.proj.weight", []int{8, 4}},
	{"head.bias", []int{3}},
}

func shapesOf(specs []Spec) map[string][]int {
	m := make(map[string][]int, len(specs))
	for _, s := range specs {
		m[s.Name] = s.Shape
	}
	return m
}

func TestParamCount(t *testing.T) {
	require.Equal(t, int64(10*4+4+8*4+3), ParamCount(testSpecs))
	require.Equal(t, int64(1), ParamCount([]Spec{{"scalar", nil}}))
	require.Zero(t, ParamCount(nil))
}

func TestCheckMapExactSet(t *testing.T) {
	require.Nil(t, CheckMap(testSpecs, shapesOf(testSpecs)))
}

func TestCheckMapListsEveryProblemInOrder(t *testing.T) {
	shapes := shapesOf(testSpecs)
	delete(shapes, "head.bias")
	delete(shapes, "embed.weight")
	shapes["blocks.0.proj.weight"] = []int{4, 8}
	shapes["blocks.0.norm.weight"] = []int{4, 1}
	shapes["zz.extra"] = []int{1}
	shapes["aa.extra"] = nil
	require.Equal(t, []string{
		"missing tensor embed.weight (want shape [10 4])",
		"tensor blocks.0.norm.weight has shape [4 1], want [4]",
		"tensor blocks.0.proj.weight has shape [4 8], want [8 4]",
		"missing tensor head.bias (want shape [3])",
		"unexpected tensor aa.extra",
		"unexpected tensor zz.extra",
	}, CheckMap(testSpecs, shapes))
}

func TestCheckWithLookup(t *testing.T) {
	shapes := shapesOf(testSpecs)
	// A name listed but without a shape counts as missing, not unexpected.
	lookup := func(name string) ([]int, bool) {
		if name == "head.bias" {
			return nil, false
		}
		s, ok := shapes[name]
		return s, ok
	}
	names := []string{"head.bias", "embed.weight", "blocks.0.norm.weight", "blocks.0.proj.weight", "other"}
	require.Equal(t, []string{
		"missing tensor head.bias (want shape [3])",
		"unexpected tensor other",
	}, Check(testSpecs, names, lookup))
}

func TestWithRank(t *testing.T) {
	shapes := map[string][]int{"w": {3, 4}}
	s, err := WithRank(shapes, "w", 2)
	require.NoError(t, err)
	require.Equal(t, []int{3, 4}, s)
	_, err = WithRank(shapes, "w", 3)
	require.EqualError(t, err, "tensor w has shape [3 4], want rank 3")
	_, err = WithRank(shapes, "b", 1)
	require.EqualError(t, err, "missing tensor b")
}
