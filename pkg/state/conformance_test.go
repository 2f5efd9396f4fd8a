package state

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The semantics table of SIGNALS.md, one test per row (some rows have
// several cases). They run natively with -race and under GOOS=js.

// errs collects what the graph reports to its error handler.
type errs []error

func newGraph(t *testing.T, opts ...Option) (*Graph, *errs) {
	t.Helper()
	var e errs
	opts = append([]Option{WithErrorHandler(func(err error) { e = append(e, err) })}, opts...)
	return NewGraph(opts...), &e
}

func TestS01_glitchFree(t *testing.T) {
	g, _ := newGraph(t)
	s := NewSignal(g, 1)
	a := NewComputed(g, func() int { return s.Get() * 2 })
	b := NewComputed(g, func() int { return s.Get() * 3 })
	sum := NewComputed(g, func() int { return a.Get() + b.Get() })
	var seen []int
	g.Effect(func() { seen = append(seen, sum.Get()) })

	s.Set(2)
	s.Set(3)
	// Every value the effect saw is 5·s for some s: never a + b from two
	// different writes.
	assert.Equal(t, []int{5, 10, 15}, seen)
}

func TestS02_lazyComputed(t *testing.T) {
	g, _ := newGraph(t)
	s := NewSignal(g, 1)
	runs := 0
	c := NewComputed(g, func() int { runs++; return s.Get() + 1 })

	assert.Equal(t, 0, runs, "not evaluated until read")
	s.Set(2)
	s.Set(3)
	assert.Equal(t, 0, runs, "an unobserved computed is not recomputed on writes")
	assert.Equal(t, 4, c.Get())
	assert.Equal(t, 1, runs)
	assert.Equal(t, 4, c.Get())
	assert.Equal(t, 1, runs, "a re-read without a change does not recompute")
	s.Set(10)
	s.Set(11)
	assert.Equal(t, 1, runs, "still lazy after a first read")
	assert.Equal(t, 12, c.Get())
	assert.Equal(t, 2, runs, "two writes, one recomputation")
}

func TestS03_equalityCutOff(t *testing.T) {
	t.Run("comparable values use ==", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 1)
		parity := NewComputed(g, func() bool { return s.Get()%2 == 0 })
		downstream, effects := 0, 0
		d := NewComputed(g, func() string { downstream++; return fmt.Sprint(parity.Get()) })
		g.Effect(func() { d.Get(); effects++ })
		s.Set(3) // parity stays false
		s.Set(5)
		assert.Equal(t, 1, downstream)
		assert.Equal(t, 1, effects)
		s.Set(6)
		assert.Equal(t, 2, downstream)
		assert.Equal(t, 2, effects)
	})
	t.Run("a custom equality for slices", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 1)
		evens := NewComputedFunc(g, func() []int {
			var out []int
			for i := 0; i <= s.Get(); i += 2 {
				out = append(out, i)
			}
			return out
		}, slices.Equal[[]int])
		effects := 0
		g.Effect(func() { evens.Get(); effects++ })
		s.Set(0) // [0] both times... 1 → [0], 0 → [0]
		assert.Equal(t, 1, effects)
		s.Set(2)
		assert.Equal(t, 2, effects)
		assert.Equal(t, []int{0, 2}, evens.Get())
	})
	t.Run("a nil equality treats every recomputation as a change", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 1)
		c := NewComputedFunc(g, func() int { return s.Get() / 10 }, nil)
		effects := 0
		g.Effect(func() { c.Get(); effects++ })
		s.Set(2)
		assert.Equal(t, 2, effects)
	})
}

func TestS04_sameValueWrite(t *testing.T) {
	g, _ := newGraph(t)
	s := NewSignal(g, "a")
	runs := 0
	g.Effect(func() { s.Get(); runs++ })
	s.Set("a")
	s.Update(func(v string) string { return v })
	assert.Equal(t, 1, runs)

	type point struct{ x, y int }
	p := NewSignalFunc(g, []point{{1, 2}}, slices.Equal[[]point])
	g.Effect(func() { p.Get(); runs++ })
	p.Set([]point{{1, 2}})
	assert.Equal(t, 2, runs, "equal per the custom equality: no notification")
	p.Set([]point{{1, 3}})
	assert.Equal(t, 3, runs)
}

func TestS05_dynamicDependencies(t *testing.T) {
	g, _ := newGraph(t)
	useA := NewSignal(g, true)
	a := NewSignal(g, "a")
	b := NewSignal(g, "b")
	runs := 0
	var got string
	g.Effect(func() {
		runs++
		if useA.Get() {
			got = a.Get()
		} else {
			got = b.Get()
		}
	})
	b.Set("b2")
	assert.Equal(t, 1, runs, "b is not a dependency yet")
	useA.Set(false)
	assert.Equal(t, 2, runs)
	assert.Equal(t, "b2", got)
	a.Set("a2")
	assert.Equal(t, 2, runs, "writing the dropped dependency re-runs nothing")
	b.Set("b3")
	assert.Equal(t, 3, runs)
	assert.Equal(t, "b3", got)

	// The same through a computed, which must also drop its old source.
	cRuns := 0
	c := NewComputed(g, func() string {
		cRuns++
		if useA.Get() {
			return a.Get()
		}
		return b.Get()
	})
	g.Effect(func() { c.Get() })
	a.Set("a3")
	assert.Equal(t, 1, cRuns)
}

func TestS06_batch(t *testing.T) {
	g, _ := newGraph(t)
	first := NewSignal(g, "Ada")
	last := NewSignal(g, "Lovelace")
	full := NewComputed(g, func() string { return first.Get() + " " + last.Get() })
	var seen []string
	g.Effect(func() { seen = append(seen, full.Get()) })

	g.Batch(func() {
		first.Set("Grace")
		assert.Equal(t, "Grace", first.Get(), "a read inside the batch sees the new signal value")
		assert.Equal(t, "Grace Lovelace", full.Get(), "and the new computed value")
		g.Batch(func() { last.Set("Hopper") })
		assert.Len(t, seen, 1, "effects wait for the outermost batch")
	})
	assert.Equal(t, []string{"Ada Lovelace", "Grace Hopper"}, seen)

	t.Run("effects run even when the batch panics", func(t *testing.T) {
		assert.Panics(t, func() {
			g.Batch(func() {
				first.Set("Barbara")
				panic("boom")
			})
		})
		assert.Equal(t, "Barbara Hopper", seen[len(seen)-1])
	})
}

func TestS07_untracked(t *testing.T) {
	g, _ := newGraph(t)
	tracked := NewSignal(g, 1)
	hidden := NewSignal(g, 1)
	runs := 0
	g.Effect(func() {
		tracked.Get()
		g.Untracked(func() { hidden.Get() })
		_ = Untrack(g, func() int { return hidden.Get() })
		hidden.Peek()
		runs++
	})
	hidden.Set(2)
	assert.Equal(t, 1, runs)
	tracked.Set(2)
	assert.Equal(t, 2, runs)

	c := NewComputed(g, func() int { return tracked.Get() + Untrack(g, hidden.Get) })
	g.Effect(func() { c.Get() })
	hidden.Set(3)
	assert.Equal(t, 4, c.Get(), "an untracked read inside a computed creates no dependency: still 2+2")
}

func TestS08_nestedEffects(t *testing.T) {
	g, _ := newGraph(t)
	outer := NewSignal(g, 0)
	inner := NewSignal(g, 0)
	innerRuns, innerAlive := 0, 0
	e := g.Effect(func() {
		outer.Get()
		g.Effect(func() {
			inner.Get()
			innerRuns++
			innerAlive++
			g.OnCleanup(func() { innerAlive-- })
		})
	})
	assert.Equal(t, 1, innerAlive)
	inner.Set(1)
	assert.Equal(t, 2, innerRuns)
	assert.Equal(t, 1, innerAlive)

	outer.Set(1) // disposes the old inner effect, creates a new one
	assert.Equal(t, 1, innerAlive, "the owner's rerun disposed the old inner effect")
	inner.Set(2)
	assert.Equal(t, 4, innerRuns, "one inner effect runs, not two")

	e.Dispose()
	assert.Equal(t, 0, innerAlive)
	inner.Set(3)
	assert.Equal(t, 4, innerRuns, "disposing the owner disposed the inner effect")

	t.Run("a queued owner runs before the effects it owns", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		var order []string
		g.Effect(func() {
			s.Get()
			order = append(order, "outer")
			g.Effect(func() { s.Get(); order = append(order, "inner") })
		})
		order = nil
		s.Set(1)
		assert.Equal(t, []string{"outer", "inner"}, order, "the inner effect ran once, as a new effect")
	})
}

func TestS09_cleanup(t *testing.T) {
	g, _ := newGraph(t)
	s := NewSignal(g, 0)
	var log []string
	e := g.Effect(func() {
		v := s.Get()
		log = append(log, fmt.Sprint("run ", v))
		g.OnCleanup(func() { log = append(log, fmt.Sprint("cleanup ", v, "a")) })
		g.OnCleanup(func() { log = append(log, fmt.Sprint("cleanup ", v, "b")) })
	})
	s.Set(1)
	e.Dispose()
	e.Dispose()
	s.Set(2)
	assert.Equal(t, []string{
		"run 0", "cleanup 0b", "cleanup 0a",
		"run 1", "cleanup 1b", "cleanup 1a",
	}, log, "cleanups run newest first, before the next run and on dispose, once")

	t.Run("a panicking cleanup is reported and the others still run", func(t *testing.T) {
		g, reported := newGraph(t)
		ran := false
		e := g.Effect(func() {
			g.OnCleanup(func() { ran = true })
			g.OnCleanup(func() { panic("cleanup failed") })
		})
		e.Dispose()
		assert.True(t, ran)
		require.Len(t, *reported, 1)
		var pe *PanicError
		require.ErrorAs(t, (*reported)[0], &pe)
		assert.Equal(t, "cleanup failed", pe.Value)
	})
	t.Run("OnCleanup outside an owner reports ErrNoOwner", func(t *testing.T) {
		g, reported := newGraph(t)
		g.OnCleanup(func() {})
		require.Len(t, *reported, 1)
		assert.ErrorIs(t, (*reported)[0], ErrNoOwner)
	})
}

func TestS10_computedCycle(t *testing.T) {
	g, _ := newGraph(t)
	var a, b *Computed[int]
	a = NewComputed(g, func() int { return b.Get() + 1 })
	b = NewComputed(g, func() int { return a.Get() + 1 })
	_, err := a.Read()
	require.ErrorIs(t, err, ErrCycle)
	_, err = b.Read()
	require.ErrorIs(t, err, ErrCycle)

	var self *Computed[int]
	self = NewComputed(g, func() int { return self.Get() })
	_, err = self.Read()
	assert.ErrorIs(t, err, ErrCycle)
	assert.PanicsWithError(t, ErrCycle.Error(), func() { self.Get() }, "Get panics with the error")

	t.Run("a cycle entered through a dependency walk", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		var c1, c2 *Computed[int]
		c1 = NewComputed(g, func() int {
			if s.Get() > 0 {
				return c2.Get()
			}
			return 1
		})
		c2 = NewComputed(g, func() int { return c1.Get() + 1 })
		g.Effect(func() { _, _ = c2.Read() })
		s.Set(1)
		_, err := c2.Read()
		assert.ErrorIs(t, err, ErrCycle)
		s.Set(0)
		v, err := c2.Read()
		require.NoError(t, err, "breaking the cycle heals the graph")
		assert.Equal(t, 2, v)
	})
}

func TestS11_effectWriteLoop(t *testing.T) {
	g, reported := newGraph(t, WithMaxEffectRuns(10))
	s := NewSignal(g, 0)
	other := NewSignal(g, 0)
	otherRuns := 0
	g.Effect(func() { other.Get(); otherRuns++ })
	g.Effect(func() { s.Set(s.Get() + 1) })
	// The creating run counts; the flush started by its write stops the loop.
	require.NotEmpty(t, *reported)
	assert.ErrorIs(t, (*reported)[0], ErrEffectLoop)
	assert.LessOrEqual(t, s.Peek(), 11, "bounded, never a hang")

	before := s.Peek()
	other.Set(1)
	assert.Equal(t, 2, otherRuns, "the graph still works")
	assert.Greater(t, s.Peek(), before, "the looping effect resumes at the next flush, bounded again")
	assert.LessOrEqual(t, s.Peek(), before+10)

	t.Run("the default limit is 100", func(t *testing.T) {
		g, reported := newGraph(t)
		s := NewSignal(g, 0)
		g.Effect(func() { s.Set(s.Get() + 1) })
		require.NotEmpty(t, *reported)
		assert.ErrorIs(t, (*reported)[0], ErrEffectLoop)
		assert.Equal(t, 101, s.Peek(), "one creating run, then 100 runs in the flush")
	})
}

func TestS12_errors(t *testing.T) {
	t.Run("a returned error reaches readers and dependents", func(t *testing.T) {
		g, reported := newGraph(t)
		s := NewSignal(g, -1)
		errNegative := errors.New("negative")
		root := NewComputedErr(g, func() (int, error) {
			if s.Get() < 0 {
				return 0, errNegative
			}
			return s.Get() * 2, nil
		})
		dep := NewComputed(g, func() int { return root.Get() + 1 })
		var effectSaw error
		g.Effect(func() { _, effectSaw = dep.Read() })

		_, err := root.Read()
		assert.ErrorIs(t, err, errNegative)
		_, err = dep.Read()
		assert.ErrorIs(t, err, errNegative, "the dependent delivers the same error")
		assert.ErrorIs(t, effectSaw, errNegative)
		assert.Empty(t, *reported, "the effect handled it by reading with Read")

		s.Set(4)
		v, err := dep.Read()
		require.NoError(t, err, "once the cause is fixed, it recomputes")
		assert.Equal(t, 9, v)
		assert.NoError(t, effectSaw)
	})
	t.Run("a panic reaches readers and dependents", func(t *testing.T) {
		g, reported := newGraph(t)
		s := NewSignal(g, 0)
		root := NewComputed(g, func() int { return 10 / s.Get() })
		mid := NewComputed(g, func() int { return root.Get() + 1 })
		top := NewComputed(g, func() int { return mid.Get() + 1 })
		_, err := top.Read()
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, pe.Error(), "divide by zero")
		_, midErr := mid.Read()
		assert.Same(t, pe, errAs[*PanicError](t, midErr), "one error value for every dependent")

		g.Effect(func() { top.Get() })
		require.Len(t, *reported, 1, "an effect that reads a failed computed with Get fails")

		s.Set(5)
		assert.Equal(t, 4, top.Get())
		assert.Len(t, *reported, 1, "and runs again once fixed")
	})
	t.Run("Get panics with the error, Read returns the last good value", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 1)
		c := NewComputedErr(g, func() (int, error) {
			if s.Get() == 0 {
				return 0, errors.New("zero")
			}
			return s.Get(), nil
		})
		assert.Equal(t, 1, c.Get())
		s.Set(0)
		v, err := c.Read()
		assert.EqualError(t, err, "zero")
		assert.Equal(t, 1, v)
		assert.PanicsWithError(t, "zero", func() { c.Get() })
	})
}

func errAs[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	require.ErrorAs(t, err, &e)
	return e
}

func TestS13_effectPanics(t *testing.T) {
	g, reported := newGraph(t)
	s := NewSignal(g, 0)
	var after []int
	g.Effect(func() {
		if s.Get() == 1 {
			panic("first failure")
		}
	})
	g.Effect(func() {
		if s.Get() == 1 {
			panic("second failure")
		}
	})
	g.Effect(func() { after = append(after, s.Get()) })
	s.Set(1)
	assert.Equal(t, []int{0, 1}, after, "the rest of the flush still runs")
	require.Len(t, *reported, 2)
	assert.Equal(t, "first failure", errAs[*PanicError](t, (*reported)[0]).Value, "the first failure reaches the hook first")
	s.Set(2)
	assert.Equal(t, []int{0, 1, 2}, after)
	assert.Len(t, *reported, 2, "the panicking effects recovered")

	t.Run("a panic on creation", func(t *testing.T) {
		g, reported := newGraph(t)
		s := NewSignal(g, 0)
		runs := 0
		g.Effect(func() {
			runs++
			if s.Get() == 0 {
				panic("not yet")
			}
		})
		require.Len(t, *reported, 1)
		s.Set(1)
		assert.Equal(t, 2, runs, "it kept what it read before the panic")
	})
	t.Run("a panicking error handler does not break the graph", func(t *testing.T) {
		g := NewGraph(WithErrorHandler(func(error) { panic("handler") }))
		s := NewSignal(g, 0)
		runs := 0
		g.Effect(func() {
			runs++
			if s.Get() == 1 {
				panic("effect")
			}
		})
		s.Set(1)
		s.Set(2)
		assert.Equal(t, 3, runs)
	})
}

func TestS14_depth(t *testing.T) {
	t.Run("a chain of 100,000 computeds", func(t *testing.T) {
		g, _ := newGraph(t)
		head := NewSignal(g, 0)
		tail := NewComputed(g, func() int { return head.Get() + 1 })
		const n = 100_000
		for i := 1; i < n; i++ {
			prev := tail
			tail = NewComputed(g, func() int { return prev.Get() + 1 })
			tail.Get() // built the way an app builds: each read as it comes
		}
		var seen int
		g.Effect(func() { seen = tail.Get() })
		head.Set(1)
		assert.Equal(t, n+1, seen)
		head.Set(2)
		assert.Equal(t, n+2, tail.Get())
	})
	t.Run("an unobserved chain of 100,000 computeds", func(t *testing.T) {
		g, _ := newGraph(t)
		head := NewSignal(g, 0)
		tail := NewComputed(g, func() int { return head.Get() + 1 })
		for i := 1; i < 100_000; i++ {
			prev := tail
			tail = NewComputed(g, func() int { return prev.Get() + 1 })
			tail.Get()
		}
		head.Set(5)
		assert.Equal(t, 100_005, tail.Get(), "validated by version, iteratively")
	})
	t.Run("cellx with 50,000 layers", func(t *testing.T) {
		g, _ := newGraph(t)
		update := buildCellx(g, 50_000)
		require.NoError(t, update())
	})
}

func TestS15_memory(t *testing.T) {
	t.Run("a disposed effect can be collected", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		c := NewComputed(g, func() int { return s.Get() + 1 })
		e := g.Effect(func() { c.Get() })
		w := weakOf(e)
		e.Dispose()
		e = nil
		assert.True(t, collected(w), "the graph keeps no link to a disposed effect")
		s.Set(1)
		assert.Equal(t, 2, c.Get())
	})
	t.Run("an unreferenced computed can be collected", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		c := NewComputed(g, func() int { return s.Get() + 1 })
		assert.Equal(t, 1, c.Get())
		w := weakOf(c)
		c = nil
		assert.True(t, collected(w), "a read computed leaves no pointer from its source")
		s.Set(1)
	})
	t.Run("a computed observed once, then not, can be collected", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		c := NewComputed(g, func() int { return s.Get() + 1 })
		scope := g.Scope(func() { g.Effect(func() { c.Get() }) })
		w := weakOf(c)
		c = nil
		scope.Dispose()
		assert.True(t, collected(w))
		s.Set(1)
	})
	t.Run("a graph of disposed effects keeps its signals' memory bounded", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 0)
		for range 10 {
			scope := g.Scope(func() {
				for range 1000 {
					g.Effect(func() { s.Get() })
				}
			})
			scope.Dispose()
		}
		assert.Nil(t, s.n.subs, "no subscribers left behind")
		assert.LessOrEqual(t, g.nfree, maxFreeLinks)
	})
}

func TestS17_watch(t *testing.T) {
	g, _ := newGraph(t)
	n := NewSignal(g, 1)
	type change struct{ old, new bool }
	var changes []change
	w := Watch(g, func() bool { return n.Get() > 10 }, func(old, new bool) {
		changes = append(changes, change{old, new})
	})
	n.Set(5)
	n.Set(11)
	n.Set(12)
	n.Set(3)
	assert.Equal(t, []change{{false, true}, {true, false}}, changes, "fn runs only when expr's value changes")
	w.Dispose()
	n.Set(20)
	assert.Len(t, changes, 2)

	t.Run("fn is untracked", func(t *testing.T) {
		g, _ := newGraph(t)
		a := NewSignal(g, 0)
		other := NewSignal(g, 0)
		calls := 0
		Watch(g, a.Get, func(_, _ int) { other.Get(); calls++ })
		a.Set(1)
		other.Set(1)
		assert.Equal(t, 1, calls)
	})
	t.Run("When resolves once pred is true", func(t *testing.T) {
		g, _ := newGraph(t)
		ready := NewSignal(g, false)
		calls := 0
		e := g.When(ready.Get, func() { calls++ })
		assert.Equal(t, 0, calls)
		ready.Set(true)
		ready.Set(false)
		ready.Set(true)
		assert.Equal(t, 1, calls)
		assert.Nil(t, ready.n.subs, "it stopped watching")
		e.Dispose()
	})
	t.Run("When resolves at once when pred already holds", func(t *testing.T) {
		g, _ := newGraph(t)
		ready := NewSignal(g, true)
		calls := 0
		g.When(ready.Get, func() { calls++ })
		assert.Equal(t, 1, calls)
		assert.Nil(t, ready.n.subs)
	})
	t.Run("disposing a When cancels it", func(t *testing.T) {
		g, _ := newGraph(t)
		ready := NewSignal(g, false)
		calls := 0
		g.When(ready.Get, func() { calls++ }).Dispose()
		ready.Set(true)
		assert.Equal(t, 0, calls)
	})
}
