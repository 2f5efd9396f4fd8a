package state

import (
	"fmt"
)

// The benchmark shapes of SIGNALS.md, shared by the benchmarks, the
// allocation tests and the depth tests. Every step checks its results and
// returns an error instead of a number it has not verified.

// sink keeps busy work observable so the compiler cannot drop it.
var sink int

// busy is the fixed "busy work" of SIGNALS.md: 100 integer additions.
func busy() {
	a := 0
	for i := 0; i < 100; i++ {
		a += i & 3
	}
	sink ^= a
}

type getter[T any] interface{ Get() T }

// A shape builds its graph once and returns a step that performs the case's
// batched writes and checks them.
type shape struct {
	name   string
	writes int // batched writes per step
	build  func(g *Graph) func() error
}

var updateShapes = []shape{
	{"deep", 50, buildDeep},
	{"broad", 50, buildBroad},
	{"diamond", 100, buildDiamond},
	{"triangle", 100, buildTriangle},
	{"mux", 20, buildMux},
	{"repeated", 100, buildRepeated},
	{"unstable", 100, buildUnstable},
	{"avoidable", 200, buildAvoidable},
}

func buildDeep(g *Graph) func() error {
	head := NewSignal(g, 0)
	tail := NewComputed(g, func() int { return head.Get() + 1 })
	for i := 1; i < 50; i++ {
		prev := tail
		tail = NewComputed(g, func() int { return prev.Get() + 1 })
	}
	runs := 0
	g.Effect(func() { tail.Get(); runs++ })
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 50; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := tail.Get(); got != v+50 {
				return fmt.Errorf("deep: tail %d, want %d", got, v+50)
			}
		}
		if runs != 50 {
			return fmt.Errorf("deep: effect ran %d times, want 50", runs)
		}
		return nil
	}
}

func buildBroad(g *Graph) func() error {
	head := NewSignal(g, 0)
	var last *Computed[int]
	runs := 0
	for i := 0; i < 50; i++ {
		a := NewComputed(g, func() int { return head.Get() + i })
		b := NewComputed(g, func() int { return a.Get() + 1 })
		g.Effect(func() { b.Get(); runs++ })
		last = b
	}
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 50; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := last.Get(); got != v+50 {
				return fmt.Errorf("broad: %d, want %d", got, v+50)
			}
		}
		if runs != 2500 {
			return fmt.Errorf("broad: effects ran %d times, want 2500", runs)
		}
		return nil
	}
}

func buildDiamond(g *Graph) func() error {
	head := NewSignal(g, 0)
	mids := make([]*Computed[int], 5)
	for i := range mids {
		mids[i] = NewComputed(g, func() int { return head.Get() + 1 })
	}
	sum := NewComputed(g, func() int {
		s := 0
		for _, m := range mids {
			s += m.Get()
		}
		return s
	})
	runs, glitch := 0, false
	g.Effect(func() {
		if sum.Get()%5 != 0 {
			glitch = true
		}
		runs++
	})
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 100; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := sum.Get(); got != (v+1)*5 {
				return fmt.Errorf("diamond: sum %d, want %d", got, (v+1)*5)
			}
		}
		if glitch {
			return fmt.Errorf("diamond: effect saw an inconsistent sum")
		}
		if runs != 100 {
			return fmt.Errorf("diamond: effect ran %d times, want 100", runs)
		}
		return nil
	}
}

func buildTriangle(g *Graph) func() error {
	head := NewSignal(g, 0)
	levels := []*Computed[int]{NewComputed(g, func() int { return head.Get() + 1 })}
	for i := 1; i < 9; i++ {
		prev := levels[i-1]
		levels = append(levels, NewComputed(g, func() int { return prev.Get() + 1 }))
	}
	sum := NewComputed(g, func() int {
		s := head.Get()
		for _, l := range levels {
			s += l.Get()
		}
		return s
	})
	runs := 0
	g.Effect(func() { sum.Get(); runs++ })
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 100; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := sum.Get(); got != 10*v+45 {
				return fmt.Errorf("triangle: sum %d, want %d", got, 10*v+45)
			}
		}
		if runs != 100 {
			return fmt.Errorf("triangle: effect ran %d times, want 100", runs)
		}
		return nil
	}
}

func buildMux(g *Graph) func() error {
	inputs := make([]*Signal[int], 100)
	for i := range inputs {
		inputs[i] = NewSignal(g, 0)
	}
	all := NewComputedFunc(g, func() []int {
		out := make([]int, len(inputs))
		for i, in := range inputs {
			out[i] = in.Get()
		}
		return out
	}, nil)
	outs := make([]*Computed[int], 100)
	runs := 0
	for i := range outs {
		pick := NewComputed(g, func() int { return all.Get()[i] })
		plus := NewComputed(g, func() int { return pick.Get() + 1 })
		g.Effect(func() { plus.Get(); runs++ })
		outs[i] = plus
	}
	v := 0
	return func() error {
		runs = 0
		for k := 0; k < 20; k++ {
			i := k % 10
			v++
			g.Batch(func() { inputs[i].Set(v) })
			if got := outs[i].Get(); got != v+1 {
				return fmt.Errorf("mux: lane %d = %d, want %d", i, got, v+1)
			}
		}
		if runs != 20 {
			return fmt.Errorf("mux: effects ran %d times, want 20", runs)
		}
		return nil
	}
}

func buildRepeated(g *Graph) func() error {
	head := NewSignal(g, 0)
	c := NewComputed(g, func() int {
		s := 0
		for i := 0; i < 30; i++ {
			s += head.Get()
		}
		return s
	})
	runs := 0
	g.Effect(func() { c.Get(); runs++ })
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 100; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := c.Get(); got != 30*v {
				return fmt.Errorf("repeated: %d, want %d", got, 30*v)
			}
		}
		if runs != 100 {
			return fmt.Errorf("repeated: effect ran %d times, want 100", runs)
		}
		return nil
	}
}

func buildUnstable(g *Graph) func() error {
	head := NewSignal(g, 0)
	dbl := NewComputed(g, func() int { return head.Get() * 2 })
	neg := NewComputed(g, func() int { return -head.Get() })
	c := NewComputed(g, func() int {
		s := 0
		for i := 0; i < 20; i++ {
			if head.Get()%2 != 0 {
				s += dbl.Get()
			} else {
				s += neg.Get()
			}
		}
		return s
	})
	runs := 0
	g.Effect(func() { c.Get(); runs++ })
	v := 0
	return func() error {
		runs = 0
		for i := 0; i < 100; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			want := -20 * v
			if v%2 != 0 {
				want = 40 * v
			}
			if got := c.Get(); got != want {
				return fmt.Errorf("unstable: %d, want %d", got, want)
			}
		}
		if runs != 100 {
			return fmt.Errorf("unstable: effect ran %d times, want 100", runs)
		}
		return nil
	}
}

func buildAvoidable(g *Graph) func() error {
	head := NewSignal(g, 0)
	c1 := NewComputed(g, func() int { return head.Get() })
	c2 := NewComputed(g, func() int { c1.Get(); return 0 })
	c3runs := 0
	c3 := NewComputed(g, func() int { busy(); c3runs++; return c2.Get() + 1 })
	c4 := NewComputed(g, func() int { return c3.Get() + 2 })
	c5 := NewComputed(g, func() int { return c4.Get() + 3 })
	runs := 0
	g.Effect(func() { c5.Get(); busy(); runs++ })
	v := 0
	return func() error {
		runs, c3runs = 0, 0
		for i := 0; i < 200; i++ {
			v++
			g.Batch(func() { head.Set(v) })
			if got := c5.Get(); got != 6 {
				return fmt.Errorf("avoidable: %d, want 6", got)
			}
		}
		if c3runs != 0 || runs != 0 {
			return fmt.Errorf("avoidable: c3 re-ran %d times, effect %d times, want 0", c3runs, runs)
		}
		return nil
	}
}

// cellxLayer adds a layer of four computeds over p, one effect each.
func cellxLayer[N getter[int]](g *Graph, p [4]N) [4]*Computed[int] {
	next := [4]*Computed[int]{
		NewComputed(g, func() int { return p[1].Get() }),
		NewComputed(g, func() int { return p[0].Get() - p[2].Get() }),
		NewComputed(g, func() int { return p[1].Get() + p[3].Get() }),
		NewComputed(g, func() int { return p[2].Get() }),
	}
	for _, c := range next {
		g.Effect(func() { c.Get() })
	}
	return next
}

// cellxExpected is the closed form of the cellx layers.
func cellxExpected(layers int, start [4]int) [4]int {
	a, b, c, d := start[0], start[1], start[2], start[3]
	for i := 0; i < layers; i++ {
		a, b, c, d = b, a-c, b+d, c
	}
	return [4]int{a, b, c, d}
}

// buildCellx builds the cellx graph and returns its timed update: read the
// last layer, write all four sources in one batch, read it again.
func buildCellx(g *Graph, layers int) func() error {
	src := [4]*Signal[int]{NewSignal(g, 1), NewSignal(g, 2), NewSignal(g, 3), NewSignal(g, 4)}
	layer := cellxLayer(g, src)
	for i := 1; i < layers; i++ {
		layer = cellxLayer(g, layer)
	}
	read := func() [4]int {
		return [4]int{layer[0].Get(), layer[1].Get(), layer[2].Get(), layer[3].Get()}
	}
	before := cellxExpected(layers, [4]int{1, 2, 3, 4})
	after := cellxExpected(layers, [4]int{4, 3, 2, 1})
	return func() error {
		if got := read(); got != before {
			return fmt.Errorf("cellx%d: before %v, want %v", layers, got, before)
		}
		g.Batch(func() {
			src[0].Set(4)
			src[1].Set(3)
			src[2].Set(2)
			src[3].Set(1)
		})
		if got := read(); got != after {
			return fmt.Errorf("cellx%d: after %v, want %v", layers, got, after)
		}
		return nil
	}
}

const createN = 100_000

func createSignals(g *Graph) error {
	out := make([]*Signal[int], createN)
	for i := range out {
		out[i] = NewSignal(g, i)
	}
	if out[createN-1].Get() != createN-1 {
		return fmt.Errorf("createSignals: bad value")
	}
	return nil
}

// createComputeds creates a computed over each of srcs and reads each once.
func createComputeds(g *Graph, srcs []*Signal[int]) error {
	cs := make([]*Computed[int], len(srcs))
	for i, s := range srcs {
		cs[i] = NewComputed(g, func() int { return s.Get() + 1 })
	}
	sum := 0
	for _, c := range cs {
		sum += c.Get()
	}
	n := len(srcs)
	if want := n*(n-1)/2 + n; sum != want {
		return fmt.Errorf("createComputeds: sum %d, want %d", sum, want)
	}
	return nil
}

// createEffects creates an effect over each of srcs inside a new scope.
func createEffects(g *Graph, srcs []*Signal[int], runs *int) (*Scope, error) {
	s := g.Scope(func() {
		for _, src := range srcs {
			g.Effect(func() { src.Get(); *runs++ })
		}
	})
	if *runs != len(srcs) {
		return s, fmt.Errorf("createEffects: %d first runs, want %d", *runs, len(srcs))
	}
	return s, nil
}

func newSignals(g *Graph, n int) []*Signal[int] {
	srcs := make([]*Signal[int], n)
	for i := range srcs {
		srcs[i] = NewSignal(g, i)
	}
	return srcs
}
