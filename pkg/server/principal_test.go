package server

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// principalOptions authenticates REST callers and WebSocket hellos by their
// X-User header: the user is the principal.
func principalOptions() Options {
	return Options{
		Authenticate: func(r *http.Request) (context.Context, error) {
			return WithPrincipal(r.Context(), r.Header.Get("X-User")), nil
		},
		AuthenticateWS: func(r *http.Request, h wire.Hello) (context.Context, error) {
			return WithPrincipal(context.Background(), h.Token), nil
		},
	}
}

func as(user string, hdr ...string) []string { return append(hdr, "X-User", user) }

func TestDedup_clientIDIsBoundToThePrincipalOfItsFirstRecord(t *testing.T) {
	env := newEnv(t, NewMemStore(), principalOptions())
	// alice's client records its first mutation: client1 is alice's.
	first := env.mustCreate("lists", `{"id":"l1","name":"alice's"}`, as("alice", mut(client1, 5)...)...)

	t.Run("another principal's replay of a stored answer is refused, not answered", func(t *testing.T) {
		r := env.do("POST", "/api/lists", `{"id":"x","name":"mallory's"}`, as("mallory", mut(client1, 5)...)...)
		require.Equal(t, http.StatusForbidden, r.status, string(r.body))
		e := r.errBody(t)
		assert.Equal(t, wire.CodeForbidden, e.Error.Code)
		assert.False(t, e.Duplicate)
		assert.NotContains(t, string(r.body), "alice's", "the owner's answer does not leak")
	})
	t.Run("another principal cannot poison the client's records", func(t *testing.T) {
		r := env.do("POST", "/api/lists", `{"id":"zz","name":""}`, as("mallory", mut(client1, wire.MaxSafeInteger)...)...)
		require.Equal(t, http.StatusForbidden, r.status, "refused before the body's 422 is recorded")
		r = env.do("POST", "/api/lists", `{"id":"x","name":`, as("mallory", mut(client1, wire.MaxSafeInteger-1)...)...)
		require.Equal(t, http.StatusForbidden, r.status, "and before a 400 found before the transaction is recorded")
		env.mustCreate("lists", `{"id":"l2","name":"next"}`, as("alice", mut(client1, 6)...)...)
	})
	t.Run("the owner gets its stored answers", func(t *testing.T) {
		r := env.do("POST", "/api/lists", `{"id":"l1","name":"alice's"}`, as("alice", mut(client1, 5)...)...)
		require.Equal(t, http.StatusCreated, r.status)
		mr, err := wire.DecodeMutationResponse(r.body)
		require.NoError(t, err)
		assert.True(t, mr.Duplicate)
		assert.Equal(t, first.Seq, mr.Seq)
	})
	t.Run("welcome tells lastMutationID to the owner only", func(t *testing.T) {
		c, _, err := dialWS(t, env, "")
		require.NoError(t, err)
		writeMsg(t, c, wire.Hello{V: 1, ClientID: client1, Token: "alice"})
		assert.Equal(t, uint64(6), readMsg(t, c).(wire.Welcome).LastMutationID)
		c, _, err = dialWS(t, env, "")
		require.NoError(t, err)
		writeMsg(t, c, wire.Hello{V: 1, ClientID: client1, Token: "mallory"})
		assert.Equal(t, uint64(0), readMsg(t, c).(wire.Welcome).LastMutationID)
	})
	t.Run("a mutation without dedup headers is not bound to anything", func(t *testing.T) {
		env.mustCreate("lists", `{"id":"l3","name":"script"}`, as("mallory")...)
	})
}

func TestDedup_withoutAuthenticationEveryCallerIsTheAnonymousPrincipal(t *testing.T) {
	env := newEnv(t, NewMemStore(), Options{})
	env.mustCreate("lists", `{"id":"l1","name":"one"}`, mut(client1, 1)...)
	// Nothing tells two callers apart: both are principal "", so a caller
	// that knows a clientID is trusted with it (the documented trust model).
	r := env.do("POST", "/api/lists", `{"id":"l1","name":"one"}`, as("someone else", mut(client1, 1)...)...)
	require.Equal(t, http.StatusCreated, r.status)
	assert.True(t, r.json(t)["duplicate"].(bool))
}

func TestB33_originOnlyReachesTheAuthorsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{Retention: 100})
		defer b.stop()
		author, _ := b.connect(client1)
		other, _ := b.connect(client2)
		_, live := author.subscribe("lists", nil)
		other.subscribe("lists", nil)
		b.create("lists", `{"id":"l1","name":"one"}`, mut(client1, 1)...)
		b.create("lists", `{"id":"l2","name":"two"}`, mut(client2, 1)...)

		ev := author.next().(wire.Event)
		assert.Equal(t, &wire.Origin{ClientID: client1, MutationID: 1}, ev.Origin, "the author's echo confirms its mutation")
		assert.Nil(t, author.next().(wire.Event).Origin, "client2's event reaches client1 without origin")
		assert.Nil(t, other.next().(wire.Event).Origin, "client1's event reaches client2 without origin")
		assert.Equal(t, &wire.Origin{ClientID: client2, MutationID: 1}, other.next().(wire.Event).Origin)

		// Replayed events follow the same rule.
		since := &wire.Cursor{Epoch: live.Epoch, Seq: live.Seq}
		msgs, _ := author.subscribe("lists", since)
		require.Len(t, msgs, 3)
		assert.NotNil(t, msgs[1].(wire.Event).Origin)
		assert.Nil(t, msgs[2].(wire.Event).Origin)
		msgs, _ = other.subscribe("lists", since)
		require.Len(t, msgs, 3)
		assert.Nil(t, msgs[1].(wire.Event).Origin)
		assert.NotNil(t, msgs[2].(wire.Event).Origin)
	})
}

func TestDedup_recordsOfInactiveClientsExpireAfterClientRetention(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, Options{})
		defer b.stop()
		client := func(id string) (ClientState, bool) {
			var c ClientState
			var found bool
			require.NoError(t, b.s.store.View(context.Background(), func(rt ReadTx) error {
				var err error
				c, found, err = rt.Client(context.Background(), id)
				return err
			}))
			return c, found
		}
		b.create("lists", `{"id":"l1","name":"one"}`, mut(client1, 7)...)
		time.Sleep(20 * 24 * time.Hour)
		b.create("lists", `{"id":"l2","name":"two"}`, mut(client2, 1)...)
		_, found := client(client1)
		require.True(t, found, "20 days of inactivity: kept")

		time.Sleep(11 * 24 * time.Hour)                 // client1 idle for 31 days, client2 for 11
		b.create("lists", `{"id":"l3","name":"three"}`) // a commit runs the hourly prune
		_, found = client(client1)
		assert.False(t, found, "expired after 30 days")
		_, found = client(client2)
		assert.True(t, found)
		_, w := b.connect(client1)
		assert.Zero(t, w.LastMutationID, "the server forgot client1's lastMutationID")
		rec := b.do("POST", "/api/lists", `{"id":"l1","name":"one"}`, mut(client1, 7)...)
		assert.Equal(t, http.StatusConflict, rec.Code, "its answer is gone too: the re-sent create meets the live id")
	})
}

// Finding 7: an event's origin was routed by clientID alone, so a session of
// another principal that named the clientID in its hello received the
// owner's mutationIDs.
func TestB33_originIsRoutedByClientIDAndPrincipal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBubble(t, principalOptions())
		defer b.stop()
		// mallory says hello with alice's clientID before alice's first
		// mutation binds it.
		mallory := b.dial()
		mallory.send(wire.Hello{V: 1, ClientID: client1, Token: "mallory"})
		require.IsType(t, wire.Welcome{}, mallory.next())
		alice := b.dial()
		alice.send(wire.Hello{V: 1, ClientID: client1, Token: "alice"})
		require.IsType(t, wire.Welcome{}, alice.next())
		_, live := mallory.subscribe("lists", nil)
		alice.subscribe("lists", nil)

		b.create("lists", `{"id":"l1","name":"one"}`, as("alice", mut(client1, 1)...)...)
		assert.Equal(t, &wire.Origin{ClientID: client1, MutationID: 1}, alice.next().(wire.Event).Origin)
		assert.Nil(t, mallory.next().(wire.Event).Origin, "live: no origin for another principal")

		msgs, _ := mallory.subscribe("lists", &wire.Cursor{Epoch: live.Epoch, Seq: live.Seq})
		require.Len(t, msgs, 2)
		assert.Nil(t, msgs[1].(wire.Event).Origin, "replayed: no origin either")
		msgs, _ = alice.subscribe("lists", &wire.Cursor{Epoch: live.Epoch, Seq: live.Seq})
		require.Len(t, msgs, 2)
		assert.NotNil(t, msgs[1].(wire.Event).Origin, "the owner's replay keeps it")
	})
}
