//go:build mlx

package mlx

/*
#include <mlx/c/mlx.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// current is the device chosen last; nil until the worker first starts.
var current *Device

// initDevice runs when a worker thread starts. The first time it picks MLX's
// own default device (CPU for the Linux cpu wheel, GPU for Metal/CUDA builds)
// unless the environment variable WANCONV_MLX_DEVICE says "cpu" or "gpu"; a
// replacement thread keeps the device chosen before.
func initDevice() {
	if cpuStream.ctx != nil {
		C.mlx_stream_free(cpuStream)
	}
	cpuStream = C.mlx_default_cpu_stream_new()
	want := strings.ToLower(os.Getenv("WANCONV_MLX_DEVICE"))
	switch {
	case current != nil:
		_ = useDevice(*current)
	case want == "gpu" && gpuAvailable():
		_ = useDevice(GPU)
	case want == "cpu":
		_ = useDevice(CPU)
	default:
		dev := C.mlx_device_new()
		defer func() { C.mlx_device_free(dev) }() // dev is set by mlx_get_default_device
		var t C.mlx_device_type
		if C.mlx_get_default_device(&dev) == 0 && C.mlx_device_get_type(&t, dev) == 0 && t == C.MLX_GPU {
			_ = useDevice(GPU)
		} else {
			_ = useDevice(CPU)
		}
	}
}

// SetDefaultDevice makes MLX run subsequent operations on d.
func SetDefaultDevice(d Device) error {
	var err error
	onWorkerDo(func() {
		if d == GPU && !gpuAvailable() {
			err = errors.New("mlx: SetDefaultDevice: no GPU available in this MLX build")
			return
		}
		err = useDevice(d)
	})
	return err
}

// GPUAvailable reports whether MLX has a usable GPU (Metal or CUDA).
func GPUAvailable() bool {
	var ok bool
	onWorkerDo(func() { ok = gpuAvailable() })
	return ok
}

func gpuAvailable() bool {
	dev := C.mlx_device_new_type(C.MLX_GPU, 0)
	defer C.mlx_device_free(dev)
	var avail C.bool
	if C.mlx_device_is_available(&avail, dev) != 0 {
		takeError()
		return false
	}
	return bool(avail)
}

// useDevice sets MLX's default device and the stream ops use. Worker-only.
func useDevice(d Device) error {
	t := C.mlx_device_type(C.MLX_CPU)
	if d == GPU {
		t = C.MLX_GPU
	} else if d != CPU {
		return fmt.Errorf("mlx: unknown device %v", d)
	}
	dev := C.mlx_device_new_type(t, 0)
	defer C.mlx_device_free(dev)
	if C.mlx_set_default_device(dev) != 0 {
		return fmt.Errorf("mlx: SetDefaultDevice %v: %s", d, takeError())
	}
	s := C.mlx_stream_new()
	if C.mlx_get_default_stream(&s, dev) != 0 {
		return fmt.Errorf("mlx: SetDefaultDevice %v: %s", d, takeError())
	}
	if stream.ctx != nil {
		C.mlx_stream_free(stream)
	}
	stream = s
	current = &d
	return nil
}

// Eval evaluates the arrays and returns the first error of the current Do
// (without evaluating when an error is already recorded).
func Eval(arrs ...*Array) error {
	const op = "Eval"
	if !onWorker() || currentFrame() == nil {
		return fmt.Errorf("mlx: %s: %w", op, errOutsideDo)
	}
	if err := currentFrame().err; err != nil {
		return err
	}
	if len(arrs) == 0 {
		return nil
	}
	v, bad := cVector(op, arrs)
	if bad != nil {
		return bad.err
	}
	defer C.mlx_vector_array_free(v)
	if C.mlx_eval(v) != 0 {
		record(fmt.Errorf("mlx: %s: %s", op, takeError()))
	}
	return currentFrame().err
}

// ActiveMemory returns the bytes currently held by live MLX arrays.
func ActiveMemory() int64 {
	return memStat(func(r *C.size_t) C.int { return C.mlx_get_active_memory(r) })
}

// PeakMemory returns the peak of ActiveMemory since start or ResetPeakMemory.
func PeakMemory() int64 { return memStat(func(r *C.size_t) C.int { return C.mlx_get_peak_memory(r) }) }

// CacheMemory returns the bytes MLX keeps cached for reuse.
func CacheMemory() int64 {
	return memStat(func(r *C.size_t) C.int { return C.mlx_get_cache_memory(r) })
}

// ResetPeakMemory restarts PeakMemory from the current usage.
func ResetPeakMemory() { onWorkerDo(func() { C.mlx_reset_peak_memory() }) }

// ClearCache returns MLX's cached buffers to the system.
func ClearCache() { onWorkerDo(func() { C.mlx_clear_cache() }) }

// memStat reads one allocator statistic on the worker (-1 on failure), after
// waiting for queued work so that buffers of finished graphs are released.
func memStat(get func(*C.size_t) C.int) int64 {
	v := int64(-1)
	onWorkerDo(func() {
		synchronize()
		var r C.size_t
		if get(&r) == 0 {
			v = int64(r)
		} else {
			takeError()
		}
	})
	return v
}

// synchronize waits for the work queued on the worker's streams. Worker-only.
func synchronize() {
	for _, s := range []C.mlx_stream{stream, cpuStream} {
		if s.ctx != nil && C.mlx_synchronize(s) != 0 {
			takeError()
		}
	}
}
