package cache

import (
	"encoding/json"
	"fmt"
	"time"
)

// DehydratedState is a JSON-ready snapshot of a client's cache: what
// Dehydrate produces and Hydrate restores (TanStack's DehydratedState).
type DehydratedState struct {
	Queries   []DehydratedQuery    `json:"queries"`
	Mutations []DehydratedMutation `json:"mutations"`
}

// DehydratedQuery is one query of a DehydratedState.
type DehydratedQuery struct {
	Key           Key             `json:"key"`
	Hash          string          `json:"hash"`
	Data          json.RawMessage `json:"data"`
	DataUpdatedAt time.Time       `json:"dataUpdatedAt"`
	Status        Status          `json:"status"`
}

// DehydratedMutation is one mutation of a DehydratedState.
type DehydratedMutation struct {
	Key         Key             `json:"key"`
	Scope       string          `json:"scope,omitempty"`
	Variables   json.RawMessage `json:"variables"`
	Context     json.RawMessage `json:"context,omitempty"`
	SubmittedAt time.Time       `json:"submittedAt"`
	IsPaused    bool            `json:"isPaused"`
}

// DehydrateOptions choose what Dehydrate keeps; nil funcs mean the
// defaults of QB-60: successful queries and paused mutations.
type DehydrateOptions struct {
	ShouldDehydrateQuery    func(QueryInfo) bool
	ShouldDehydrateMutation func(MutationInfo) bool
}

// Dehydrate snapshots the cache for persistence or server rendering. Data
// and variables are encoded with encoding/json (data fetched through the
// JSON helper reuses its response bytes). A value that does not encode is
// left out and reported in the returned error, with the rest of the state
// still returned.
func Dehydrate(c *Client, opts DehydrateOptions) (DehydratedState, error) {
	c.lock()
	type qsnap struct {
		info QueryInfo
		data any
		raw  []byte
	}
	var qs []qsnap
	for _, q := range c.queries() {
		info := q.info()
		keep := info.Status == StatusSuccess
		if opts.ShouldDehydrateQuery != nil {
			keep = opts.ShouldDehydrateQuery(info)
		}
		if keep && q.state.hasData {
			qs = append(qs, qsnap{info: info, data: q.state.data, raw: q.state.raw})
		}
	}
	var ms []MutationInfo
	for _, m := range c.mutations {
		info := m.info()
		keep := info.IsPaused
		if opts.ShouldDehydrateMutation != nil {
			keep = opts.ShouldDehydrateMutation(info)
		}
		if keep {
			ms = append(ms, info)
		}
	}
	c.unlock()

	var out DehydratedState
	var errs []error
	for _, s := range qs {
		raw := s.raw
		if r, ok := s.data.(rawJSON); ok {
			raw = r
		}
		if raw == nil {
			b, err := json.Marshal(s.data)
			if err != nil {
				errs = append(errs, fmt.Errorf("cache: dehydrate %s: %w", s.info.Hash, err))
				continue
			}
			raw = b
		}
		out.Queries = append(out.Queries, DehydratedQuery{Key: s.info.Key, Hash: s.info.Hash, Data: raw, DataUpdatedAt: s.info.DataUpdatedAt, Status: s.info.Status})
	}
	for _, m := range ms {
		vars, err := marshalValue(m.Variables)
		if err != nil {
			errs = append(errs, fmt.Errorf("cache: dehydrate mutation %v: %w", m.Key, err))
			continue
		}
		mctx, err := marshalValue(m.Context)
		if err != nil {
			mctx = nil // a context that does not encode is dropped, as functions are in JSON
		}
		out.Mutations = append(out.Mutations, DehydratedMutation{Key: m.Key, Scope: m.Scope, Variables: vars, Context: mctx, SubmittedAt: m.SubmittedAt, IsPaused: m.IsPaused})
	}
	return out, joinErrors(errs)
}

func marshalValue(v any) (json.RawMessage, error) {
	if r, ok := v.(rawJSON); ok {
		return json.RawMessage(r), nil
	}
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Hydrate restores a DehydratedState into c. A query already cached with
// data at least as new is left alone; restored queries start idle (QB-61)
// and their JSON is decoded when a typed reader first asks for it.
// Restored mutations are paused until ResumePausedMutations or reconnect
// runs them with the function of SetMutationDefaults (QB-59). Queries with
// invalid keys are skipped and reported.
func Hydrate(c *Client, s DehydratedState) error {
	var errs []error
	c.lock()
	defer c.unlock()
	for _, dq := range s.Queries {
		if len(dq.Data) == 0 {
			continue
		}
		q, err := c.lookup(dq.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("cache: hydrate: %w", err))
			continue
		}
		raw := rawJSON(append([]byte(nil), dq.Data...))
		st := queryState{data: raw, hasData: true, raw: raw, dataUpdatedAt: dq.DataUpdatedAt, status: StatusSuccess, fetchStatus: FetchIdle}
		if q != nil {
			if q.state.dataUpdatedAt.Before(dq.DataUpdatedAt) {
				st.dataID = c.nextID()
				st.fetchStatus = q.state.fetchStatus
				st.dataUpdateCount = q.state.dataUpdateCount
				q.setState(&st)
			}
			continue
		}
		st.dataID = c.nextID()
		q = c.create(c.plainConfig(dq.Key), dq.Key, nil, time.Time{})
		q.state = st
		q.dispatch(&action{kind: actSetState, state: &st})
	}
	for _, dm := range s.Mutations {
		cfg := c.resolveMutation(&mutationConfig{key: dm.Key, scope: dm.Scope})
		m := c.newMutation(cfg)
		var vars, mctx any
		if len(dm.Variables) > 0 {
			vars = rawJSON(append([]byte(nil), dm.Variables...))
		}
		if len(dm.Context) > 0 {
			mctx = rawJSON(append([]byte(nil), dm.Context...))
		}
		m.state = mutationState{status: MutationPending, isPaused: true, variables: vars, context: mctx, submittedAt: dm.SubmittedAt}
		c.addMutation(m)
	}
	return joinErrors(errs)
}
