package cache

import "time"

// queryState is the state of a query; Status and FetchStatus are
// independent, as in TanStack.
type queryState struct {
	data            any
	dataID          uint64 // changes whenever data is replaced by a non-equal value
	raw             []byte // fingerprint of data, see Fingerprint
	dataUpdateCount int
	dataUpdatedAt   time.Time
	fail            *failState // nil: no error, no failure
	hasData         bool
	fetchMeta       fetchMeta
	isInvalidated   bool
	status          Status
	fetchStatus     FetchStatus
}

// failState is the error part of a queryState, apart because most queries
// never fail and a query's size is much of what building one costs. It is
// shared by copies of the state and never modified: a change replaces it.
type failState struct {
	err              error
	errorUpdateCount int
	errorUpdatedAt   time.Time
	failureCount     int
	failureReason    error
}

func (s *queryState) err() error {
	if s.fail == nil {
		return nil
	}
	return s.fail.err
}

func (s *queryState) errorUpdateCount() int {
	if s.fail == nil {
		return 0
	}
	return s.fail.errorUpdateCount
}

func (s *queryState) errorUpdatedAt() time.Time {
	if s.fail == nil {
		return time.Time{}
	}
	return s.fail.errorUpdatedAt
}

func (s *queryState) failureCount() int {
	if s.fail == nil {
		return 0
	}
	return s.fail.failureCount
}

func (s *queryState) failureReason() error {
	if s.fail == nil {
		return nil
	}
	return s.fail.failureReason
}

// editFail returns a copy of the error part to modify and store with
// setFail.
func (s *queryState) editFail() failState {
	if s.fail == nil {
		return failState{}
	}
	return *s.fail
}

func (s *queryState) setFail(f failState) {
	if f.err == nil && f.errorUpdateCount == 0 && f.errorUpdatedAt.IsZero() && f.failureCount == 0 && f.failureReason == nil {
		s.fail = nil
		return
	}
	s.fail = &f
}

// clearErr drops the error, as a success does.
func (s *queryState) clearErr() {
	if s.fail != nil && s.fail.err != nil {
		f := *s.fail
		f.err = nil
		s.setFail(f)
	}
}

// clearFailure resets the failure count and reason, as a new fetch does.
func (s *queryState) clearFailure() {
	if s.fail != nil && (s.fail.failureCount != 0 || s.fail.failureReason != nil) {
		f := *s.fail
		f.failureCount, f.failureReason = 0, nil
		s.setFail(f)
	}
}

// pendingState returns the state of a query without data that never
// fetched.
func pendingState() queryState { return queryState{status: StatusPending, fetchStatus: FetchIdle} }

// plainDiff returns the parts of a plain observer's result (see
// observer.refreshPlain) that differ between the states a and b.
func plainDiff(a, b *queryState) Prop {
	var d Prop
	if a.status != b.status {
		d |= PropStatus
	}
	if a.fetchStatus != b.fetchStatus {
		d |= PropFetchStatus
	}
	if a.hasData != b.hasData || (b.hasData && a.dataID != b.dataID) {
		d |= PropData
	}
	if !sameTime(a.dataUpdatedAt, b.dataUpdatedAt) || a.dataUpdateCount != b.dataUpdateCount {
		d |= PropDataUpdatedAt
	}
	if a.fail != b.fail {
		if !sameErr(a.err(), b.err()) || a.errorUpdateCount() != b.errorUpdateCount() {
			d |= PropError
		}
		if !sameTime(a.errorUpdatedAt(), b.errorUpdatedAt()) {
			d |= PropErrorUpdatedAt
		}
		if a.failureCount() != b.failureCount() || !sameErr(a.failureReason(), b.failureReason()) {
			d |= PropFailure
		}
	}
	return d
}
