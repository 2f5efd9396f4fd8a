package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// failStore makes the commit of marked Update calls fail after fn ran, so
// the transaction rolls back as if the commit itself had failed.
type failStore struct {
	Store
	failNext atomic.Bool
}

var errInjected = errors.New("injected commit failure")

func (f *failStore) Update(ctx context.Context, fn func(WriteTx) error) error {
	return f.Store.Update(ctx, func(tx WriteTx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if f.failNext.CompareAndSwap(true, false) {
			return errInjected
		}
		return nil
	})
}

func TestB10_retryGetsTheStoredResponseAndAppliesOnce(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	first := env.do("POST", "/api/lists", map[string]any{"id": "l1", "name": "A"}, mut(client1, 5)...)
	require.Equal(t, 201, first.status)
	events := len(env.bus.all())

	// The same mutation again, even with a different body: the stored answer.
	again := env.do("POST", "/api/lists", map[string]any{"id": "l1", "name": "B"}, mut(client1, 5)...)
	require.Equal(t, 201, again.status)
	a, err := wire.DecodeMutationResponse(first.body)
	require.NoError(t, err)
	b, err := wire.DecodeMutationResponse(again.body)
	require.NoError(t, err)
	assert.False(t, a.Duplicate)
	assert.True(t, b.Duplicate)
	b.Duplicate = false
	assert.Equal(t, a, b)
	assert.Len(t, env.bus.all(), events, "a duplicate emits no event")

	// Another client's mutation 5 is a different mutation.
	other := env.do("PATCH", "/api/lists/l1", map[string]any{"name": "C"}, mut(client2, 5)...)
	require.Equal(t, 200, other.status)
}

func TestB11_serverSide_mutationIDsOnlyIncrease(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{ResponseRetention: 2})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"}, mut(client1, 1)...)
	// Gaps are fine: IDs need not be contiguous.
	require.Equal(t, 200, env.do("PATCH", "/api/lists/l1", `{"name":"B"}`, mut(client1, 7)...).status)
	require.Equal(t, 200, env.do("PATCH", "/api/lists/l1", `{"name":"C"}`, mut(client1, 9)...).status)
	require.Equal(t, 200, env.do("PATCH", "/api/lists/l1", `{"name":"D"}`, mut(client1, 10)...).status)
	n := len(env.bus.all())
	// mutation 1's answer is no longer stored; a late re-send is refused,
	// never applied after later ones.
	r := env.do("PATCH", "/api/lists/l1", `{"name":"late"}`, mut(client1, 1)...)
	require.Equal(t, 409, r.status, string(r.body))
	assert.Equal(t, wire.CodeProcessed, r.errBody(t).Error.Code)
	// An unseen lower ID (a client breaking the rule) is refused the same way.
	r = env.do("PATCH", "/api/lists/l1", `{"name":"late"}`, mut(client1, 8)...)
	require.Equal(t, 409, r.status)
	assert.Len(t, env.bus.all(), n)
	it, err := wire.DecodeItem(env.do("GET", "/api/lists/l1", nil).body)
	require.NoError(t, err)
	assert.JSONEq(t, `"D"`, string(mustField(t, it.Data, "name")))
}

func TestB34_permanentErrorIsRecordedAsProcessed(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	r := env.do("POST", "/api/lists", `{"id":"l1","name":""}`, mut(client1, 3)...)
	require.Equal(t, 422, r.status)
	// lastMutationID advanced.
	var cl ClientState
	require.NoError(t, env.store.View(context.Background(), func(rt ReadTx) error {
		var err error
		cl, _, err = rt.Client(context.Background(), client1)
		return err
	}))
	assert.Equal(t, uint64(3), cl.LastMutationID)
	// The retry gets the stored 422, marked duplicate, even though the body
	// is now valid: mutation 3 was processed.
	r = env.do("POST", "/api/lists", `{"id":"l1","name":"ok"}`, mut(client1, 3)...)
	require.Equal(t, 422, r.status)
	e := r.errBody(t)
	assert.True(t, e.Duplicate)
	assert.Equal(t, map[string]string{"name": "is required"}, e.Error.Fields)
	// Errors found before the transaction are recorded too (400, 413, 409).
	r = env.do("POST", "/api/lists", `{"id":"l1",`, mut(client1, 4)...)
	require.Equal(t, 400, r.status)
	r = env.do("POST", "/api/lists", `{"id":"l1","name":"ok"}`, mut(client1, 4)...)
	require.Equal(t, 400, r.status)
	assert.True(t, r.errBody(t).Duplicate)
	assert.Empty(t, env.bus.all())
}

func TestInvariant4_failedCommitEmitsNothing(t *testing.T) {
	fs := &failStore{Store: openSQLite(t)}
	env := newEnv(t, fs, Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"})
	n := len(env.bus.all())
	fs.failNext.Store(true)
	r := env.do("PATCH", "/api/lists/l1", `{"name":"B"}`, mut(client1, 1)...)
	require.Equal(t, 500, r.status)
	assert.Len(t, env.bus.all(), n, "no event for a rolled-back transaction")
	// Not recorded: the retry applies, and its event has the next seq.
	r = env.do("PATCH", "/api/lists/l1", `{"name":"B"}`, mut(client1, 1)...)
	require.Equal(t, 200, r.status)
	evs := env.bus.all()
	require.Len(t, evs, n+1)
	assert.Equal(t, uint64(2), evs[n].Seq)
	assert.Equal(t, uint64(1), evs[n].Prev)
}

// TestInvariant4_B29_eachCommitEmitsOneEventWithTheNextSeq runs concurrent
// clients mixing creates, updates, deletes with cascades, failing mutations
// and duplicates, then checks the events against the answers and the outbox.
func TestInvariant4_B29_eachCommitEmitsOneEventWithTheNextSeq(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) Store
	}{
		{"sqlite", func(t *testing.T) Store { return openSQLite(t) }},
		{"memory", func(t *testing.T) Store { return NewMemStore() }},
		{"postgres", func(t *testing.T) Store { return openPostgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, tc.store(t), Options{MaxBatch: 8})
			const clients, ops = 6, 25
			var applied atomic.Int64 // entity changes acknowledged, not duplicate
			var wg sync.WaitGroup
			for c := 0; c < clients; c++ {
				cid := fmt.Sprintf("%032x", c+1)
				wg.Go(func() {
					list := fmt.Sprintf("l%d", c)
					r := env.do("POST", "/api/lists", map[string]any{"id": list, "name": list}, mut(cid, 1)...)
					if r.status == 201 {
						applied.Add(1)
					}
					mid := uint64(1)
					for i := 0; i < ops; i++ {
						mid++
						var r resp
						switch i % 5 {
						case 0, 1:
							r = env.do("POST", "/api/todos", map[string]any{"id": fmt.Sprintf("%s-t%d", list, i), "listId": list, "title": fmt.Sprint("t", i)}, mut(cid, mid)...)
						case 2:
							r = env.do("PATCH", "/api/todos/"+fmt.Sprintf("%s-t%d", list, i-2), `{"done":true}`, mut(cid, mid)...)
						case 3:
							r = env.do("POST", "/api/todos", map[string]any{"id": "x", "listId": list, "title": ""}, mut(cid, mid)...) // 422
						case 4:
							r = env.do("PATCH", "/api/todos/"+fmt.Sprintf("%s-t%d", list, i-4), `{"done":false}`, mut(cid, mid)...)
							// and a duplicate of it
							d := env.do("PATCH", "/api/todos/"+fmt.Sprintf("%s-t%d", list, i-4), `{"done":false}`, mut(cid, mid)...)
							if !assert.Equal(t, r.status, d.status) {
								return
							}
						}
						if r.status < 300 {
							applied.Add(1)
						}
					}
				})
			}
			wg.Wait()
			// A cascade: deleting list l0 deletes its 10 todos in one mutation.
			require.Equal(t, 200, env.do("DELETE", "/api/lists/l0", nil, mut(client1, 1)...).status)
			applied.Add(11)

			evs := env.bus.all()
			assert.Equal(t, int(applied.Load()), len(evs), "exactly one event per acknowledged entity change")
			last := map[string]uint64{}
			for _, ev := range evs {
				require.Equal(t, last[ev.Topic], ev.Prev, "prev of %s/%d", ev.Topic, ev.Seq)
				require.Equal(t, ev.Prev+1, ev.Seq)
				last[ev.Topic] = ev.Seq
			}
			// The outbox holds the same events.
			require.NoError(t, env.store.View(context.Background(), func(rt ReadTx) error {
				for topic, seq := range last {
					st, _, err := rt.Topic(context.Background(), topic)
					require.NoError(t, err)
					assert.Equal(t, seq, st.Seq)
					out, err := rt.Events(context.Background(), topic, 0, 1<<20)
					require.NoError(t, err)
					assert.Len(t, out, int(seq))
				}
				return nil
			}))
		})
	}
}

func TestInvariant5_concurrentCopiesOfOneMutationApplyOnce(t *testing.T) {
	env := newEnv(t, openSQLite(t), Options{})
	env.mustCreate("lists", map[string]any{"id": "l1", "name": "A"})
	n := len(env.bus.all())
	const copies = 12
	results := make([]resp, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() {
			results[i] = env.do("POST", "/api/todos", map[string]any{"id": "t1", "listId": "l1", "title": "once"}, mut(client2, 42)...)
		})
	}
	wg.Wait()
	originals := 0
	for _, r := range results {
		require.Equal(t, http.StatusCreated, r.status, string(r.body))
		mr, err := wire.DecodeMutationResponse(r.body)
		require.NoError(t, err)
		if !mr.Duplicate {
			originals++
		}
		assert.Equal(t, uint64(1), mr.Version, "first event of topic todos")
	}
	assert.Equal(t, 1, originals)
	assert.Len(t, env.bus.all(), n+1)
}

func TestMarkDuplicate(t *testing.T) {
	assert.Equal(t, `{"id":"a","duplicate":true}`, string(markDuplicate([]byte(`{"id":"a","duplicate":false}`))))
	assert.Equal(t, `{"error":{"code":"x"},"duplicate":true}`, string(markDuplicate([]byte(`{"error":{"code":"x"}}`))))
	assert.JSONEq(t, `{"duplicate":true,"a":1}`, string(markDuplicate([]byte(`{"duplicate":0,"a":1}`))))
	assert.Equal(t, `nope`, string(markDuplicate([]byte(`nope`))))
}
