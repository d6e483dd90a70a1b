package pth

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wanconv/wanconv/tensor"
)

// TestRealTorchFixtures reads state dicts written by PyTorch itself in both
// formats (testdata/make_torch_fixtures.py): views sharing one storage, a
// storage offset, a transposed tensor, every dtype, an nn.Parameter.
func TestRealTorchFixtures(t *testing.T) {
	for name, format := range map[string]Format{"torch_legacy.pth": FormatLegacy, "torch_zip.pth": FormatZip} {
		t.Run(name, func(t *testing.T) {
			f, err := Open(filepath.Join("testdata", name))
			require.NoError(t, err)
			defer f.Close()
			require.Equal(t, format, f.Format())
			require.Len(t, f.Tensors(), 13)

			read := func(tensorName string) (tensor.Info, []byte) {
				info, ok := f.Lookup(tensorName)
				require.True(t, ok, tensorName)
				b := make([]byte, info.NumBytes())
				require.NoError(t, f.ReadTensor(tensorName, b))
				return info, b
			}
			f32s := func(b []byte) []float32 {
				out := make([]float32, len(b)/4)
				for i := range out {
					out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
				}
				return out
			}
			info, b := read("shared.a")
			require.Equal(t, []int64{3, 4}, info.Shape)
			require.Equal(t, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, f32s(b))
			_, b = read("shared.b_offset")
			require.Equal(t, []float32{12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23}, f32s(b))
			info, b = read("shared.c_transposed")
			require.Equal(t, []int64{4, 3}, info.Shape)
			require.Equal(t, []float32{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, f32s(b))
			_, ok, err := f.Section("shared.c_transposed")
			require.NoError(t, err)
			require.False(t, ok, "a transposed view is not contiguous in place")

			_, b = read("dtype.f64")
			require.Equal(t, -2.0, math.Float64frombits(binary.LittleEndian.Uint64(b)))
			_, b = read("dtype.bf16")
			require.Equal(t, uint16(0xc000), binary.LittleEndian.Uint16(b)) // -2 in bfloat16
			_, b = read("dtype.f16")
			require.Equal(t, uint16(0xc000), binary.LittleEndian.Uint16(b)) // -2 in float16
			_, b = read("dtype.i64")
			require.Equal(t, int64(3), int64(binary.LittleEndian.Uint64(b[40:])))
			_, b = read("dtype.i32")
			require.Equal(t, int32(-2), int32(binary.LittleEndian.Uint32(b)))
			_, b = read("dtype.i16")
			require.Equal(t, int16(-1), int16(binary.LittleEndian.Uint16(b[2:])))
			_, b = read("dtype.i8")
			require.Equal(t, []byte{0xfe, 0xff, 0, 1, 2, 3}, b)
			_, b = read("dtype.u8")
			require.Equal(t, []byte{0, 1, 2, 3, 4, 5}, b)
			info, b = read("dtype.bool")
			require.Equal(t, tensor.Bool, info.DType)
			require.Equal(t, []byte{1, 0, 1, 0, 0, 1}, b)
			_, b = read("param")
			require.Equal(t, []float32{3, 3, 3, 3}, f32s(b))
		})
	}
}
