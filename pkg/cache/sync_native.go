//go:build !js

package cache

import (
	"sync"
	"sync/atomic"
)

// clientMutex is Client.mu: a sync.Mutex, except under GOOS=js, see
// sync_js.go.
type clientMutex = sync.Mutex

// flag and listPtr are what listeners need of sync/atomic: delivery reads
// them without the client's lock while subscribers change them under it.
// Under GOOS=js there is one thread and atomics are function calls, so
// sync_js.go makes them plain fields.
type flag struct{ v atomic.Bool }

func (f *flag) Load() bool                        { return f.v.Load() }
func (f *flag) Swap(new bool) bool                { return f.v.Swap(new) }
func (f *flag) Store(v bool)                      { f.v.Store(v) }
func (f *flag) CompareAndSwap(old, new bool) bool { return f.v.CompareAndSwap(old, new) }

type listPtr struct{ p atomic.Pointer[[]*listener] }

func (l *listPtr) Load() *[]*listener   { return l.p.Load() }
func (l *listPtr) Store(p *[]*listener) { l.p.Store(p) }
