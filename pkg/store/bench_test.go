package store

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Benchmarks of issue 5 and PERFORMANCE.md: recompute cost must follow the
// pending mutations of the touched entity, not the collection.

// nullTransport never answers, so mutations stay pending.
type nullTransport struct{}

func (nullTransport) RoundTrip(ctx context.Context, _ *cache.Request) (*cache.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func benchCollection(b *testing.B, n int) (*state.Graph, *Store, *Collection[Todo], []wire.Item) {
	b.Helper()
	// Nothing answers in these benchmarks, so no work comes back from the
	// network; what Close's cancellations hand back is dropped.
	g := state.NewGraph(state.WithScheduler(func(func()) {}))
	s, err := New(Options{Graph: g, Transport: nullTransport{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	c, err := NewCollection(s, CollectionOptions[Todo, Todo]{Name: "todos", Codec: Identity[Todo](),
		Equal: func(a, b Todo) bool { return a == b }})
	if err != nil {
		b.Fatal(err)
	}
	items := make([]wire.Item, n)
	for i := range items {
		t := Todo{ID: fmt.Sprintf("t%05d", i), ListID: "l1", Title: fmt.Sprint("todo ", i), Position: float64(i), Done: i%3 == 0}
		data, _ := json.Marshal(t)
		items[i] = wire.Item{ID: t.ID, Version: 1, Data: data}
	}
	c.Replace(items, "e", 1, false)
	return g, s, c, items
}

// BenchmarkConfirmations applies 10,000 confirmations (newer versions of
// every entity) to a 10,000-entity collection with 100 pending mutations, all
// watched by a sorted, filtered view. One op is the whole batch.
func BenchmarkConfirmations(b *testing.B) {
	g, s, c, items := benchCollection(b, 10_000)
	view := c.View(Where(open), OrderBy(byPosition))
	defer view.Dispose()
	g.Effect(func() { view.IDs() })
	rename := renameTodo(c)
	for i := 0; i < 100; i++ {
		rename.Run(Todo{ID: items[i*100].ID, Title: "pending"})
	}
	next := make([]wire.Item, len(items))
	version := uint64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		version++
		for i, it := range items {
			next[i] = wire.Item{ID: it.ID, Version: version, Data: it.Data}
		}
		b.StartTimer()
		s.Batch(func() { c.ApplyItems(next...) })
		if v, _ := c.Get(items[100].ID); v.Title != "pending" {
			b.Fatal("pending mutation lost")
		}
		if _, ver, _ := c.Confirmed(items[9999].ID); ver != version {
			b.Fatal("confirmation not applied")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1e3/float64(b.N*len(items)), "µs/confirmation")
}

// BenchmarkKeystroke is one keystroke-sized patch of a title, visible
// through a 10,000-item sorted, filtered view: the optimistic apply and its
// propagation to the one row that shows it. Keystrokes go round-robin over
// 100 entities, and the server's acknowledgement of the last 100 comes every
// 100 keystrokes, so an entity holds one pending patch at a time, as when
// typing against a live server.
func BenchmarkKeystroke(b *testing.B) {
	g, s, c, items := benchCollection(b, 10_000)
	view := c.View(Where(open), OrderBy(byPosition))
	defer view.Dispose()
	orderRuns, rowRuns := 0, 0
	g.Effect(func() { view.IDs(); orderRuns++ })
	const rows = 100
	for i := range rows {
		g.Effect(func() { c.Get(items[i].ID); rowRuns++ })
	}
	type edit struct{ id, title string }
	typing := NewMutation(c, nil, func(e edit) Op[Todo] {
		return Patch(e.id, func(t *Todo) { t.Title = e.title }, "title")
	})
	titles := []string{"a", "ab"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		typing.Run(edit{items[i%rows].ID, titles[(i/rows)%2]})
		if i%rows == rows-1 {
			s.Acknowledge(s.LastMutationID())
		}
	}
	b.StopTimer()
	if orderRuns != 1 {
		b.Fatalf("the view's order changed %d times; a title edit must not move rows", orderRuns-1)
	}
	if rowRuns < rows+b.N {
		b.Fatalf("rows ran %d times for %d keystrokes", rowRuns-rows, b.N)
	}
}

// BenchmarkKeystrokeMovesRow is the same with a sort key that changes: the
// row moves in the view.
func BenchmarkKeystrokeMovesRow(b *testing.B) {
	g, _, c, items := benchCollection(b, 10_000)
	view := c.View(Where(open), OrderBy(func(a, b Todo) int {
		switch {
		case a.Title < b.Title:
			return -1
		case a.Title > b.Title:
			return 1
		}
		return 0
	}))
	defer view.Dispose()
	g.Effect(func() { view.IDs() })
	id := items[1].ID
	titles := []string{"todo 5000x", "todo 9"}
	typing := NewMutation(c, nil, func(title string) Op[Todo] {
		return Patch(id, func(t *Todo) { t.Title = title }, "title")
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		typing.Run(titles[i%2])
	}
}

// BenchmarkOptimisticMutation1000 is PERFORMANCE.md's "one optimistic
// mutation on a 1,000-item list": apply and show, through the store, in a
// list rendered the way a UI does — one effect for the order, one per row —
// with the server's acknowledgements arriving as in BenchmarkKeystroke.
func BenchmarkOptimisticMutation1000(b *testing.B) {
	g, s, c, items := benchCollection(b, 1_000)
	view := c.View(OrderBy(byPosition))
	defer view.Dispose()
	g.Effect(func() { view.IDs() })
	for _, it := range items {
		g.Effect(func() { c.Get(it.ID) })
	}
	toggle := toggleTodo(c)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		toggle.Run(items[i%len(items)].ID)
		if i%100 == 99 {
			s.Acknowledge(s.LastMutationID())
		}
	}
}
