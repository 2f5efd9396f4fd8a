package convergence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// The checkers must be able to fail: each is shown a history that breaks
// its invariant, and one that keeps it.

func TestB36_promisesCatchALostAcknowledgedWrite(t *testing.T) {
	var p Promises
	require.NoError(t, p.Ack(Acked, nil, "todos/t1", map[string]string{"title": Q("milk")}))
	require.NoError(t, p.Ack(Acked, nil, "", nil, "todos/t2"))
	require.NoError(t, p.Ack(Refused, nil, "todos/t3", map[string]string{"title": Q("never")}))
	p.Uncertain("todos/t4")

	assert.NoError(t, p.Check(map[string]string{"todos/t1": `{"title":"milk"}`}), "kept, and t4 may be absent")
	assert.ErrorContains(t, p.Check(map[string]string{"todos/t1": `{"title":"bread"}`}), "last acknowledged write set")
	assert.ErrorContains(t, p.Check(map[string]string{}), "written (acknowledged) but is gone")
	assert.ErrorContains(t, p.Check(map[string]string{"todos/t1": `{"title":"milk"}`, "todos/t2": `{}`}), "deleted (acknowledged) but is there")

	require.NoError(t, p.Ack(Unknown, nil, "todos/t1", map[string]string{"title": Q("eggs")}))
	assert.NoError(t, p.Check(map[string]string{"todos/t1": `{"title":"bread"}`}), "an unknown outcome leaves the field open")
}

// topic is a store.Topic whose confirmed versions the test sets.
type topic struct {
	cur      wire.Cursor
	versions map[string]uint64
}

func (t *topic) Name() string                  { return "todos" }
func (t *topic) ApplyItems(items ...wire.Item) {}
func (t *topic) Replace(items []wire.Item, epoch string, seq uint64, _ bool) {
	t.cur = wire.Cursor{Epoch: epoch, Seq: seq}
}
func (t *topic) Cursor() wire.Cursor                                  { return t.cur }
func (t *topic) SetCursor(c wire.Cursor)                              { t.cur = c }
func (t *topic) FetchItem(context.Context, string) (wire.Item, error) { return wire.Item{}, nil }

func TestB38_theMonitorCatchesAVersionOrCursorGoingBack(t *testing.T) {
	var m Monitor
	tp := &topic{versions: map[string]uint64{}}
	w := m.Watch(tp, func(id string) uint64 { return tp.versions[id] })

	tp.versions["t1"] = 3
	w.ApplyItems(wire.Item{ID: "t1"})
	w.SetCursor(wire.Cursor{Epoch: "e", Seq: 5})
	tp.versions["t1"] = 4
	w.ApplyItems(wire.Item{ID: "t1"})
	assert.Empty(t, m.Violations())

	tp.versions["t1"] = 2
	w.ApplyItems(wire.Item{ID: "t1"})
	w.SetCursor(wire.Cursor{Epoch: "e", Seq: 4})
	assert.Equal(t, []string{"todos/t1 version went from 4 to 2", "todos cursor went from 5 to 4"}, m.Violations())

	w.Replace([]wire.Item{{ID: "t1"}}, "e", 1, true)
	assert.Len(t, m.Violations(), 2, "a snapshot with reset may go back")
}

func TestLoop_untilWaitsForATrackedReadWithoutPolling(t *testing.T) {
	l := StartLoop()
	defer l.Stop()
	var sig *state.Signal[int]
	l.Do(func() { sig = state.NewSignal(l.Graph, 0) })
	cond := func() error {
		if sig.Get() < 2 {
			return errors.New("not yet")
		}
		return nil
	}
	assert.EqualError(t, l.Until(10*time.Millisecond, cond), "not yet", "the condition's last error")
	go func() {
		l.Do(func() { sig.Set(1) })
		l.Do(func() { sig.Set(2) })
	}()
	assert.NoError(t, l.Until(10*time.Second, cond), "met once the signal changed")
}
