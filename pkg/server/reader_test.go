package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A page rendered with the data in it (cmd/server's open demo) reads its
// topics' snapshots in one Read: what the store holds, with the cursor it
// holds it at, which a subscription resumes from without a snapshot.
func TestReader_snapshotIsWhatAClientResumesFrom(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "one", "position": 1})
	env.mustCreate("todos", map[string]any{"id": "t2", "listId": "l1", "title": "b"})
	env.mustCreate("todos", map[string]any{"id": "t1", "listId": "l1", "title": "a"})
	env.mustCreate("todos", map[string]any{"id": "t3", "listId": "l1", "title": "gone"})
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/todos/t3", nil).status)

	var lists, todos wire.Snapshot
	require.NoError(t, env.srv.Read(context.Background(), func(r *Reader) error {
		var err error
		if lists, err = r.Snapshot("lists", 10); err != nil {
			return err
		}
		todos, err = r.Snapshot("todos", 10)
		return err
	}))
	assert.Equal(t, "todos", todos.Topic)
	assert.True(t, todos.Last)
	assert.Equal(t, 0, todos.Part)
	require.Len(t, todos.Items, 2, "no tombstone")
	assert.Equal(t, []string{"t1", "t2"}, []string{todos.Items[0].ID, todos.Items[1].ID}, "in id order")
	listing, err := wire.DecodeSnapshotPage(env.do("GET", "/api/todos", nil).body)
	require.NoError(t, err)
	assert.Equal(t, listing.Items, todos.Items, "the items a listing gives")
	assert.Equal(t, listing.Epoch, todos.Epoch)
	assert.Equal(t, listing.Seq, todos.Seq, "at the topic's head")
	assert.Len(t, lists.Items, 1)

	env.mustCreate("todos", map[string]any{"id": "t4", "listId": "l1", "title": "after"})
	c, _, err := dialWS(t, env, "")
	require.NoError(t, err)
	writeMsg(t, c, wire.Hello{V: 1, ClientID: client1})
	require.IsType(t, wire.Welcome{}, readMsg(t, c))
	writeMsg(t, c, wire.Sub{Topic: "lists", Since: &wire.Cursor{Epoch: lists.Epoch, Seq: lists.Seq}})
	assert.Equal(t, wire.Live{Topic: "lists", Epoch: lists.Epoch, Seq: lists.Seq}, readMsg(t, c), "up to date: straight to live")
	writeMsg(t, c, wire.Sub{Topic: "todos", Since: &wire.Cursor{Epoch: todos.Epoch, Seq: todos.Seq}})
	resync := readMsg(t, c).(wire.Resync)
	assert.Equal(t, wire.ModeReplay, resync.Mode, "behind: the missed event, no snapshot")
	ev := readMsg(t, c).(wire.Event)
	assert.Equal(t, "t4", ev.ID)
	assert.Equal(t, todos.Seq, ev.Prev)
	assert.IsType(t, wire.Live{}, readMsg(t, c))
}

func TestReader_snapshotOfMoreThanTheLimitIsTooBig(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "one"})
	env.mustCreate("lists", map[string]any{"id": "l2", "name": "two"})
	err := env.srv.Read(context.Background(), func(r *Reader) error {
		snap, err := r.Snapshot("lists", 2)
		assert.Len(t, snap.Items, 2, "the limit itself is fine")
		require.NoError(t, err)
		_, err = r.Snapshot("lists", 1)
		return err
	})
	require.ErrorIs(t, err, ErrSnapshotTooBig)

	err = env.srv.Read(context.Background(), func(r *Reader) error {
		_, err := r.Snapshot("nothing", 1)
		return err
	})
	require.ErrorContains(t, err, "no registered collection")
}
