package state

import (
	"fmt"
	"strconv"
	"testing"
)

// The SIGNALS.md shapes as Go benchmarks. One op is one step of the case;
// the "µs/write" metric divides by the batched writes of a step, the unit the
// JavaScript harness reports. `make bench-state` runs these natively and under
// Node and prints them side by side.

func BenchmarkUpdate(b *testing.B) {
	for _, s := range updateShapes {
		b.Run(s.name, func(b *testing.B) {
			g := NewGraph()
			step := s.build(g)
			if err := step(); err != nil { // warm up and verify once
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*s.writes), "µs/write")
		})
	}
}

func BenchmarkCellx(b *testing.B) {
	for _, layers := range []int{1000, 5000} {
		b.Run(strconv.Itoa(layers), func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				g := NewGraph()
				var update func() error
				s := g.Scope(func() { update = buildCellx(g, layers) })
				b.StartTimer()
				if err := update(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.Dispose()
				b.StartTimer()
			}
		})
	}
}

func BenchmarkCreateSignals(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		if err := createSignals(NewGraph()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateComputeds(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		g := NewGraph()
		srcs := newSignals(g, createN)
		b.StartTimer()
		if err := createComputeds(g, srcs); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateEffects(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		g := NewGraph()
		srcs := newSignals(g, createN)
		runs := 0
		b.StartTimer()
		s, err := createEffects(g, srcs, &runs)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Dispose()
		b.StartTimer()
	}
}

func BenchmarkDisposeEffects(b *testing.B) {
	b.ReportAllocs()
	for range b.N {
		b.StopTimer()
		g := NewGraph()
		srcs := newSignals(g, createN)
		runs := 0
		s, err := createEffects(g, srcs, &runs)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		s.Dispose()
		b.StopTimer()
		g.Batch(func() { srcs[0].Set(-1) })
		if runs != createN {
			b.Fatalf("disposeEffects: a disposed effect ran (%d runs)", runs)
		}
		b.StartTimer()
	}
}

// BenchmarkFailure is issue 11's case 3: a chain of n computeds over 100 / s,
// observed by an effect that reads the tail with Read. One op is a write
// that makes the head fail and every node above it fail in turn, then a
// write that fixes it; "update" is the same two writes without a failure.
// A failure must cost what an update costs: linear in the nodes it reaches.
func BenchmarkFailure(b *testing.B) {
	for _, n := range []int{1000, 8000} {
		for _, fail := range []bool{false, true} {
			name := fmt.Sprintf("chain=%d/update", n)
			if fail {
				name = fmt.Sprintf("chain=%d/failure", n)
			}
			b.Run(name, func(b *testing.B) {
				g := NewGraph(WithErrorHandler(func(err error) { b.Fatal(err) }))
				s := NewSignal(g, 1)
				tail := NewComputed(g, func() int { return 100 / s.Get() })
				for range n - 1 {
					prev := tail
					tail = NewComputed(g, func() int { return prev.Get() + 1 })
				}
				var err error
				var v int
				g.Effect(func() { v, err = tail.Read() })
				bad := 2
				if fail {
					bad = 0
				}
				b.ResetTimer()
				for range b.N {
					s.Set(bad)
					if fail != (err != nil) {
						b.Fatalf("after the bad write: %v", err)
					}
					s.Set(1)
					if err != nil || v != 100+n-1 {
						b.Fatalf("after the fix: %d, %v", v, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*2*n), "ns/node")
			})
		}
	}
}
