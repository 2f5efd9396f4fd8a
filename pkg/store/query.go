package store

import (
	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
)

// A Query shows a cache.Observer in the signal graph: the bridge between the
// query cache and UI state. Neither package imports the other; the bridge is
// state.FromSource over the observer's Result and Subscribe, so the observer
// is subscribed — and fetches — only while something observes the Query.
//
// Result is a tracked read that changes with any part of the result; Data
// changes only when the data does (cache.Result.DataVersion), so a component
// reading Data re-renders when, and only when, the data changes.
type Query[T any] struct {
	src  *state.Source[cache.Result[T]]
	data *state.Computed[dataView[T]]
}

type dataView[T any] struct {
	v       T
	ok      bool
	version uint64
}

// NewQuery bridges o into g.
func NewQuery[T any](g *state.Graph, o *cache.Observer[T]) *Query[T] {
	q := &Query[T]{src: state.FromSourceFunc(g, o.Result, o.Subscribe, sameResult[T])}
	q.data = state.NewComputedFunc(g, func() dataView[T] {
		r := q.src.Get()
		return dataView[T]{r.Data, r.HasData, r.DataVersion}
	}, func(a, b dataView[T]) bool { return a.ok == b.ok && a.version == b.version })
	return q
}

// Result returns the observer's current result.
func (q *Query[T]) Result() cache.Result[T] { return q.src.Get() }

// Data returns the data and whether there is any.
func (q *Query[T]) Data() (T, bool) {
	d := q.data.Get()
	return d.v, d.ok
}

// sameResult compares what a result exposes without comparing T (which may
// not be comparable) or error values (which may not be either): the
// versions and counters change whenever those do.
func sameResult[T any](a, b cache.Result[T]) bool {
	return a.Status == b.Status && a.FetchStatus == b.FetchStatus &&
		a.HasData == b.HasData && a.DataVersion == b.DataVersion &&
		a.DataUpdateCount == b.DataUpdateCount && a.ErrorUpdateCount == b.ErrorUpdateCount &&
		a.FailureCount == b.FailureCount && a.IsStale == b.IsStale &&
		a.IsPlaceholderData == b.IsPlaceholderData && a.IsFetchedAfterMount == b.IsFetchedAfterMount &&
		(a.Error == nil) == (b.Error == nil) && (a.FailureReason == nil) == (b.FailureReason == nil)
}
