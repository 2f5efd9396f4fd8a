package floor

import "testing"

type cell struct {
	flags uint64
	ver   uint64
	next  *cell
	val   int
}

func list(n int) *cell {
	var head *cell
	for i := range n {
		head = &cell{next: head, val: i}
	}
	return head
}

// walk marks every cell of the list, then clears the marks, bumping each
// cell's version and summing the values.
func walk(head *cell) int {
	for c := head; c != nil; c = c.next {
		if c.flags&3 == 0 {
			c.flags |= 2
		}
	}
	s := 0
	for c := head; c != nil; c = c.next {
		if c.flags&2 != 0 {
			c.flags &^= 2
			c.ver++
			s += c.val
		}
	}
	return s
}

func BenchmarkWalk50(b *testing.B) {
	head := list(50)
	for range b.N {
		if got := walk(head); got != 49*50/2 {
			b.Fatalf("walk: %d", got)
		}
	}
}

func BenchmarkClosureChain50(b *testing.B) {
	f := func() int { return 0 }
	for range 50 {
		prev := f
		f = func() int { return prev() + 1 }
	}
	for range b.N {
		if got := f(); got != 50 {
			b.Fatalf("chain: %d", got)
		}
	}
}

type graph struct{ cur uint64 }

type signal struct {
	run uint64
	g   *graph
	val int
}

//go:noinline
func (g *graph) track(s *signal) { s.run = g.cur }

func (s *signal) get() int {
	if s.run != s.g.cur {
		s.g.track(s)
	}
	return s.val
}

func BenchmarkGuardedReads30(b *testing.B) {
	g := &graph{}
	s := &signal{g: g, val: 1}
	for i := range b.N {
		g.cur = uint64(i + 1)
		t := 0
		for range 30 {
			t += s.get()
		}
		if t != 30 || s.run != g.cur {
			b.Fatalf("reads: %d", t)
		}
	}
}
