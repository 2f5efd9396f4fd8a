package store

import (
	"slices"
	"time"

	"github.com/tandemkit/tandem/pkg/state"
)

// A PendingInfo describes one mutation in the store's queue, for devtools
// and diagnostics.
type PendingInfo struct {
	ClientID   string
	MutationID uint64
	Collection string
	ID         string
	Kind       string   // "create", "patch" or "delete"
	Fields     []string // the fields a patch sets
	// State is "sending" (its request is in flight), "retrying" (waiting
	// for its backoff after a temporary failure), "queued" (behind the one
	// in flight) or "restored" (from a previous session, waiting for its
	// collection to be registered).
	State    string
	Attempts int
}

// A Rollback is a mutation the server refused, whose optimistic change was
// rolled back: what the user saw disappear, and why.
type Rollback struct {
	At         time.Time
	Collection string
	ID         string
	MutationID uint64
	Kind       string
	Status     int
	Code       string
	Message    string
	Fields     map[string]string
}

// maxRollbacks bounds the rollbacks a store remembers.
const maxRollbacks = 50

// inspection holds what devtools read: a version bumped on every change of
// the queue, and the last rollbacks.
type inspection struct {
	outboxV   *state.Signal[uint64]
	rollbacks []Rollback
	rbV       *state.Signal[uint64]
}

func (s *Store) changedOutbox() { s.insp.outboxV.Set(s.insp.outboxV.Peek() + 1) }

// Outbox returns, tracked, the mutations waiting for the server, in the
// order they are sent: its readers rerun on every change of the queue —
// a mutation queued, sent, retried or settled.
func (s *Store) Outbox() []PendingInfo {
	s.insp.outboxV.Get()
	o := &s.outbox
	out := make([]PendingInfo, len(o.queue))
	for i, it := range o.queue {
		st := "queued"
		switch {
		case s.colls[it.Collection] == nil:
			st = "restored"
		case i == 0 && o.stop != nil:
			st = "retrying"
		case i == 0 && o.sending:
			st = "sending"
		}
		out[i] = PendingInfo{ClientID: it.ClientID, MutationID: it.MutationID, Collection: it.Collection, ID: it.ID,
			Kind: it.Kind.String(), Fields: slices.Clone(it.Fields), State: st, Attempts: it.attempts}
	}
	return out
}

// Rollbacks returns, tracked, the last rollbacks (up to 50), oldest first.
func (s *Store) Rollbacks() []Rollback {
	s.insp.rbV.Get()
	return slices.Clone(s.insp.rollbacks)
}

// rolledBack records the refusal of it.
func (s *Store) rolledBack(it *outItem, e *MutationError) {
	rb := Rollback{At: s.clock.Now(), Collection: it.Collection, ID: it.ID, MutationID: it.MutationID, Kind: it.Kind.String(),
		Status: e.Status, Code: e.Body.Code, Message: e.Body.Message, Fields: e.Body.Fields}
	if len(s.insp.rollbacks) == maxRollbacks {
		s.insp.rollbacks = slices.Delete(s.insp.rollbacks, 0, 1)
	}
	s.insp.rollbacks = append(s.insp.rollbacks, rb)
	s.insp.rbV.Set(s.insp.rbV.Peek() + 1)
}
