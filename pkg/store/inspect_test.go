package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

func TestInspect_theOutboxAndTheRollbacksAsDevtoolsSeeThem(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h, c := collectHarness(t)
		states := 0
		h.g.Effect(func() { h.s.Outbox(); states++ })
		c.Creates().Run(Task{ID: "a", ProjectID: "p", Title: "one"})
		c.Creates().Run(Task{ID: "b", ProjectID: "p", Title: "two"})
		h.settle()
		out := h.s.Outbox()
		require.Len(t, out, 2)
		assert.Equal(t, PendingInfo{ClientID: h.s.ClientID(), MutationID: 1, Collection: "tasks", ID: "a", Kind: "create", State: "sending"}, out[0])
		assert.Equal(t, "queued", out[1].State)

		ex := h.next()
		h.fail(ex, assertError("network down"))
		assert.Equal(t, "retrying", h.s.Outbox()[0].State)
		assert.Equal(t, 1, h.s.Outbox()[0].Attempts)
		h.s.Resume()
		ex = h.next()
		h.reply(ex, 422, errorBody(wire.CodeInvalid, "invalid input", map[string]string{"title": "is already used"}))
		rbs := h.s.Rollbacks()
		require.Len(t, rbs, 1)
		assert.Equal(t, Rollback{At: h.clock.Now(), Collection: "tasks", ID: "a", MutationID: 1, Kind: "create", Status: 422,
			Code: wire.CodeInvalid, Message: "invalid input", Fields: map[string]string{"title": "is already used"}}, rbs[0])
		assert.Len(t, h.s.Outbox(), 1, "the next one is on its way")
		assert.Greater(t, states, 4, "readers rerun as the queue changes")
	})
}

type assertError string

func (e assertError) Error() string { return string(e) }
