package cache

import (
	"reflect"
	"time"
)

// Status says whether a query has data: Pending (none yet), Error (the
// last fetch failed) or Success.
type Status uint8

// The statuses of a query. The zero Status is invalid.
const (
	StatusPending Status = iota + 1
	StatusError
	StatusSuccess
)

func (s Status) String() string {
	switch s {
	case StatusPending:
		return "pending"
	case StatusError:
		return "error"
	case StatusSuccess:
		return "success"
	}
	return "unknown"
}

// FetchStatus says whether a query function is running: Fetching, Paused
// (waiting for the network or focus) or Idle. In a Filter the zero value
// matches any.
type FetchStatus uint8

// The fetch statuses of a query.
const (
	FetchIdle FetchStatus = iota + 1
	Fetching
	FetchPaused
)

func (s FetchStatus) String() string {
	switch s {
	case FetchIdle:
		return "idle"
	case Fetching:
		return "fetching"
	case FetchPaused:
		return "paused"
	}
	return "any"
}

// Result is what an observer shows of its query: one value, replaced as a
// whole when anything in it changes. It is TanStack's QueryObserverResult;
// HasData stands for data !== undefined.
type Result[T any] struct {
	Status      Status
	FetchStatus FetchStatus
	// Data is the query's data (after the observer's select), the
	// placeholder, or the zero value when HasData is false.
	Data    T
	HasData bool
	// DataVersion changes exactly when Data is replaced by a value that is
	// not equal to the previous one (see QueryOptions.Equal): compare it
	// instead of Data to know whether to re-render.
	DataVersion      uint64
	DataUpdatedAt    time.Time
	DataUpdateCount  int
	Error            error
	ErrorUpdatedAt   time.Time
	ErrorUpdateCount int
	// FailureCount counts the failed attempts of the current fetch;
	// FailureReason is the last of their errors.
	FailureCount        int
	FailureReason       error
	IsStale             bool
	IsPlaceholderData   bool
	IsFetchedAfterMount bool
}

// IsPending reports Status == StatusPending.
func (r Result[T]) IsPending() bool { return r.Status == StatusPending }

// IsSuccess reports Status == StatusSuccess.
func (r Result[T]) IsSuccess() bool { return r.Status == StatusSuccess }

// IsError reports Status == StatusError.
func (r Result[T]) IsError() bool { return r.Status == StatusError }

// IsFetching reports FetchStatus == Fetching.
func (r Result[T]) IsFetching() bool { return r.FetchStatus == Fetching }

// IsPaused reports FetchStatus == FetchPaused.
func (r Result[T]) IsPaused() bool { return r.FetchStatus == FetchPaused }

// IsLoading reports the first fetch in flight: pending and fetching.
func (r Result[T]) IsLoading() bool { return r.IsPending() && r.IsFetching() }

// IsRefetching reports a background fetch: fetching, not pending.
func (r Result[T]) IsRefetching() bool { return r.IsFetching() && !r.IsPending() }

// IsLoadingError reports an error with no data ever fetched.
func (r Result[T]) IsLoadingError() bool { return r.IsError() && !r.HasData }

// IsRefetchError reports an error while earlier data is kept.
func (r Result[T]) IsRefetchError() bool { return r.IsError() && r.HasData }

// IsFetched reports whether the query has fetched at least once.
func (r Result[T]) IsFetched() bool { return r.DataUpdateCount+r.ErrorUpdateCount > 0 }

// result is the untyped Result an observer keeps.
type result struct {
	status              Status
	fetchStatus         FetchStatus
	data                any
	hasData             bool
	dataID              uint64
	dataUpdatedAt       time.Time
	dataUpdateCount     int
	err                 error
	errorUpdatedAt      time.Time
	errorUpdateCount    int
	failureCount        int
	failureReason       error
	isStale             bool
	isPlaceholder       bool
	isFetchedAfterMount bool
	pages               pageInfo
}

// pageInfo is the infinite-query part of a result.
type pageInfo struct {
	hasNext, hasPrev           bool
	fetchingNext, fetchingPrev bool
	nextError, prevError       bool
}

// diff returns the parts that differ between a and b.
func diff(a, b *result) Prop {
	var p Prop
	if a.status != b.status {
		p |= PropStatus
	}
	if a.fetchStatus != b.fetchStatus {
		p |= PropFetchStatus
	}
	if a.dataID != b.dataID || a.hasData != b.hasData {
		p |= PropData
	}
	if !sameErr(a.err, b.err) || a.errorUpdateCount != b.errorUpdateCount {
		p |= PropError
	}
	if !sameTime(a.dataUpdatedAt, b.dataUpdatedAt) || a.dataUpdateCount != b.dataUpdateCount {
		p |= PropDataUpdatedAt
	}
	if !sameTime(a.errorUpdatedAt, b.errorUpdatedAt) {
		p |= PropErrorUpdatedAt
	}
	if a.failureCount != b.failureCount || !sameErr(a.failureReason, b.failureReason) {
		p |= PropFailure
	}
	if a.isStale != b.isStale {
		p |= PropIsStale
	}
	if a.isPlaceholder != b.isPlaceholder {
		p |= PropIsPlaceholderData
	}
	if a.isFetchedAfterMount != b.isFetchedAfterMount {
		p |= PropIsFetchedAfterMount
	}
	if a.pages != b.pages {
		p |= PropPages
	}
	return p
}

// sameErr is sameError with the common case, a nil error, inlined.
func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameError(a, b)
}

// sameTime is time.Time.Equal with the common case, the same value,
// inlined.
func sameTime(a, b time.Time) bool {
	return a == b || a.Equal(b)
}

// sameError compares errors by identity without panicking on error values
// of uncomparable types (those always count as changed).
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta := reflect.TypeOf(a)
	if ta != reflect.TypeOf(b) || !ta.Comparable() {
		return false
	}
	return a == b
}

func toResult[T any](r *result, data T, hasData bool) Result[T] {
	return Result[T]{
		Status:              r.status,
		FetchStatus:         r.fetchStatus,
		Data:                data,
		HasData:             hasData,
		DataVersion:         r.dataID,
		DataUpdatedAt:       r.dataUpdatedAt,
		DataUpdateCount:     r.dataUpdateCount,
		Error:               r.err,
		ErrorUpdatedAt:      r.errorUpdatedAt,
		ErrorUpdateCount:    r.errorUpdateCount,
		FailureCount:        r.failureCount,
		FailureReason:       r.failureReason,
		IsStale:             r.isStale,
		IsPlaceholderData:   r.isPlaceholder,
		IsFetchedAfterMount: r.isFetchedAfterMount,
	}
}
