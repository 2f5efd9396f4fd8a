package server

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chunkGate records every PruneClients call that deleted something and
// holds the pruner after the first one has committed, outside any
// transaction.
type chunkGate struct {
	Store
	mu     sync.Mutex
	chunks []int // clients deleted by each call
	gate   chan struct{}
}

func (g *chunkGate) Update(ctx context.Context, fn func(WriteTx) error) error {
	pruned := 0
	err := g.Store.Update(ctx, func(tx WriteTx) error { return fn(pruneSpy{tx, g, &pruned}) })
	g.mu.Lock()
	first := pruned > 0 && len(g.chunks) == 1
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return err
}

type pruneSpy struct {
	WriteTx
	g      *chunkGate
	pruned *int
}

func (p pruneSpy) PruneClients(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := p.WriteTx.PruneClients(ctx, before, limit)
	if n > 0 {
		p.g.mu.Lock()
		p.g.chunks = append(p.g.chunks, n)
		p.g.mu.Unlock()
	}
	*p.pruned = n
	return n, err
}

// Finding 2: the hourly prune deleted every expired record in one
// transaction, on the commit path: a big backlog held up every mutation.
func TestPrune_expiredRecordsGoInBoundedChunksOffTheCommitPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := &chunkGate{Store: NewMemStore(), gate: make(chan struct{})}
		s := New(g, Options{Logger: quietLogger(), Bus: &recordingBus{}, Quotas: Unlimited()})
		registerDemo(t, s, nil)
		b := &bubble{t: t, s: s, h: s.Handler()}
		defer b.stop()
		ctx := context.Background()
		require.NoError(t, g.Store.Update(ctx, func(tx WriteTx) error {
			for i := range 1200 {
				if err := tx.SaveResponse(ctx, fmt.Sprintf("%032x", i+1), "", 1, StoredResponse{Status: 400, Body: []byte("{}")}, 32, time.Now()); err != nil {
					return err
				}
			}
			return nil
		}))

		time.Sleep(31 * 24 * time.Hour) // expired; the pruner now waits after its first chunk
		done := make(chan int)
		go func() { done <- b.do("POST", "/api/lists", `{"id":"l1","name":"x"}`, mut(client1, 1)...).Code }()
		synctest.Wait()
		select {
		case code := <-done:
			assert.Equal(t, 201, code, "a mutation commits while the prune is under way")
		default:
			t.Error("the mutation waited for the prune")
			defer func() { <-done }()
		}
		close(g.gate)
		synctest.Wait()
		g.mu.Lock()
		defer g.mu.Unlock()
		assert.Equal(t, []int{500, 500, 200}, g.chunks, "chunks of at most 500 clients, each its own transaction")
	})
}

// Finding 6: list pages scanned past tombstones, kept forever, because
// deleted = 0 had no index.
func TestSQLite_listingLiveEntitiesSkipsTombstonesByIndex(t *testing.T) {
	st := openSQLite(t)
	defer st.Close()
	rows, err := st.r.Query("EXPLAIN QUERY PLAN "+qListLive, "todos", "", 10)
	require.NoError(t, err)
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
		plan = append(plan, detail)
	}
	require.NoError(t, rows.Err())
	assert.Contains(t, fmt.Sprint(plan), "entities_live", "plan: %q", plan)
}
