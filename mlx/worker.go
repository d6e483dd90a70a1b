//go:build mlx

package mlx

/*
#include <stdlib.h>
#include <string.h>
#include <mlx/c/mlx.h>

// The MLX worker thread marks itself so that Do can run nested calls inline.
static __thread int wanconv_on_worker;
static void wanconv_mark_worker(void) { wanconv_on_worker = 1; }
static int wanconv_is_worker(void) { return wanconv_on_worker; }

// Messages from failing mlx-c calls land here; only the worker calls MLX.
// wanconv_clear_error runs before every call, so a message is never one left
// over from an earlier call.
static char wanconv_err_buf[8192];
static int wanconv_err_set;

static void wanconv_error_handler(const char* msg, void* data) {
	(void)data;
	if (msg == NULL) {
		msg = "(no message)";
	}
	strncpy(wanconv_err_buf, msg, sizeof(wanconv_err_buf) - 1);
	wanconv_err_buf[sizeof(wanconv_err_buf) - 1] = 0;
	wanconv_err_set = 1;
}

static void wanconv_install_error_handler(void) {
	mlx_set_error_handler(wanconv_error_handler, NULL, NULL);
}

static void wanconv_clear_error(void) {
	wanconv_err_set = 0;
	wanconv_err_buf[0] = 0;
}

static const char* wanconv_take_error(void) {
	if (!wanconv_err_set) {
		return NULL;
	}
	wanconv_err_set = 0;
	return wanconv_err_buf;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
)

// frame is the state of one Do call: its root scope (or the innermost
// Scoped child) and its first error.
type frame struct {
	scope *scope
	err   error
}

// scope owns the arrays created while it is the innermost one.
type scope struct {
	parent *scope
	arrays []*Array
}

func (s *scope) add(a *Array) {
	a.owner = s
	s.arrays = append(s.arrays, a)
}

// release frees every array still owned by s.
func (s *scope) release() {
	for _, a := range s.arrays {
		if a.owner == s {
			a.free()
		}
	}
	s.arrays = nil
}

var (
	startOnce sync.Once
	jobs      chan func()

	// Worker-only state.
	frames []*frame
	// startErr is why the worker thread could not set MLX up (device and
	// streams); every Do reports it.
	startErr error
)

// Available reports whether the package was built with MLX.
func Available() bool { return true }

func onWorker() bool { return C.wanconv_is_worker() != 0 }

// currentFrame returns the innermost Do frame, or nil outside Do. Call it
// only on the worker.
func currentFrame() *frame {
	if len(frames) == 0 {
		return nil
	}
	return frames[len(frames)-1]
}

// clearError empties the error buffer; call it right before an mlx-c call
// whose status is checked.
func clearError() { C.wanconv_clear_error() }

// takeError returns the message the error handler stored for the failing
// call that returned status rc, and empties the buffer.
func takeError(rc C.int) string {
	msg := C.wanconv_take_error()
	if msg == nil {
		return fmt.Sprintf("unknown MLX error (status %d, no message)", int(rc))
	}
	return C.GoString(msg)
}

// release runs one mlx-c free function; a failure (in practice never: it
// would be an exception from a destructor) is recorded in the current Do,
// if any. Worker-only.
func release(what string, call func() C.int) {
	if err := check("free "+what, call); err != nil && currentFrame() != nil {
		record(err)
	}
}

// check runs one mlx-c call with an empty error buffer and turns a non-zero
// status into an error naming op. Worker-only.
func check(op string, call func() C.int) error {
	clearError()
	if rc := call(); rc != 0 {
		return fmt.Errorf("mlx: %s: %s", op, takeError(rc))
	}
	return nil
}

func startWorker() {
	jobs = make(chan func())
	ready := make(chan struct{})
	go workerLoop(ready)
	<-ready
}

// workerLoop is the MLX thread. If a job ends its goroutine with
// runtime.Goexit (t.FailNow inside Do, for instance), the deferred call starts
// a replacement thread so that later calls still find a worker.
func workerLoop(ready chan struct{}) {
	runtime.LockOSThread()
	defer func() { go workerLoop(nil) }()
	C.wanconv_mark_worker()
	C.wanconv_install_error_handler()
	startErr = initDevice()
	if ready != nil {
		close(ready)
	}
	for job := range jobs {
		job()
	}
}

// onWorkerDo runs fn on the worker (inline when already there) outside any
// Do frame.
func onWorkerDo(fn func()) {
	if onWorker() {
		fn()
		return
	}
	startOnce.Do(startWorker)
	done := make(chan struct{})
	jobs <- func() {
		defer close(done)
		fn()
	}
	<-done
}

// workerPanic carries a panic of a Do closure back to the caller's goroutine.
type workerPanic struct {
	value any
	stack []byte
}

func (p *workerPanic) Error() string {
	return fmt.Sprintf("mlx: panic inside Do: %v\n\nworker stack:\n%s", p.value, p.stack)
}

// Do runs f on the MLX thread with a fresh root scope and returns f's error,
// or else the first MLX error recorded while f ran. Arrays created during f
// are freed when it returns, except those passed to Keep. Called from the MLX
// thread (inside another Do), it runs f inline. A panic in f is re-raised in
// the caller's goroutine; the worker survives it.
func Do(f func() error) error {
	if f == nil {
		return errors.New("mlx: Do called with a nil function")
	}
	if onWorker() {
		return runFrame(f)
	}
	startOnce.Do(startWorker)
	var (
		err      error
		pan      *workerPanic
		finished bool
	)
	done := make(chan struct{})
	jobs <- func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				pan = &workerPanic{value: p, stack: debug.Stack()}
			}
		}()
		err = runFrame(f)
		finished = true
	}
	<-done
	switch {
	case pan != nil:
		panic(pan)
	case !finished:
		return errGoexit
	}
	return err
}

var errGoexit = errors.New("mlx: the function given to Do called runtime.Goexit " +
	"(t.FailNow or require.* failing inside Do?); its work was abandoned")

func runFrame(f func() error) error {
	if startErr != nil {
		return startErr
	}
	fr := &frame{scope: &scope{}}
	frames = append(frames, fr)
	defer func() {
		fr.scope.release() // Scoped restores fr.scope to the root even on panic
		frames = frames[:len(frames)-1]
	}()
	if err := f(); err != nil {
		return err
	}
	return fr.err
}

// Err returns the first error recorded in the current Do, or nil (also
// outside Do).
func Err() error {
	if !onWorker() {
		return nil
	}
	if fr := currentFrame(); fr != nil {
		return fr.err
	}
	return nil
}

// record keeps err as the current Do's error unless one is already there.
func record(err error) {
	if fr := currentFrame(); fr != nil && fr.err == nil {
		fr.err = err
	}
}

// Keep detaches arrays from their scopes so they survive the end of Do;
// free them with (*Array).Free. Nil and invalid arrays are ignored.
func Keep(arrs ...*Array) {
	onWorkerDo(func() {
		for _, a := range arrs {
			if a != nil {
				a.owner = nil
			}
		}
	})
}

// Scoped runs f in a child scope of the current one: the arrays f returns
// move to the parent scope and every other array created in f is freed.
// Outside Do it just calls f (whose operations then yield invalid arrays).
func Scoped(f func() []*Array) []*Array {
	if f == nil {
		return nil
	}
	if !onWorker() || currentFrame() == nil {
		return f()
	}
	fr := currentFrame()
	parent := fr.scope
	child := &scope{parent: parent}
	fr.scope = child
	defer func() {
		fr.scope = parent
		child.release()
	}()
	out := f()
	for _, a := range out {
		if a != nil && a.owner == child {
			parent.add(a)
		}
	}
	return out
}
