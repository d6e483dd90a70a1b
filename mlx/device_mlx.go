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
// replacement thread keeps the device chosen before. Its error is reported by
// every Do.
func initDevice() error {
	const op = "start-up"
	if cpuStream.ctx != nil {
		if err := check(op+": free stream", func() C.int { return C.mlx_stream_free(cpuStream) }); err != nil {
			return err
		}
	}
	clearError()
	if cpuStream = C.mlx_default_cpu_stream_new(); cpuStream.ctx == nil {
		return fmt.Errorf("mlx: %s: default CPU stream: %s", op, takeError(1))
	}
	want := strings.ToLower(os.Getenv("WANCONV_MLX_DEVICE"))
	if current != nil {
		return useDevice(*current)
	}
	switch want {
	case "gpu":
		gpu, err := gpuAvailable()
		if err != nil {
			return fmt.Errorf("mlx: %s: %w", op, err)
		}
		if gpu {
			return useDevice(GPU)
		}
	case "cpu":
		return useDevice(CPU)
	}
	dev := C.mlx_device_new()
	defer release("device", func() C.int { return C.mlx_device_free(dev) }) // dev is set by mlx_get_default_device
	var t C.mlx_device_type
	if err := check(op+": default device", func() C.int { return C.mlx_get_default_device(&dev) }); err != nil {
		return err
	}
	if err := check(op+": default device type", func() C.int { return C.mlx_device_get_type(&t, dev) }); err != nil {
		return err
	}
	if t == C.MLX_GPU {
		return useDevice(GPU)
	}
	return useDevice(CPU)
}

// SetDefaultDevice makes MLX run subsequent operations on d.
func SetDefaultDevice(d Device) error {
	var err error
	onWorkerDo(func() {
		var gpu bool
		if d == GPU {
			if gpu, err = gpuAvailable(); err == nil && !gpu {
				err = errors.New("mlx: SetDefaultDevice: no GPU available in this MLX build")
			}
			if err != nil {
				return
			}
		}
		err = useDevice(d)
	})
	return err
}

// GPUAvailable reports whether MLX has a usable GPU (Metal or CUDA); false
// also when MLX cannot tell.
func GPUAvailable() bool {
	var ok bool
	onWorkerDo(func() { ok, _ = gpuAvailable() })
	return ok
}

func gpuAvailable() (bool, error) {
	dev := C.mlx_device_new_type(C.MLX_GPU, 0)
	defer release("device", func() C.int { return C.mlx_device_free(dev) })
	var avail C.bool
	if err := check("GPUAvailable", func() C.int { return C.mlx_device_is_available(&avail, dev) }); err != nil {
		return false, err
	}
	return bool(avail), nil
}

// useDevice sets MLX's default device and the stream ops use. Worker-only.
func useDevice(d Device) error {
	t := C.mlx_device_type(C.MLX_CPU)
	if d == GPU {
		t = C.MLX_GPU
	} else if d != CPU {
		return fmt.Errorf("mlx: unknown device %v", d)
	}
	op := fmt.Sprintf("SetDefaultDevice %v", d)
	dev := C.mlx_device_new_type(t, 0)
	defer release("device", func() C.int { return C.mlx_device_free(dev) })
	if err := check(op, func() C.int { return C.mlx_set_default_device(dev) }); err != nil {
		return err
	}
	s := C.mlx_stream_new()
	if err := check(op, func() C.int { return C.mlx_get_default_stream(&s, dev) }); err != nil {
		if s.ctx != nil {
			release("stream", func() C.int { return C.mlx_stream_free(s) })
		}
		return err
	}
	if stream.ctx != nil {
		if err := check(op+": free stream", func() C.int { return C.mlx_stream_free(stream) }); err != nil {
			return err
		}
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
	defer release("vector", func() C.int { return C.mlx_vector_array_free(v) })
	if err := check(op, func() C.int { return C.mlx_eval(v) }); err != nil {
		record(err)
	}
	return currentFrame().err
}

// ActiveMemory returns the bytes currently held by live MLX arrays (-1 when
// MLX cannot tell).
func ActiveMemory() int64 {
	return memStat(func(r *C.size_t) C.int { return C.mlx_get_active_memory(r) })
}

// PeakMemory returns the peak of ActiveMemory since start or ResetPeakMemory
// (-1 when MLX cannot tell).
func PeakMemory() int64 { return memStat(func(r *C.size_t) C.int { return C.mlx_get_peak_memory(r) }) }

// CacheMemory returns the bytes MLX keeps cached for reuse (-1 when MLX
// cannot tell).
func CacheMemory() int64 {
	return memStat(func(r *C.size_t) C.int { return C.mlx_get_cache_memory(r) })
}

// ResetPeakMemory restarts PeakMemory from the current usage.
func ResetPeakMemory() error {
	return onWorkerErr(func() error {
		return check("ResetPeakMemory", func() C.int { return C.mlx_reset_peak_memory() })
	})
}

// ClearCache returns MLX's cached buffers to the system.
func ClearCache() error {
	return onWorkerErr(func() error {
		return check("ClearCache", func() C.int { return C.mlx_clear_cache() })
	})
}

// onWorkerErr runs fn on the worker, after the worker's start-up error.
func onWorkerErr(fn func() error) error {
	var err error
	onWorkerDo(func() {
		if err = startErr; err == nil {
			err = fn()
		}
	})
	return err
}

// memStat reads one allocator statistic on the worker (-1 on failure), after
// waiting for queued work so that buffers of finished graphs are released.
func memStat(get func(*C.size_t) C.int) int64 {
	v := int64(-1)
	_ = onWorkerErr(func() error {
		if err := synchronize(); err != nil {
			return err
		}
		var r C.size_t
		if err := check("memory statistics", func() C.int { return get(&r) }); err != nil {
			return err
		}
		v = int64(r)
		return nil
	})
	return v
}

// synchronize waits for the work queued on the worker's streams. Worker-only.
func synchronize() error {
	for _, s := range []C.mlx_stream{stream, cpuStream} {
		if s.ctx == nil {
			continue
		}
		if err := check("synchronize", func() C.int { return C.mlx_synchronize(s) }); err != nil {
			return err
		}
	}
	return nil
}
