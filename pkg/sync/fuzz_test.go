package sync

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// FuzzServerMessages feeds arbitrary server messages (one per line) to a
// live client: it never panics, and each message either applies cleanly —
// the cursor never moves backwards within an epoch — or ends in a resync or
// a closed connection.
func FuzzServerMessages(f *testing.F) {
	f.Add([]byte(`{"t":"event","topic":"todos","epoch":"e1","seq":1,"prev":0,"id":"a","op":"update","version":1,"data":{"id":"a","title":"x"},"ts":1}`))
	f.Add([]byte(`{"t":"event","topic":"todos","epoch":"e1","seq":5,"prev":4,"id":"a","op":"delete","version":5,"ts":1}
{"t":"resync","topic":"todos","reason":"gap","mode":"snapshot"}
{"t":"snapshot","topic":"todos","epoch":"e1","seq":5,"part":0,"last":true,"items":[{"id":"a","version":5,"deleted":true}]}
{"t":"live","topic":"todos","epoch":"e1","seq":5}`))
	f.Add([]byte(`{"t":"snapshot","topic":"lists","epoch":"e9","seq":2,"part":1,"last":false,"items":[]}`))
	f.Add([]byte(`{"t":"event","topic":"todos","epoch":"e2","seq":1,"prev":0,"id":"a","op":"invalidate","version":1,"ts":1}`))
	f.Add([]byte(`{"t":"welcome","v":1,"hbMs":5,"maxMsg":1024,"lastMutationID":9}`))
	f.Add([]byte(`{"t":"hb"}
{"t":"error","code":"forbidden","message":"no","topic":"lists"}
not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		inBubble(t, func(t *testing.T) {
			r := newRig(t)
			srv, subs := r.connect(0)
			r.goLive(srv, subs)
			for _, line := range bytes.Split(data, []byte("\n")) {
				before := r.todos.Cursor()
				if err := srv.Write(t.Context(), line); err != nil {
					return // the client closed the connection
				}
				r.settle()
				after := r.todos.Cursor()
				if after.Epoch == before.Epoch {
					assert.GreaterOrEqual(t, after.Seq, before.Seq, "the cursor moved backwards")
				}
				st := r.c.State()
				require.Contains(t, []ConnState{Live, Resyncing, Offline, Connecting}, st)
			}
			// Whatever happened, the client still talks the protocol.
			r.c.Reconnect()
			srv2 := r.accept()
			_, ok := r.recv(srv2).(wire.Hello)
			assert.True(t, ok)
		})
	})
}
