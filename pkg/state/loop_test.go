package state

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestS16_ownership drives a graph from many goroutines the documented way:
// every touch goes through the graph's scheduler, a Loop. The race detector
// (make test runs -race) finds nothing.
func TestS16_ownership(t *testing.T) {
	var loop Loop
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()

	g := NewGraph(WithScheduler(loop.Dispatch))
	ready := make(chan *Signal[int])
	var total int
	loop.Dispatch(func() {
		s := NewSignal(g, 0)
		g.Effect(func() { total = s.Get() })
		ready <- s
	})
	s := <-ready

	const writers, writes = 8, 100
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range writes {
				g.Schedule(func() { s.Update(func(v int) int { return v + 1 }) })
			}
		}()
	}
	wg.Wait()
	result := make(chan int)
	loop.Dispatch(func() { result <- total })
	assert.Equal(t, writers*writes, <-result)

	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
}

func TestLoopDispatchFromItsOwnGoroutine(t *testing.T) {
	var loop Loop
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- loop.Run(ctx) }()
	var order []int
	finished := make(chan struct{})
	loop.Dispatch(func() {
		order = append(order, 1)
		loop.Dispatch(func() { // must not deadlock
			order = append(order, 3)
			close(finished)
		})
		order = append(order, 2)
	})
	<-finished
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, []int{1, 2, 3}, order)
}
