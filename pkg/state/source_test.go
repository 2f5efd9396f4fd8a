package state

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeSource is an external value with subscribe/unsubscribe, as a query
// cache or a connection would offer.
type fakeSource struct {
	value     int
	listeners map[int]func()
	next      int
	subs      int // subscribe calls
}

func (f *fakeSource) read() int { return f.value }

func (f *fakeSource) subscribe(onChange func()) func() {
	if f.listeners == nil {
		f.listeners = map[int]func(){}
	}
	f.subs++
	id := f.next
	f.next++
	f.listeners[id] = onChange
	return func() { delete(f.listeners, id) }
}

func (f *fakeSource) set(v int) {
	f.value = v
	for _, l := range f.listeners {
		l()
	}
}

func TestSourceAdapter(t *testing.T) {
	t.Run("an observed source feeds effects and computeds", func(t *testing.T) {
		g, _ := newGraph(t)
		ext := &fakeSource{value: 1}
		src := FromSource(g, ext.read, ext.subscribe)
		double := NewComputed(g, func() int { return src.Get() * 2 })
		var seen []int
		e := g.Effect(func() { seen = append(seen, double.Get()) })
		assert.Len(t, ext.listeners, 1, "subscribed when first observed")
		ext.set(2)
		ext.set(2) // same value: nothing
		ext.set(3)
		assert.Equal(t, []int{2, 4, 6}, seen)
		e.Dispose()
		assert.Empty(t, ext.listeners, "unsubscribed when the last observer left")
		ext.set(4)
		assert.Equal(t, 8, double.Get(), "an unobserved source is read on demand")
	})
	t.Run("a change between the last read and the subscription is not lost", func(t *testing.T) {
		g, _ := newGraph(t)
		ext := &fakeSource{value: 1}
		src := FromSource(g, ext.read, ext.subscribe)
		c := NewComputed(g, func() int { return src.Get() + 100 })
		assert.Equal(t, 101, c.Get())
		ext.value = 5 // changed while nobody listened, without notification
		var seen int
		g.Effect(func() { seen = c.Get() })
		assert.Equal(t, 105, seen)
	})
	t.Run("notifications go through the scheduler", func(t *testing.T) {
		var pending []func()
		g, _ := newGraph(t, WithScheduler(func(fn func()) { pending = append(pending, fn) }))
		ext := &fakeSource{value: 1}
		src := FromSource(g, ext.read, ext.subscribe)
		var seen int
		g.Effect(func() { seen = src.Get() })
		ext.set(7)
		assert.Equal(t, 1, seen, "not applied until the graph's goroutine runs it")
		require.Len(t, pending, 1)
		pending[0]()
		assert.Equal(t, 7, seen)
	})
	t.Run("late notifications after unsubscribing are ignored", func(t *testing.T) {
		var pending []func()
		g, _ := newGraph(t, WithScheduler(func(fn func()) { pending = append(pending, fn) }))
		ext := &fakeSource{value: 1}
		src := FromSource(g, ext.read, ext.subscribe)
		runs := 0
		e := g.Effect(func() { src.Get(); runs++ })
		ext.set(2)
		e.Dispose()
		for _, p := range pending {
			p()
		}
		assert.Equal(t, 1, runs)
	})
	t.Run("a panicking read is reported and keeps the last value", func(t *testing.T) {
		g, reported := newGraph(t)
		fail := false
		ext := &fakeSource{value: 1}
		src := FromSource(g, func() int {
			if fail {
				panic("read failed")
			}
			return ext.value
		}, ext.subscribe)
		var seen int
		g.Effect(func() { seen = src.Get() })
		fail = true
		ext.set(9)
		assert.Equal(t, 1, seen)
		require.Len(t, *reported, 1)
		fail = false
		ext.set(10)
		assert.Equal(t, 10, seen)
	})
}
