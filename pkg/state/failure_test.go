package state

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Failures inside dependency walks: what outside testing found (issue 11).
// Every go-app component is an owned effect and every server error a failure
// somewhere in a chain, so these are the graph's everyday paths.

// chainOver returns the tail of k computeds over 100 / s, each adding one.
func chainOver(g *Graph, s *Signal[int], k int) *Computed[int] {
	c := NewComputed(g, func() int { return 100 / s.Get() })
	for range k - 1 {
		prev := c
		c = NewComputed(g, func() int { return prev.Get() + 1 })
	}
	return c
}

func TestS12_anEffectRerunsOnceAFailureInItsChainIsFixed(t *testing.T) {
	for k := 1; k <= 6; k++ {
		t.Run(fmt.Sprintf("a chain of %d read with Get", k), func(t *testing.T) {
			g, reported := newGraph(t)
			s := NewSignal(g, 1)
			tail := chainOver(g, s, k)
			seen, runs := 0, 0
			g.Effect(func() { runs++; seen = tail.Get() })
			require.Equal(t, 100+k-1, seen)

			s.Set(0)
			assert.Equal(t, 2, runs, "the effect met the failure once")
			require.Len(t, *reported, 1, "and reported it")
			assert.ErrorContains(t, (*reported)[0], "divide by zero")

			s.Set(4)
			assert.Equal(t, 3, runs, "fixing the cause reruns the effect")
			assert.Equal(t, 25+k-1, seen)
			s.Set(5)
			assert.Equal(t, 20+k-1, seen, "and later writes still reach it")
			assert.Len(t, *reported, 1)
		})
		t.Run(fmt.Sprintf("a chain of %d read with Read", k), func(t *testing.T) {
			g, reported := newGraph(t)
			s := NewSignal(g, 1)
			tail := chainOver(g, s, k)
			var seen int
			var seenErr error
			g.Effect(func() { seen, seenErr = tail.Read() })
			s.Set(0)
			assert.ErrorContains(t, seenErr, "divide by zero")
			s.Set(4)
			require.NoError(t, seenErr)
			assert.Equal(t, 25+k-1, seen)
			s.Set(10)
			assert.Equal(t, 10+k-1, seen)
			assert.Empty(t, *reported, "Read hands the error to the effect")
		})
	}
	t.Run("an effect reading with Read after a batch that also changed a sibling", func(t *testing.T) {
		g, _ := newGraph(t)
		s, s2 := NewSignal(g, 1), NewSignal(g, 0)
		f := NewComputed(g, func() int { return 100 / s.Get() })
		y := NewComputed(g, func() int { return f.Get() + 1 })
		x := NewComputed(g, func() int { return s2.Get() + y.Get() })
		var seen int
		var seenErr error
		g.Effect(func() { seen, seenErr = x.Read() })
		g.Batch(func() { s2.Set(1); s.Set(0) })
		require.ErrorContains(t, seenErr, "divide by zero")
		s.Set(4)
		require.NoError(t, seenErr, "the effect is not left on the old error")
		assert.Equal(t, 27, seen)
	})
	t.Run("a failure met by a computed that handles it with Read", func(t *testing.T) {
		g, _ := newGraph(t)
		s := NewSignal(g, 1)
		f := NewComputed(g, func() int { return 100 / s.Get() })
		handled := NewComputed(g, func() int {
			v, err := f.Read()
			if err != nil {
				return -1
			}
			return v
		})
		top := NewComputed(g, func() int { return handled.Get() + 1 })
		seen, runs := 0, 0
		g.Effect(func() { runs++; seen = top.Get() })
		s.Set(0)
		assert.Equal(t, 0, seen, "the handled failure is a value to the nodes above")
		s.Set(2)
		assert.Equal(t, 51, seen)
		assert.Equal(t, 3, runs)
	})
	t.Run("a failure in one of two branches of a diamond", func(t *testing.T) {
		g, reported := newGraph(t)
		s := NewSignal(g, 1)
		left := chainOver(g, s, 3)
		right := NewComputed(g, func() int { return s.Get() * 2 })
		sum := NewComputed(g, func() int { return right.Get() + left.Get() })
		seen, runs := 0, 0
		g.Effect(func() { runs++; seen = sum.Get() })
		s.Set(0)
		s.Set(2)
		assert.Equal(t, 4+52, seen)
		assert.Equal(t, 3, runs)
		assert.Len(t, *reported, 1)
	})
}

// TestS12_aFailureWalksEachNodeOnce counts the work of a failure in a deep
// chain through a source every node reads first: a dependency walk polls
// each source it passes. The walk must go down the chain once, whatever the
// number of nodes that fail on the way back up (issue 11: it restarted from
// the read node after every failure, which made a failure quadratic).
func TestS12_aFailureWalksEachNodeOnce(t *testing.T) {
	for _, observed := range []bool{false, true} {
		t.Run(fmt.Sprintf("observed=%v", observed), func(t *testing.T) {
			g, _ := newGraph(t)
			polls := 0
			src := FromSource(g, func() int { polls++; return 0 }, func(func()) func() { return func() {} })
			s := NewSignal(g, 1)
			const n = 300
			c := NewComputed(g, func() int { return 100 / s.Get() })
			for range n - 1 {
				prev := c
				c = NewComputed(g, func() int { return src.Get() + prev.Get() + 1 })
			}
			var err error
			if observed {
				g.Effect(func() { _, err = c.Read() })
			} else {
				_, err = c.Read()
			}
			require.NoError(t, err)

			polls = 0
			s.Set(0)
			if !observed {
				_, err = c.Read()
			}
			require.ErrorContains(t, err, "divide by zero")
			assert.LessOrEqual(t, polls, 2*n, "each node's source polled about once, not once per failed node below it")
		})
	}
}

func TestS11_anOwnedLoopingEffectReportsOncePerFlush(t *testing.T) {
	for _, owner := range []string{"a scope", "an effect"} {
		t.Run("owned by "+owner, func(t *testing.T) {
			g, reported := newGraph(t)
			a, other := NewSignal(g, 0), NewSignal(g, 0)
			otherRuns := 0
			g.Effect(func() { otherRuns++; other.Get() })
			loop := func() { g.Effect(func() { a.Set(a.Get() + 1) }) }
			if owner == "a scope" {
				g.Scope(loop)
			} else {
				g.Effect(loop)
			}
			require.Len(t, *reported, 1, "one report for the flush the loop was stopped in")
			assert.ErrorIs(t, (*reported)[0], ErrEffectLoop)
			assert.Equal(t, 101, a.Peek(), "one creating run, then 100 in the flush")

			for i := 1; i <= 3; i++ {
				other.Set(i)
				assert.Len(t, *reported, 1+i, "one more report per flush, however many flushes")
				assert.Equal(t, 101+100*i, a.Peek(), "the deferred effect resumes for one limit's worth")
				assert.Equal(t, 1+i, otherRuns)
			}
		})
	}
	t.Run("an effect owned by a looping effect waits with its owner", func(t *testing.T) {
		g, reported := newGraph(t, WithMaxEffectRuns(5))
		a, b := NewSignal(g, 0), NewSignal(g, 0)
		childRuns := 0
		g.Effect(func() {
			a.Set(a.Get() + 1)
			g.Effect(func() { childRuns++; b.Get() })
		})
		require.Len(t, *reported, 1)
		assert.Equal(t, 6, a.Peek())
		assert.Equal(t, 6, childRuns, "each run of the owner made a child that ran once")
		b.Set(1)
		assert.Len(t, *reported, 2, "the owner, deferred, loops again in the next flush")
	})
}

// TestS14_firstReadOfADeepChain reads a chain that was never read before:
// the first read must run every function, one calling the next. Under WASM
// this ran out of the JavaScript engine's stack and killed the program
// (make test runs this package's WASM tests with Node's default stack).
func TestS14_firstReadOfADeepChain(t *testing.T) {
	const n = 100_000
	build := func(g *Graph) (*Signal[int], *Computed[int]) {
		head := NewSignal(g, 0)
		tail := NewComputed(g, func() int { return head.Get() + 1 })
		for range n - 1 {
			prev := tail
			tail = NewComputed(g, func() int { return prev.Get() + 1 })
		}
		return head, tail
	}
	t.Run("read from outside", func(t *testing.T) {
		g, _ := newGraph(t)
		head, tail := build(g)
		assert.Equal(t, n, tail.Get())
		head.Set(1)
		assert.Equal(t, n+1, tail.Get())
	})
	t.Run("read by an effect", func(t *testing.T) {
		g, reported := newGraph(t)
		head, tail := build(g)
		seen := 0
		g.Effect(func() { seen = tail.Get() })
		assert.Equal(t, n, seen)
		head.Set(2)
		assert.Equal(t, n+2, seen)
		assert.Empty(t, *reported)
	})
	t.Run("read with Read, failing at the far end", func(t *testing.T) {
		g, _ := newGraph(t)
		head := NewSignal(g, 0)
		tail := NewComputedErr(g, func() (int, error) {
			if head.Get() == 0 {
				return 0, errors.New("far end")
			}
			return 1, nil
		})
		for range n - 1 {
			prev := tail
			tail = NewComputed(g, func() int { return prev.Get() + 1 })
		}
		_, err := tail.Read()
		require.EqualError(t, err, "far end")
		head.Set(1)
		v, err := tail.Read()
		require.NoError(t, err)
		assert.Equal(t, n, v)
	})
}

// TestS02_anUnobservedChainOverASource reads a chain of computeds over a
// source that nothing observes. Each read from outside reads the source once
// (it may have changed unseen) and no more: the walk used to descend again
// into every node that depends on a source, forever.
func TestS02_anUnobservedChainOverASource(t *testing.T) {
	g, _ := newGraph(t)
	polls, value := 0, 1
	src := FromSource(g, func() int { polls++; return value }, func(func()) func() { return func() {} })
	c := NewComputed(g, func() int { return src.Get() * 10 })
	for range 49 {
		prev := c
		c = NewComputed(g, func() int { return prev.Get() + 1 })
	}
	assert.Equal(t, 59, c.Get())
	polls = 0
	assert.Equal(t, 59, c.Get())
	assert.Equal(t, 1, polls, "a read polls the source once")
	value = 2 // changed unseen
	assert.Equal(t, 69, c.Get())
	assert.Equal(t, 2, polls)
	v, err := c.Read()
	require.NoError(t, err)
	assert.Equal(t, 69, v)
	assert.Equal(t, 3, polls)
}

// TestS11_theZeroGraphIsReady: the zero Graph works like NewGraph(), with
// the default loop limit (it used to stop every effect after its first run).
func TestS11_theZeroGraphIsReady(t *testing.T) {
	var g Graph
	s := NewSignal(&g, 1)
	double := NewComputed(&g, func() int { return s.Get() * 2 })
	var seen []int
	g.Effect(func() { seen = append(seen, double.Get()) })
	s.Set(2)
	s.Set(3)
	assert.Equal(t, []int{2, 4, 6}, seen)

	var reported []error
	g2 := Graph{}
	g2.onError = func(err error) { reported = append(reported, err) }
	l2 := NewSignal(&g2, 0)
	g2.Effect(func() { l2.Set(l2.Get() + 1) })
	require.Len(t, reported, 1)
	assert.Equal(t, 101, l2.Peek(), "the default limit: one creating run, then 100")
}

func TestS15_statsCountWhatIsAlive(t *testing.T) {
	g, _ := newGraph(t)
	s := NewSignal(g, 1)
	c := NewComputed(g, func() int { return s.Get() + 1 })
	assert.Equal(t, Stats{}, g.Stats())
	scope := g.Scope(func() {
		g.Effect(func() { c.Get() })
		g.Effect(func() { g.Effect(func() { s.Get() }) })
	})
	assert.Equal(t, Stats{Effects: 3, Watched: 2}, g.Stats(), "three effects; s and c watched")
	s.Set(2)
	assert.Equal(t, Stats{Effects: 3, Watched: 2}, g.Stats(), "an owner's rerun replaces what it owned")
	scope.Dispose()
	assert.Equal(t, Stats{}, g.Stats(), "nothing left after dispose")
	scope.Dispose()
	assert.Equal(t, Stats{}, g.Stats())
}

func TestS08_adoptTiesADisposalToTheRunningOwner(t *testing.T) {
	g, reported := newGraph(t)
	disposed := 0
	assert.False(t, g.Adopt(func() { disposed++ }), "no owner outside effects and scopes")
	s := NewSignal(g, 0)
	g.Effect(func() {
		s.Get()
		assert.True(t, g.Adopt(func() { disposed++ }))
	})
	s.Set(1)
	assert.Equal(t, 1, disposed, "the owner's rerun disposes what it adopted")
	assert.Empty(t, *reported)
}
