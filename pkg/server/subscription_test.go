package server

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A revocation whose mark reaches a starting subscription just after its
// last check before live lands after the live went out: goLive checks again
// before it sends anything more, and the subscription says it announced
// live, so that the client is told revoked, not a refused subscribe.
func TestPartition_aRefusalAfterLiveIsARevocation(t *testing.T) {
	sess := &session{ctx: context.Background(), out: make(chan outMsg, 4)}
	sub := &subscription{sess: sess, topic: "b1/cards", checked: true}
	sub.active.Store(true)
	var calls int
	authorize := func(sub *subscription) error {
		calls++
		if calls == 1 {
			// The check before live allows generation 1; the revocation's
			// mark (generation 2) arrives while it returns.
			sub.allowed(1)
			sub.deliverAll([]*pubEvent{{access: 2, mark: true}}, 1<<20)
			return nil
		}
		return &subRefusal{he: &Error{Code: wire.CodeForbidden, Message: "forbidden"}}
	}
	live := []byte(`{"type":"live"}`)
	restart, err := sub.goLive(live, authorize)

	var refused *subRefusal
	require.ErrorAs(t, err, &refused)
	assert.False(t, restart)
	assert.Equal(t, 2, calls, "checked before live, and again before anything after it")
	require.Len(t, sess.out, 1)
	assert.Equal(t, live, (<-sess.out).data, "the client was told live")
	assert.True(t, sub.announced, "so session.subscribe sends revoked")
}
