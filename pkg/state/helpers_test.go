package state

import (
	"runtime"
	"testing"
	"weak"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// runtime.handleEvent is the js/wasm runtime's own event goroutine.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("runtime.handleEvent"))
}

func weakOf[T any](p *T) weak.Pointer[T] { return weak.Make(p) }

// collected reports whether w's target is garbage collected within a few
// GC cycles.
func collected[T any](w weak.Pointer[T]) bool {
	for range 5 {
		runtime.GC()
		if w.Value() == nil {
			return true
		}
	}
	return false
}
