package store

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/cache"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/wire"
)

// Regressions found in review: each test failed before its fix.

func TestAnswerAboutAnotherEntityIsNotApplied(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(Todo{ID: "a", ListID: "l", Title: "A"}, 1))
		p := renameTodo(h.todos).Run(Todo{ID: "a", Title: "A2"})
		h.reply(h.next(), 200, wire.MutationResponse{ID: "b", Version: 7, Data: json.RawMessage(`{"id":"b","title":"B"}`),
			Topic: "todos", Seq: 7, MutationID: 99, Duplicate: true})
		v, _, _ := h.todos.Confirmed("a")
		assert.Equal(t, "A", v.Title, "a's confirmed layer keeps a's object")
		assert.Equal(t, Failed, p.Status())
		assert.Empty(t, h.todos.PendingOf("a"))
	})
}

type Tagged struct {
	ID   string            `json:"id"`
	Tags map[string]string `json:"tags"`
}

func TestCloneKeepsConfirmedObjectsIntact(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		tc, err := NewCollection(h.s, CollectionOptions[Tagged, Tagged]{Name: "tagged", Codec: Identity[Tagged](),
			Clone: func(t Tagged) Tagged { t.Tags = maps.Clone(t.Tags); return t }})
		require.NoError(t, err)
		tc.ApplyItems(wire.Item{ID: "x", Version: 1, Data: json.RawMessage(`{"id":"x","tags":{"color":"red"}}`)})
		m := NewMutation(tc, nil, func(c string) Op[Tagged] {
			return Patch("x", func(t *Tagged) { t.Tags["color"] = c }, "tags")
		})
		m.Run("blue")
		v, _ := tc.Get("x")
		assert.Equal(t, "blue", v.Tags["color"])
		h.reply(h.next(), 422, errorBody(wire.CodeInvalid, "no", map[string]string{"tags": "bad"}))
		conf, _, _ := tc.Confirmed("x")
		v, _ = tc.Get("x")
		assert.Equal(t, "red", conf.Tags["color"], "the patch changed a copy")
		assert.Equal(t, "red", v.Tags["color"], "and the refusal rolled it back")
	})
}

func TestIfMatchUsesTheVersionConfirmedWhenSent(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		h.todos.ApplyItems(item(Todo{ID: "t1", ListID: "l", Title: "a"}, 3))
		m := NewMutation(h.todos, nil, func(s string) Op[Todo] {
			return Patch("t1", func(t *Todo) { t.Title = s }, "title")
		}, IfMatch())
		m.Run("b")
		m.Run("c")
		ex := h.next()
		assert.Equal(t, wire.FormatETag(3), ex.req.Header[wire.HeaderIfMatch])
		h.seq = 3
		h.reply(ex, 200, h.confirmOf(ex, Todo{ID: "t1", ListID: "l", Title: "b"}))
		assert.Equal(t, wire.FormatETag(4), h.next().req.Header[wire.HeaderIfMatch], "the version the first one confirmed")
	})
}

func TestServerErrorsGiveUpAfterALimitNetworkErrorsDoNot(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.RetryBase, o.RetryCap, o.MaxServerErrors = 20*time.Second, time.Minute, 3 })
		p := createTodo(h.todos).Run(milk)
		for range 5 {
			h.fail(h.next(), errors.New("offline")) // never counted against the mutation
			h.clock.Advance(time.Minute)
		}
		for range 3 {
			h.reply(h.next(), 503, "")
			h.clock.Advance(time.Minute)
		}
		assert.Equal(t, Failed, p.Status())
		var me *MutationError
		require.ErrorAs(t, p.Err(), &me)
		assert.Equal(t, 503, me.Status)
		_, ok := h.visible("t1")
		assert.False(t, ok, "rolled back")
	})
}

func TestAPanickingViewDoesNotWedgeTheCollection(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		v := h.todos.View(Where(func(t Todo) bool {
			if t.Title == "boom" {
				panic("filter bug")
			}
			return true
		}))
		defer v.Dispose()
		h.todos.ApplyItems(item(Todo{ID: "a", Title: "ok"}, 1), item(Todo{ID: "b", Title: "boom"}, 2))
		require.NotEmpty(t, h.errs, "reported")
		h.todos.ApplyItems(item(Todo{ID: "c", Title: "fine"}, 3))
		x, ok := h.visible("c")
		assert.True(t, ok)
		assert.Equal(t, "fine", x.Title)
	})
}

func TestCreateBodyNamesIDOnce(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		createTodo(h.todos).Run(milk)
		assert.Equal(t, 1, strings.Count(string(h.next().req.Body), `"id"`))
	})
}

func TestRestoredMutationWaitsForItsCollection(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		st := &cache.MemoryStorage{}
		rec := `{"v":1,"clientID":"0123456789abcdef0123456789abcdef","lastMutationID":1,"pending":[{"mutationID":1,"collection":"lists","kind":1,"id":"L","body":{"id":"L","title":"groceries"},"optimistic":true}]}`
		require.NoError(t, st.Set("tandem.outbox", []byte(rec)))
		h := newHarness(t, func(o *Options) { o.Storage, o.ClientID = st, "" })
		h.none() // "lists" is not registered yet
		lists, err := NewCollection(h.s, CollectionOptions[Todo, Todo]{Name: "lists", Codec: Identity[Todo]()})
		require.NoError(t, err)
		ex := h.next()
		assert.Equal(t, "POST /lists", pathOf(ex))
		h.reply(ex, 201, wire.MutationResponse{ID: "L", Version: 1, Data: json.RawMessage(`{"id":"L","title":"groceries"}`), Topic: "lists", Seq: 1, MutationID: 1})
		_, ok := lists.Get("L")
		assert.True(t, ok)
	})
}

func TestTwoRuntimesRestoringOneRecordNeverShareAMutationID(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		st := &cache.MemoryStorage{}
		shared := func(o *Options) { o.Storage, o.ClientID = st, "" }
		h1 := newHarness(t, shared)
		createTodo(h1.todos).Run(milk)
		h1.next() // in flight when the tab is duplicated
		h2 := newHarness(t, shared)
		createTodo(h1.todos).Run(Todo{ID: "t2", ListID: "l1", Title: "bread"})
		createTodo(h2.todos).Run(Todo{ID: "t3", ListID: "l1", Title: "eggs"})
		assert.NotEqual(t, h1.s.ClientID(), h2.s.ClientID())
		resent := h2.next()
		assert.Equal(t, h1.s.ClientID(), resent.req.Header[wire.HeaderClientID], "the restored create keeps its identity: dedup makes the resend harmless")
	})
}

func TestCloseSettlesWhatWaits(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := createTodo(h.todos).Run(milk)
		h.next()
		h.s.Close()
		h.settle()
		assert.ErrorIs(t, p.Err(), ErrClosed)
	})
}

func TestStoreNeedsAScheduler(t *testing.T) {
	_, err := New(Options{Graph: state.NewGraph()})
	assert.ErrorContains(t, err, "scheduler")
	_, err = New(Options{Graph: state.NewGraph(state.WithScheduler(func(fn func()) { fn() })), ClientID: "c1"})
	assert.ErrorContains(t, err, "invalid ClientID")
}

func TestClientIDClashTakesAFreshClientID(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := createTodo(h.todos).Run(milk)
		h.fail(h.next(), errors.New("offline"))
		old := h.s.ClientID()
		err := h.s.Acknowledge(5) // the server processed mutations of this clientID this store never made
		require.ErrorIs(t, err, ErrClientIDClash)
		assert.NotEqual(t, old, h.s.ClientID())
		assert.Equal(t, Waiting, p.Status(), "not dropped")
		ex := h.next() // resent at once

		assert.Equal(t, h.s.ClientID(), ex.req.Header[wire.HeaderClientID])
		assert.Equal(t, "1", ex.req.Header[wire.HeaderMutationID], "renumbered under the new clientID")
	})
}

func TestTimeoutAnswerIsRetried(t *testing.T) {
	inBubble(t, func(t *testing.T) {
		h := newHarness(t)
		p := createTodo(h.todos).Run(milk)
		ex := h.next()
		h.reply(ex, 408, errorBody("timeout", "the body did not arrive", nil))
		h.clock.Advance(time.Minute)
		ex = h.next()
		assert.Equal(t, "1", ex.req.Header[wire.HeaderMutationID], "the same mutation again: a 408 is not recorded")
		h.reply(ex, 201, h.confirmOf(ex, milk))
		assert.Equal(t, Succeeded, p.Status())
	})
}
