package convert

import (
	"testing"

	"github.com/wanconv/wanconv/tensor"
)

// Throughput of the byte-level kernels (bytes of source per second).

func BenchmarkCastF32ToBF16(b *testing.B) {
	src := make([]byte, 8<<20)
	dst := make([]byte, 4<<20)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		castF32ToBF16(dst, src)
	}
}

func BenchmarkChannelsLastF32ToBF16(b *testing.B) {
	info := tensor.Info{Name: "w", DType: tensor.F32, Shape: []int64{64, 1024, 3, 3, 3}}
	xf, err := newTensorTransform(info, layoutChannelsLast, tensor.BF16)
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, info.NumBytes())
	dst := make([]byte, xf.outLen(int64(len(src))))
	scratch := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		xf.apply(dst, src, scratch)
	}
}

func BenchmarkChannelsLastF32(b *testing.B) {
	info := tensor.Info{Name: "w", DType: tensor.F32, Shape: []int64{64, 1024, 3, 3, 3}}
	xf, err := newTensorTransform(info, layoutChannelsLast, tensor.F32)
	if err != nil {
		b.Fatal(err)
	}
	src := make([]byte, info.NumBytes())
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		xf.apply(dst, src, nil)
	}
}
