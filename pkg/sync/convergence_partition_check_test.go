//go:build !js

package sync_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/tandemkit/tandem/examples/todo/model"
	"github.com/tandemkit/tandem/internal/convergence"
	"github.com/tandemkit/tandem/pkg/state"
	"github.com/tandemkit/tandem/pkg/store"
	tsync "github.com/tandemkit/tandem/pkg/sync"
	"github.com/tandemkit/tandem/pkg/wire"
)

// listing is what the server lists of partition key of coll for user, by
// id (the object's JSON); readable is false when the server refuses.
func (w *pWorld) listing(user, coll, key string) (items map[string]string, readable bool, err error) {
	req, err := http.NewRequest("GET", w.front.URL+"/api/"+coll+"?partition="+key+"&limit=1000", nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Authorization", "Bearer "+user)
	res, err := w.front.Client().Do(req)
	if err != nil {
		return nil, false, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, false, err
	}
	switch res.StatusCode {
	case http.StatusOK:
	case http.StatusForbidden:
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("GET %s?partition=%s as %s: %d %s", coll, key, user, res.StatusCode, body)
	}
	page, err := wire.DecodeSnapshotPage(body)
	if err != nil {
		return nil, false, err
	}
	if page.Next != "" {
		return nil, false, errors.New("more than a page")
	}
	items = map[string]string{}
	for _, it := range page.Items {
		items[it.ID] = string(it.Data)
	}
	return items, true, nil
}

// pView is one collection of a client as the quiescence check reads it.
type pView struct {
	coll string
	open func() []string
	// held returns, tracked, what the client shows of ids (visible,
	// checked against confirmed) and how many entities it shows in all.
	held func(ids []string) (map[string]string, int, error)
	// ids returns every id the client shows (not tracked).
	ids    func() []string
	status func(key string) store.PartitionState
}

func viewOf[T any](g *state.Graph, c *store.Collection[T]) pView {
	return pView{coll: c.Name(), open: c.OpenPartitions, status: c.Partition,
		ids: func() []string {
			var ids []string
			g.Untracked(func() {
				all := c.View()
				defer all.Dispose()
				ids = all.IDs()
			})
			return ids
		},
		held: func(ids []string) (map[string]string, int, error) {
			out := map[string]string{}
			for _, id := range ids {
				v, ok := c.Get(id)
				if !ok {
					continue
				}
				cv, _, cok := c.Confirmed(id)
				vb := convergence.JSON(v)
				cb := convergence.JSON(cv)
				if !cok || vb != cb {
					return nil, 0, fmt.Errorf("%s/%s: visible %s differs from confirmed %s", c.Name(), id, vb, cb)
				}
				out[id] = vb
			}
			return out, c.Len(), nil
		}}
}

// quiesce stops the faults, reconnects every client, and waits until each
// holds what the server lists for its user of the partitions it has open;
// then checks what the server sent and what the mutations did.
func (w *pWorld) quiesce() error {
	w.quiet.Store(true)
	// First, on the connections the trace left (faults and all): each
	// client lets go of what its user may no longer read, and of what was
	// deleted, without a reconnect — which would subscribe everything
	// anew and hide a revocation that never came.
	for _, p := range w.peers {
		p.lossy.Arm(false)
		if err := w.converged(p, false); err != nil {
			return fmt.Errorf("still holds: %w", err)
		}
	}
	for _, p := range w.peers {
		p.Do(p.sc.Reconnect)
	}
	for _, p := range w.peers {
		if err := w.converged(p, true); err != nil {
			return fmt.Errorf("no convergence: %w", err)
		}
	}
	w.record()
	for _, p := range w.peers {
		if err := w.neverRevealed(p); err != nil {
			return err
		}
	}
	if err := w.exactlyOnce(); err != nil {
		return err
	}
	final := map[string]string{}
	st, err := w.state()
	if err != nil {
		return err
	}
	for id, v := range st.boards {
		final["lists/"+id] = convergence.JSON(v)
	}
	for id, v := range st.todos {
		final["todos/"+id] = convergence.JSON(v)
	}
	for id, v := range st.shares {
		final["shares/"+id] = convergence.JSON(v)
	}
	return w.Check(final)
}

// converged waits until p agrees with the server: live, nothing pending,
// and each collection holding exactly the server's listing, for p's user,
// of its open partitions the user may read, with those partitions live.
// Not full, it waits only until p holds nothing else: nothing of its
// partitions the user may not read or it has not open, nothing deleted.
func (w *pWorld) converged(p *pPeer, full bool) error {
	views := []pView{viewOf(p.Graph, p.lists), viewOf(p.Graph, p.todos), viewOf(p.Graph, p.shares), viewOf(p.Graph, p.access)}
	type part struct {
		view     pView
		key      string
		items    map[string]string
		readable bool
	}
	var parts []part
	for _, v := range views {
		var open []string
		p.Do(func() { open = v.open() })
		for _, key := range open {
			items, readable, err := w.listing(p.user, v.coll, key)
			if err != nil {
				return err
			}
			parts = append(parts, part{v, key, items, readable})
		}
	}
	return p.Until(10*time.Second, func() error {
		if !full {
			for _, v := range views {
				var want []string
				for _, pt := range parts {
					if pt.view.coll == v.coll {
						want = append(want, sortedKeys(pt.items)...)
					}
				}
				got, n, err := v.held(want)
				if err != nil {
					return fmt.Errorf("c%d: %w", p.i, err)
				}
				if n > len(got) {
					return fmt.Errorf("c%d (%s) shows %d %s besides the server's of its open partitions it may read", p.i, p.user, n-len(got), v.coll)
				}
			}
			return nil
		}
		if st := p.sc.State(); st != tsync.Live {
			return fmt.Errorf("c%d is %s", p.i, st)
		}
		if n := p.s.PendingCount(); n != 0 {
			return fmt.Errorf("c%d has %d pending", p.i, n)
		}
		for _, v := range views {
			want := map[string]string{}
			for _, pt := range parts {
				if pt.view.coll != v.coll {
					continue
				}
				if st := v.status(pt.key); pt.readable && st.Status != store.PartitionLive {
					return fmt.Errorf("c%d (%s) may read %s/%s, open, but it is %s", p.i, p.user, pt.key, v.coll, st.Status)
				}
				for id, data := range pt.items {
					want[id] = data
				}
			}
			got, n, err := v.held(sortedKeys(want))
			if err != nil {
				return fmt.Errorf("c%d: %w", p.i, err)
			}
			for id, data := range want {
				if got[id] != data {
					return fmt.Errorf("c%d (%s) has %s/%s = %q, the server lists %s", p.i, p.user, v.coll, id, got[id], data)
				}
			}
			if n != len(want) {
				var extra []string
				for _, id := range v.ids() {
					if _, ok := want[id]; !ok {
						extra = append(extra, id)
					}
				}
				return fmt.Errorf("c%d (%s) shows %d %s, the server lists %d for its open partitions: also %v", p.i, p.user, n, v.coll, len(want), extra)
			}
		}
		return nil
	})
}

// neverRevealed checks every event and snapshot the server sent p: of a
// board p's user could read once the step that published it was done, or
// could read again later (read access includes the retained log); one that
// holds no data — a delete, a snapshot of tombstones — may also be of a
// board the user could read before that step (a board's deletion ends its
// readers' access in the transaction that deletes its todos); of the
// user's own accesses only.
func (w *pWorld) neverRevealed(p *pPeer) error {
	pos := map[string]int{} // "topic seq" -> index in the bus
	for i, ev := range w.bus.all() {
		if !ev.Reauthorize {
			pos[ev.Topic+" "+strconv.FormatUint(ev.Seq, 10)] = i
		}
	}
	readable := func(board string, i int, dataless bool) bool {
		k := 0
		if i >= 0 {
			k = w.eventStep[i]
		}
		for j := k; j < len(w.steps); j++ {
			if w.steps[j][p.user][board] {
				return true
			}
		}
		return dataless && k > 0 && w.steps[k-1][p.user][board]
	}
	for _, m := range p.tap.all() {
		var topic, what string
		var seq uint64
		dataless := true
		switch m := m.(type) {
		case wire.ErrorMessage:
			w.stats["server sent error "+m.Code]++
			continue
		case wire.Event:
			topic, seq, what = m.Topic, m.Seq, fmt.Sprintf("event %s %s", m.Op, m.ID)
			dataless = m.Op == wire.OpDelete
			w.stats["server sent events"]++
		case wire.Snapshot:
			topic, seq, what = m.Topic, m.Seq, fmt.Sprintf("snapshot part %d of %d items", m.Part, len(m.Items))
			w.stats["server sent snapshot parts"]++
			for _, it := range m.Items {
				dataless = dataless && it.Deleted
			}
		default:
			continue
		}
		key, coll := wire.SplitTopic(topic)
		if coll == model.Accesses.Name() {
			if key != p.user {
				return fmt.Errorf("c%d (%s) got %s of %s: another user's accesses", p.i, p.user, what, topic)
			}
			continue
		}
		i := -1
		if seq > 0 {
			var ok bool
			if i, ok = pos[topic+" "+strconv.FormatUint(seq, 10)]; !ok {
				return fmt.Errorf("c%d got %s of %s at seq %d, which was never published", p.i, what, topic, seq)
			}
		}
		if !readable(key, i, dataless) {
			return fmt.Errorf("c%d (%s) got %s of %s at seq %d, when it could not read board %s", p.i, p.user, what, topic, seq, key)
		}
	}
	return nil
}

// exactlyOnce checks that every mutation the server applied left one event
// per entity and topic, that every acknowledged one was applied and that no
// refused one was.
func (w *pWorld) exactlyOnce() error {
	seen := map[string]bool{}
	applied := map[wire.Origin]bool{}
	for _, ev := range w.bus.all() {
		if ev.Reauthorize || ev.Origin == nil {
			continue
		}
		key := fmt.Sprintf("%s/%d %s %s", ev.Origin.ClientID, ev.Origin.MutationID, ev.Topic, ev.ID)
		if seen[key] {
			return fmt.Errorf("mutation %s/%d changed %s of %s twice", ev.Origin.ClientID, ev.Origin.MutationID, ev.ID, ev.Topic)
		}
		seen[key] = true
		applied[*ev.Origin] = true
	}
	for o, out := range w.settled {
		switch {
		case out == convergence.Acked && !applied[o]:
			return fmt.Errorf("mutation %s/%d was acknowledged but never applied", o.ClientID, o.MutationID)
		case out == convergence.Refused && applied[o]:
			return fmt.Errorf("mutation %s/%d was refused but applied", o.ClientID, o.MutationID)
		}
	}
	return nil
}
