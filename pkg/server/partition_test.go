package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// seedBoards creates board b1 owned by ada, shared with bob, with card c1;
// board b2 owned by bob; board cy of cy.
func seedBoards(t *testing.T, env *testEnv) {
	t.Helper()
	env.mustCreate("boards", map[string]any{"id": "b1", "name": "ada's"}, asUser("ada")...)
	env.mustCreate("boards", map[string]any{"id": "b2", "name": "bob's"}, asUser("bob")...)
	env.mustCreate("boards", map[string]any{"id": "cy", "name": "cy's"}, asUser("cy")...)
	env.mustCreate("shares", map[string]any{"id": "s1", "boardId": "b1", "user": "bob"}, asUser("ada")...)
	env.mustCreate("cards", map[string]any{"id": "c1", "boardId": "b1", "title": "one"}, asUser("ada")...)
}

func TestPartition_eachPartitionHasItsOwnTopicSeqAndVersionsFromTheCollectionsClock(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		env := newBoardsEnv(t, st, Options{})
		seedBoards(t, env)
		c2 := env.mustCreate("cards", map[string]any{"id": "c2", "boardId": "b2", "title": "two"}, asUser("bob")...)
		c3 := env.mustCreate("cards", map[string]any{"id": "c3", "boardId": "b1", "title": "three"}, asUser("bob")...)
		assert.Equal(t, "b2/cards", c2.Topic)
		assert.Equal(t, uint64(1), c2.Seq, "a partition's first event")
		assert.Equal(t, "b1/cards", c3.Topic)
		assert.Equal(t, uint64(2), c3.Seq, "after c1 in b1")
		assert.Equal(t, uint64(3), c3.Version, "versions count the collection's changes, across partitions")
		assert.Greater(t, c3.Version, c2.Version)
		lists := env.do("GET", "/api/cards?partition=b2", nil, asUser("bob")...)
		require.Equal(t, http.StatusOK, lists.status, string(lists.body))
		page, err := wire.DecodeSnapshotPage(lists.body)
		require.NoError(t, err)
		assert.Equal(t, c3.Epoch, page.Epoch, "the partitions share their collection's epoch")
	})
}

func TestPartition_B35_aSubscriptionToAPartitionThePrincipalMayNotReadIsRefused(t *testing.T) {
	env := newBoardsEnv(t, NewMemStore(), Options{})
	seedBoards(t, env)
	cy := connect(t, env.http.URL, "cy", client1)
	for _, topic := range []string{"b1/cards", "b1/boards", "b1/shares", "b2/cards"} {
		msgs := cy.sub(topic, nil)
		require.Len(t, msgs, 1, "nothing of %s before the refusal", topic)
		e := msgs[0].(wire.ErrorMessage)
		assert.Equal(t, wire.CodeForbidden, e.Code, topic)
	}
	for _, tc := range []struct{ topic, message string }{
		{"cards", "cards is partitioned by boardId: subscribe to <boardId>/cards"},
		{"b1/nope", "unknown topic b1/nope"},
	} {
		e := cy.sub(tc.topic, nil)[0].(wire.ErrorMessage)
		assert.Equal(t, wire.CodeNotFound, e.Code)
		assert.Equal(t, tc.message, e.Message)
	}
	msgs := cy.sub("cy/boards", nil) // the connection stays open; its own board is its own
	snap := msgs[0].(wire.Snapshot)
	require.Len(t, snap.Items, 1)
	assert.Equal(t, "cy", snap.Items[0].ID)
	assert.IsType(t, wire.Live{}, msgs[1])

	bob := connect(t, env.http.URL, "bob", client2)
	msgs = bob.sub("b1/cards", nil)
	require.IsType(t, wire.Snapshot{}, msgs[0], "shared with bob")
	assert.Len(t, msgs[0].(wire.Snapshot).Items, 1)
}

func TestPartition_aWriteIntoAForbiddenPartitionIs403AndWritesNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		env := newBoardsEnv(t, st, Options{})
		seedBoards(t, env)
		events := len(env.bus.all())
		before := events
		for _, tc := range []struct {
			name, method, path string
			body               any
		}{
			{"a create in another's board", "POST", "/api/cards", map[string]any{"id": "x1", "boardId": "b1", "title": "mine"}},
			{"an update in another's board", "PATCH", "/api/cards/c1", map[string]any{"title": "mine"}},
			{"a delete in another's board", "DELETE", "/api/cards/c1", nil},
			{"a share of another's board", "POST", "/api/shares", map[string]any{"id": "x2", "boardId": "b1", "user": "cy"}},
		} {
			before++ // a distinct mutationID each
			r := env.do(tc.method, tc.path, tc.body, asUser("cy", mut(client1, uint64(before))...)...)
			assert.Equal(t, http.StatusForbidden, r.status, tc.name+": "+string(r.body))
		}
		// A move out of a board one may write into one one may not.
		r := env.do("PATCH", "/api/cards/c1", map[string]any{"boardId": "cy"}, asUser("bob")...)
		assert.Equal(t, http.StatusForbidden, r.status, "a move is authorized in both partitions: "+string(r.body))
		assert.Len(t, env.bus.all(), events, "no event: nothing was written")
		it, err := wire.DecodeItem(env.do("GET", "/api/cards/c1", nil, asUser("ada")...).body)
		require.NoError(t, err)
		assert.JSONEq(t, `"one"`, string(mustField(t, it.Data, "title")))
		assert.JSONEq(t, `"b1"`, string(mustField(t, it.Data, "boardId")))
		assert.Equal(t, http.StatusNotFound, env.do("GET", "/api/cards/x1", nil, asUser("ada")...).status)
	})
}

func TestPartition_restReadsAreAuthorizedAndListedPerPartition(t *testing.T) {
	env := newBoardsEnv(t, NewMemStore(), Options{PageSize: 1})
	seedBoards(t, env)
	env.mustCreate("cards", map[string]any{"id": "c2", "boardId": "b1", "title": "two"}, asUser("bob")...)
	env.mustCreate("cards", map[string]any{"id": "c3", "boardId": "b2", "title": "three"}, asUser("bob")...)

	r := env.do("GET", "/api/cards", nil, asUser("ada")...)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "cards is partitioned by boardId: list one partition with ?partition=<boardId>", r.errBody(t).Error.Message)
	assert.Equal(t, http.StatusForbidden, env.do("GET", "/api/cards?partition=b2", nil, asUser("ada")...).status)
	assert.Equal(t, http.StatusForbidden, env.do("GET", "/api/cards/c3", nil, asUser("ada")...).status)
	assert.Equal(t, http.StatusNotFound, env.do("GET", "/api/boards/b1/x", nil, asUser("ada")...).status, "a topic is no REST path")

	var ids []string
	after := ""
	for {
		r := env.do("GET", "/api/cards?partition=b1"+after, nil, asUser("bob")...)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		page, err := wire.DecodeSnapshotPage(r.body)
		require.NoError(t, err)
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.Next == "" {
			break
		}
		assert.Equal(t, http.StatusBadRequest, env.do("GET", "/api/cards?partition=b2&after="+page.Next, nil, asUser("bob")...).status,
			"a cursor belongs to its partition")
		after = "&after=" + page.Next
	}
	assert.Equal(t, []string{"c1", "c2"}, ids, "b1's cards, page by page, and nothing of b2")
}

func TestPartition_aMoveReachesTheSubscribersOfBothPartitions(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		env := newBoardsEnv(t, st, Options{})
		seedBoards(t, env)
		env.mustCreate("shares", map[string]any{"id": "s2", "boardId": "b2", "user": "ada"}, asUser("bob")...)
		ada := connect(t, env.http.URL, "ada", client1)
		bob := connect(t, env.http.URL, "bob", client2)
		adaB1 := ada.sub("b1/cards", nil)
		bobB2 := bob.sub("b2/cards", nil)
		require.IsType(t, wire.Live{}, adaB1[len(adaB1)-1])
		require.IsType(t, wire.Live{}, bobB2[len(bobB2)-1])

		r := env.do("PATCH", "/api/cards/c1", map[string]any{"boardId": "b2"}, asUser("ada")...)
		require.Equal(t, http.StatusOK, r.status, string(r.body))
		moved, err := wire.DecodeMutationResponse(r.body)
		require.NoError(t, err)
		assert.Equal(t, "b2/cards", moved.Topic)

		gone := ada.next().(wire.Event)
		assert.Equal(t, wire.OpDelete, gone.Op, "a delete in the old partition")
		assert.Equal(t, "b1/cards", gone.Topic)
		came := bob.next().(wire.Event)
		assert.Equal(t, wire.OpCreate, came.Op, "a create in the new one")
		assert.Equal(t, "b2/cards", came.Topic)
		assert.Equal(t, moved.Version, came.Version)
		assert.Less(t, gone.Version, came.Version, "the create is newer: a client of both ends with the entity")

		// b1's snapshot still accounts for c1: a tombstone at the move.
		snap := connect(t, env.http.URL, "ada", client1).sub("b1/cards", nil)[0].(wire.Snapshot)
		require.Len(t, snap.Items, 1)
		assert.Equal(t, wire.Item{ID: "c1", Version: gone.Version, Deleted: true}, snap.Items[0])
		page, err := wire.DecodeSnapshotPage(env.do("GET", "/api/cards?partition=b1", nil, asUser("ada")...).body)
		require.NoError(t, err)
		assert.Empty(t, page.Items, "a listing holds live entities only")

		// And back: a create in b1 again, b1's departure forgotten.
		require.Equal(t, http.StatusOK, env.do("PATCH", "/api/cards/c1", map[string]any{"boardId": "b1"}, asUser("bob")...).status)
		snap = connect(t, env.http.URL, "ada", client1).sub("b1/cards", nil)[0].(wire.Snapshot)
		require.Len(t, snap.Items, 1)
		assert.False(t, snap.Items[0].Deleted)
	})
}

func TestPartition_revocationEndsLiveSubscriptionsAndDeliversNothingAfter(t *testing.T) {
	eachStore(t, func(t *testing.T, st Store) {
		env := newBoardsEnv(t, st, Options{})
		seedBoards(t, env)
		bob := connect(t, env.http.URL, "bob", client2)
		for _, topic := range []string{"b1/cards", "b1/boards", "b1/shares"} {
			msgs := bob.sub(topic, nil)
			require.IsType(t, wire.Live{}, msgs[len(msgs)-1], topic)
		}
		env.mustCreate("cards", map[string]any{"id": "c2", "boardId": "b1", "title": "before"}, asUser("ada")...)
		assert.Equal(t, "c2", bob.next().(wire.Event).ID, "shared: bob follows b1")

		require.Equal(t, http.StatusOK, env.do("DELETE", "/api/shares/s1", nil, asUser("ada")...).status)
		revoked := map[string]bool{}
		for len(revoked) < 3 {
			switch m := bob.next().(type) {
			case wire.ErrorMessage:
				assert.Equal(t, wire.CodeRevoked, m.Code)
				assert.Equal(t, "read access to "+m.Topic+" was revoked", m.Message)
				revoked[m.Topic] = true
			case wire.Event:
				// Only the share's own deletion may still arrive: it was
				// committed with the revocation.
				assert.Equal(t, "b1/shares", m.Topic)
				assert.False(t, revoked[m.Topic], "nothing of a topic after its revocation")
			default:
				t.Fatalf("unexpected %T", m)
			}
		}
		env.mustCreate("cards", map[string]any{"id": "c3", "boardId": "b1", "title": "after"}, asUser("ada")...)
		require.Equal(t, http.StatusOK, env.do("PATCH", "/api/boards/b1", map[string]any{"name": "renamed"}, asUser("ada")...).status)
		assert.Empty(t, bob.fence("b2/cards"), "nothing of b1 reaches bob after the revocation")
		assert.Equal(t, http.StatusForbidden, env.do("GET", "/api/cards?partition=b1", nil, asUser("bob")...).status)
		assert.Equal(t, wire.CodeForbidden, bob.sub("b1/cards", nil)[0].(wire.ErrorMessage).Code, "and cannot subscribe again")
	})
}

func TestPartition_revocationLeavesThePrincipalsThatMayStillRead(t *testing.T) {
	env := newBoardsEnv(t, NewMemStore(), Options{})
	seedBoards(t, env)
	env.mustCreate("shares", map[string]any{"id": "s2", "boardId": "b1", "user": "cy"}, asUser("ada")...)
	ada := connect(t, env.http.URL, "ada", client1)
	cy := connect(t, env.http.URL, "cy", client2)
	for _, u := range []*wsUser{ada, cy} {
		msgs := u.sub("b1/cards", nil)
		require.IsType(t, wire.Live{}, msgs[len(msgs)-1])
	}
	require.Equal(t, http.StatusOK, env.do("DELETE", "/api/shares/s1", nil, asUser("ada")...).status, "bob's share, not cy's")
	env.mustCreate("cards", map[string]any{"id": "c2", "boardId": "b1", "title": "after"}, asUser("cy")...)
	for _, u := range []*wsUser{ada, cy} {
		ev := u.next().(wire.Event)
		assert.Equal(t, "c2", ev.ID, u.user+" checked again and still following")
	}
}

func TestPartition_aSubscriptionStartingAroundARevocationGetsNothingOfAfter(t *testing.T) {
	// The revocation commits while bob's subscription is registered but
	// before it read anything: the check after the read sees it.
	for _, delay := range []bool{false, true} {
		env := newBoardsEnv(t, NewMemStore(), Options{})
		seedBoards(t, env)
		bob := connect(t, env.http.URL, "bob", client2)
		bob.send(wire.Sub{Topic: "b1/cards"})
		if delay {
			// Revoke after bob's first message came: his subscription is
			// live or about to be, and the revocation ends it.
			first := bob.next()
			require.IsType(t, wire.Snapshot{}, first)
		}
		require.Equal(t, http.StatusOK, env.do("DELETE", "/api/shares/s1", nil, asUser("ada")...).status)
		env.mustCreate("cards", map[string]any{"id": "c9", "boardId": "b1", "title": "after"}, asUser("ada")...)
		msgs := bob.until(func(m wire.ServerMessage) bool {
			e, ok := m.(wire.ErrorMessage)
			return ok && e.Topic == "b1/cards"
		})
		wentLive := false
		for _, m := range msgs {
			if l, ok := m.(wire.Live); ok && l.Topic == "b1/cards" {
				wentLive = true
			}
			if e, ok := m.(wire.ErrorMessage); ok {
				want := map[bool]string{false: wire.CodeForbidden, true: wire.CodeRevoked}[wentLive]
				assert.Equal(t, want, e.Code, "revoked once live was sent, a refused subscribe before")
			}
			if ev, ok := m.(wire.Event); ok {
				assert.NotEqual(t, "c9", ev.ID, "an event committed after the revocation")
			}
			if s, ok := m.(wire.Snapshot); ok {
				for _, it := range s.Items {
					assert.NotEqual(t, "c9", it.ID)
				}
			}
		}
		assert.Empty(t, bob.fence("b2/cards"))
	}
}

// newBoardsInstance is one server instance with the partitioned fixtures
// on the PostgreSQL database of url.
func newBoardsInstance(t *testing.T, url string) *testEnv {
	t.Helper()
	st := openPostgresAt(t, url)
	bus, err := NewPostgresBus(context.Background(), st, PostgresBusOptions{Logger: quietLogger()})
	require.NoError(t, err)
	return newBoardsEnv(t, &instanceStore{Postgres: st, bus: bus}, Options{Bus: bus})
}

func TestPartition_postgresARevocationOnOneInstanceEndsSubscriptionsOnAnother(t *testing.T) {
	url := pgSchemaURL(t)
	a, b := newBoardsInstance(t, url), newBoardsInstance(t, url)
	seedBoards(t, a)
	bob := connect(t, b.http.URL, "bob", client2)
	control := connect(t, b.http.URL, "ada", client1)
	for _, u := range []*wsUser{bob, control} {
		msgs := u.sub("b1/cards", nil)
		require.IsType(t, wire.Live{}, msgs[len(msgs)-1])
	}
	a.mustCreate("cards", map[string]any{"id": "c2", "boardId": "b1", "title": "before"}, asUser("ada")...)
	assert.Equal(t, "c2", bob.next().(wire.Event).ID, "written on a, received on b")
	assert.Equal(t, "c2", control.next().(wire.Event).ID)

	// The revocation commits on a, with no event of b1/cards: b learns of
	// it from the access generation the commit notified.
	require.Equal(t, http.StatusOK, a.do("DELETE", "/api/shares/s1", nil, asUser("ada")...).status)
	e := bob.next().(wire.ErrorMessage)
	assert.Equal(t, wire.ErrorMessage{Code: wire.CodeRevoked, Message: "read access to b1/cards was revoked", Topic: "b1/cards"}, e)

	a.mustCreate("cards", map[string]any{"id": "c3", "boardId": "b1", "title": "after"}, asUser("ada")...)
	assert.Equal(t, "c3", control.next().(wire.Event).ID, "b delivered c3 to the subscribers it still has")
	assert.Empty(t, bob.fence("b2/cards"), "and none of it to bob")
}

func TestPartition_aCollectionCannotChangeBetweenPartitionedAndSyncedWhole(t *testing.T) {
	st := NewMemStore()
	s := New(st, Options{Logger: quietLogger()})
	registerDemo(t, s, nil) // lists and todos synced whole
	hs := newHTTP(t, s)
	env := &testEnv{t: t, srv: s, store: st, http: hs}
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "one"})

	other := New(st, Options{Logger: quietLogger()})
	defer other.Shutdown(context.Background())
	err := Register(other, pBoards)
	require.NoError(t, err, "boards is another collection")
	lists := form.Define("lists", listFields...).Partition("id")
	assert.ErrorContains(t, Register(other, lists), "the stored lists were written synced whole")
}
