package state

import (
	"syscall/js"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestS14_deepFirstReadInAJavaScriptCallback reads a 100,000-deep chain for
// the first time inside a function JavaScript calls, the way pkg/jsapi and
// go-app event handlers run graph code: the run's yields must work there too.
func TestS14_deepFirstReadInAJavaScriptCallback(t *testing.T) {
	const n = 100_000
	g, _ := newGraph(t)
	head := NewSignal(g, 0)
	tail := NewComputed(g, func() int { return head.Get() + 1 })
	for range n - 1 {
		prev := tail
		tail = NewComputed(g, func() int { return prev.Get() + 1 })
	}
	read := js.FuncOf(func(js.Value, []js.Value) any { return tail.Get() })
	defer read.Release()
	// JavaScript calls Go, which calls back into JavaScript, which calls Go.
	apply := js.Global().Get("Reflect").Get("apply")
	got := apply.Invoke(read, js.Undefined(), js.Global().Get("Array").New())
	assert.Equal(t, n, got.Int())
	head.Set(1)
	got = apply.Invoke(read, js.Undefined(), js.Global().Get("Array").New())
	assert.Equal(t, n+1, got.Int())
}
