package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/form"
	"github.com/tandemkit/tandem/pkg/wire"
)

// A node deletes its Next (and, for a pair, its partner deletes it back).
type node struct {
	ID   string `json:"id"`
	Next string `json:"next"`
	Rule string `json:"rule"`
}

// nodeEnv serves a "nodes" collection whose hooks fail on demand: rule
// "plain" is a business rule (a plain error), "panic" panics, "transient" is
// a hook's own 5xx, "store" wraps an error of a store read.
func nodeEnv(t *testing.T, st Store, authorize func(context.Context, Request) error) *testEnv {
	t.Helper()
	bus := &recordingBus{}
	s := New(st, Options{Bus: bus, Logger: quietLogger()})
	nodes := form.Define("nodes",
		form.String("next", func(v *node) *string { return &v.Next }),
		form.String("rule", func(v *node) *string { return &v.Rule })).CreateOnly("next")
	require.NoError(t, Register(s, nodes, Hooks[node]{
		Authorize: authorize,
		BeforeWrite: func(ctx context.Context, tx *Tx, w Write[node]) error {
			switch w.New.Rule {
			case "plain":
				return errors.New("nodes may not be called that")
			case "panic":
				var m map[string]int
				m["boom"]++ // a bug in a hook
			case "transient":
				return &Error{Status: http.StatusServiceUnavailable, Code: wire.CodeUnavailable, Message: "the quota service is down"}
			case "store":
				if _, _, err := tx.Get("nodes", "probe"); err != nil {
					return fmt.Errorf("checking the probe: %w", err)
				}
			}
			return nil
		},
		BeforeDelete: func(ctx context.Context, tx *Tx, old node) error {
			if old.Next == "" {
				return nil
			}
			return tx.Delete("nodes", old.Next)
		},
	}))
	env := &testEnv{t: t, srv: s, store: st, bus: bus}
	env.http = newHTTP(t, s)
	return env
}

// faultyStore fails every Get of id "probe" while failing is set, as a
// broken disk would.
type faultyStore struct {
	Store
	failing atomic.Bool
}

var errDisk = errors.New("disk I/O error")

func (f *faultyStore) Update(ctx context.Context, fn func(WriteTx) error) error {
	return f.Store.Update(ctx, func(tx WriteTx) error { return fn(faultyTx{tx, f}) })
}

type faultyTx struct {
	WriteTx
	f *faultyStore
}

func (t faultyTx) Get(ctx context.Context, collection, id string) (Record, bool, error) {
	if id == "probe" && t.f.failing.Load() {
		return Record{}, false, errDisk
	}
	return t.WriteTx.Get(ctx, collection, id)
}

func TestB34_deterministicHookFailuresAreRecordedRejections(t *testing.T) {
	for _, tc := range []struct {
		name, rule, message string
	}{
		{"a hook's plain error is a business rule", "plain", "nodes may not be called that"},
		{"a panic in a hook", "panic", "the server failed to apply this mutation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := nodeEnv(t, NewMemStore(), nil)
			body := `{"id":"n1","rule":"` + tc.rule + `"}`
			r := env.do("POST", "/api/nodes", body, mut(client1, 1)...)
			require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
			e := r.errBody(t)
			assert.Equal(t, wire.CodeRejected, e.Error.Code)
			assert.Equal(t, tc.message, e.Error.Message)
			assert.False(t, e.Duplicate)
			// Recorded: the client's retry gets the same answer as a
			// duplicate, and its next mutation is not blocked.
			r = env.do("POST", "/api/nodes", body, mut(client1, 1)...)
			require.Equal(t, http.StatusUnprocessableEntity, r.status)
			assert.True(t, r.errBody(t).Duplicate)
			env.mustCreate("nodes", `{"id":"n2"}`, mut(client1, 2)...)
			assert.Len(t, env.bus.all(), 1, "only the good mutation emitted an event")
		})
	}
}

func TestB34_cascadeCycleTerminatesAndTooDeepCascadeIsARecordedRejection(t *testing.T) {
	env := nodeEnv(t, NewMemStore(), nil)
	// a and b delete each other.
	env.mustCreate("nodes", `{"id":"a","next":"b"}`)
	env.mustCreate("nodes", `{"id":"b","next":"a"}`)
	r := env.do("DELETE", "/api/nodes/a", nil, mut(client1, 1)...)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.Equal(t, http.StatusNotFound, env.do("GET", "/api/nodes/a", nil).status)
	assert.Equal(t, http.StatusNotFound, env.do("GET", "/api/nodes/b", nil).status)
	evs := env.bus.all()
	require.Len(t, evs, 4, "two creates, then one delete event per node")
	assert.Equal(t, []string{"b", "a"}, []string{evs[2].ID, evs[3].ID})

	// A chain longer than the depth limit: c0 -> c1 -> ... -> c20.
	for i := 20; i >= 0; i-- {
		next := ""
		if i < 20 {
			next = "c" + strconv.Itoa(i+1)
		}
		env.mustCreate("nodes", `{"id":"c`+strconv.Itoa(i)+`","next":"`+next+`"}`)
	}
	n := len(env.bus.all())
	r = env.do("DELETE", "/api/nodes/c0", nil, mut(client1, 2)...)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	assert.Equal(t, wire.CodeRejected, r.errBody(t).Error.Code)
	assert.Contains(t, r.errBody(t).Error.Message, "cascade deeper than 16 levels")
	assert.Len(t, env.bus.all(), n, "nothing of the cascade was committed")
	r = env.do("DELETE", "/api/nodes/c0", nil, mut(client1, 2)...)
	assert.True(t, r.errBody(t).Duplicate, "recorded: the retry does not run the cascade again")
}

func TestB10_transientFailuresAre5xxAndNotRecorded(t *testing.T) {
	t.Run("a store error inside a hook, however wrapped, is 500", func(t *testing.T) {
		fs := &faultyStore{Store: NewMemStore()}
		env := nodeEnv(t, fs, nil)
		fs.failing.Store(true)
		r := env.do("POST", "/api/nodes", `{"id":"n1","rule":"store"}`, mut(client1, 1)...)
		require.Equal(t, http.StatusInternalServerError, r.status, string(r.body))
		assert.Equal(t, wire.CodeInternal, r.errBody(t).Error.Code)
		assert.NotContains(t, string(r.body), "disk", "store errors are logged, not sent")
		fs.failing.Store(false)
		r = env.do("POST", "/api/nodes", `{"id":"n1","rule":"store"}`, mut(client1, 1)...)
		require.Equal(t, http.StatusCreated, r.status, "not recorded: the retry is applied")
	})
	t.Run("a hook's own 5xx Error", func(t *testing.T) {
		env := nodeEnv(t, NewMemStore(), nil)
		r := env.do("POST", "/api/nodes", `{"id":"n1","rule":"transient"}`, mut(client1, 1)...)
		require.Equal(t, http.StatusServiceUnavailable, r.status)
		assert.Equal(t, "the quota service is down", r.errBody(t).Error.Message)
		r = env.do("POST", "/api/nodes", `{"id":"n1"}`, mut(client1, 1)...)
		require.Equal(t, http.StatusCreated, r.status, "not recorded: the retry is applied")
	})
}

func TestAuthorize_sentinelsAreRecordedOtherErrorsAre503AndNotRecorded(t *testing.T) {
	var down atomic.Bool
	var calls atomic.Int64
	env := nodeEnv(t, NewMemStore(), func(ctx context.Context, r Request) error {
		calls.Add(1)
		switch {
		case r.ID == "secret":
			return ErrForbidden
		case down.Load():
			return errors.New("permission service unreachable")
		}
		return nil
	})
	r := env.do("POST", "/api/nodes", `{"id":"secret"}`, mut(client1, 1)...)
	require.Equal(t, http.StatusForbidden, r.status)
	r = env.do("POST", "/api/nodes", `{"id":"secret"}`, mut(client1, 1)...)
	assert.True(t, r.errBody(t).Duplicate, "a refusal is recorded")

	down.Store(true)
	r = env.do("POST", "/api/nodes", `{"id":"n1"}`, mut(client1, 2)...)
	require.Equal(t, http.StatusServiceUnavailable, r.status)
	assert.Equal(t, wire.CodeUnavailable, r.errBody(t).Error.Code)
	assert.NotContains(t, string(r.body), "unreachable", "the hook's error is logged, not sent")
	r = env.do("GET", "/api/nodes/n1", nil)
	assert.Equal(t, http.StatusServiceUnavailable, r.status, "reads too")
	down.Store(false)
	env.mustCreate("nodes", `{"id":"n1"}`, mut(client1, 2)...) // not recorded: the retry is applied

	// Authorize runs once per request, a create included (after its body
	// parsed, with the id).
	for _, tc := range []struct {
		method, path, body string
	}{
		{"POST", "/api/nodes", `{"id":"n2"}`},
		{"PATCH", "/api/nodes/n2", `{"rule":"x"}`},
		{"DELETE", "/api/nodes/n2", ""},
		{"GET", "/api/nodes/n1", ""},
		{"GET", "/api/nodes", ""},
	} {
		before := calls.Load()
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := env.do(tc.method, tc.path, body)
		require.Less(t, r.status, 300, "%s %s: %s", tc.method, tc.path, r.body)
		assert.Equal(t, int64(1), calls.Load()-before, "%s %s", tc.method, tc.path)
	}
}
