package cache

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// fetchContext is the context.Context a query or mutation function receives:
// one per attempt. It records whether the function looked at its
// cancellation (Done or Err), which decides, when the last observer leaves
// mid-fetch, between aborting the fetch and letting it finish (QB-17).
type fetchContext struct {
	shared *fetchShared
	key    Key
	meta   fetchMeta
	old    any  // the query's data when the fetch started
	hasOld bool // whether there was any
	// prevRaw is the fingerprint of old; newRaw is set by Fingerprint on the
	// function's goroutine and read under Client.mu after it returned.
	prevRaw []byte
	newRaw  []byte

	mu   sync.Mutex // guards err
	err  error
	done chan struct{}
}

// fetchShared is what the attempts of one fetch share.
type fetchShared struct {
	consumed atomic.Bool
}

type fetchCtxKey struct{}

func newFetchContext(shared *fetchShared, key Key) *fetchContext {
	return &fetchContext{shared: shared, key: key, done: make(chan struct{})}
}

func (fc *fetchContext) Deadline() (time.Time, bool) { return time.Time{}, false }

func (fc *fetchContext) Done() <-chan struct{} {
	fc.shared.consumed.Store(true)
	return fc.done
}

func (fc *fetchContext) Err() error {
	fc.shared.consumed.Store(true)
	fc.mu.Lock()
	defer fc.mu.Unlock()
	return fc.err
}

func (fc *fetchContext) Value(key any) any {
	if key == (fetchCtxKey{}) {
		return fc
	}
	return nil
}

func (fc *fetchContext) String() string { return "cache.fetchContext" }

// cancel ends the context with err (context.Canceled or
// context.DeadlineExceeded); later calls do nothing.
func (fc *fetchContext) cancel(err error) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.err == nil {
		fc.err = err
		close(fc.done)
	}
}

// Fingerprint records raw, the bytes the query function decoded its result
// from (a response body), as the fingerprint of the data it is about to
// return, and reports whether it equals the fingerprint of the data already
// cached. A function told true may skip decoding and return ErrNotModified:
// the cache keeps its value and nothing downstream is notified of new data.
// The JSON helper of this package does this. Outside a query function's
// context Fingerprint does nothing and returns false. raw must not be
// modified afterwards.
func Fingerprint(ctx context.Context, raw []byte) bool {
	fc, _ := ctx.Value(fetchCtxKey{}).(*fetchContext)
	if fc == nil {
		return false
	}
	fc.newRaw = raw
	return fc.hasOld && fc.prevRaw != nil && bytes.Equal(fc.prevRaw, raw)
}

// QueryKeyFrom returns the key of the query (or mutation) whose function
// received ctx.
func QueryKeyFrom(ctx context.Context) (Key, bool) {
	fc, _ := ctx.Value(fetchCtxKey{}).(*fetchContext)
	if fc == nil {
		return nil, false
	}
	return fc.key, true
}
