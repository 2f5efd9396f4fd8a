package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A plan is what a starting subscription sends: msgs (resync, snapshot
// parts or replayed events), then live at the watermark.
type plan struct {
	msgs      [][]byte
	watermark uint64
	live      []byte
}

// startPlan reads, in one read transaction, what a sub with since needs:
// nothing (already current), a replay of the retained events after since, or
// a snapshot.
func (s *Server) startPlan(ctx context.Context, topic string, since *wire.Cursor) (plan, error) {
	var p plan
	maxMsg := s.opts.MaxMsg
	err := s.store.View(ctx, func(rt ReadTx) error {
		st, found, err := rt.Topic(ctx, topic)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("server: topic %q missing from the store", topic)
		}
		p.watermark = st.Seq
		resync := func(reason wire.ResyncReason, mode wire.ResyncMode) error {
			b, err := wire.EncodeServerMessage(wire.Resync{Topic: topic, Reason: reason, Mode: mode})
			p.msgs = append(p.msgs, b)
			return err
		}
		switch {
		case since == nil:
			// A fresh subscription: a snapshot without resync.
		case since.Epoch != st.Epoch || since.Seq > st.Seq:
			if err := resync(wire.ReasonEpoch, wire.ModeSnapshot); err != nil {
				return err
			}
		case since.Seq == st.Seq:
			return nil // nothing missed: straight to live
		case st.MinSeq != 0 && since.Seq+1 >= st.MinSeq:
			if err := resync(wire.ReasonGap, wire.ModeReplay); err != nil {
				return err
			}
			evs, err := rt.Events(ctx, topic, since.Seq, int(st.Seq-since.Seq))
			if err != nil {
				return err
			}
			for _, ev := range evs {
				b, err := encodeEvent(toWireEvent(ev, st.Epoch), maxMsg)
				if err != nil {
					return err
				}
				p.msgs = append(p.msgs, b)
			}
			return nil
		default:
			if err := resync(wire.ReasonRetention, wire.ModeSnapshot); err != nil {
				return err
			}
		}
		var items []wire.Item
		after := ""
		for {
			recs, err := rt.List(ctx, topic, after, 1000, true)
			if err != nil {
				return err
			}
			for _, rec := range recs {
				items = append(items, itemOf(rec))
			}
			if len(recs) < 1000 {
				break
			}
			after = recs[len(recs)-1].ID
		}
		parts, err := snapshotParts(topic, st.Epoch, st.Seq, items, maxMsg)
		if err != nil {
			return err
		}
		p.msgs = append(p.msgs, parts...)
		return nil
	})
	if err != nil {
		return plan{}, err
	}
	var epoch string
	if since != nil && since.Seq == p.watermark && len(p.msgs) == 0 {
		epoch = since.Epoch
	} else {
		epoch = s.epoch(topic)
	}
	p.live, err = wire.EncodeServerMessage(wire.Live{Topic: topic, Epoch: epoch, Seq: p.watermark})
	return p, err
}

// snapshotParts splits items into snapshot messages of at most maxMsg bytes,
// numbered from 0, the last one flagged. An item too big to fit alone is
// sent stale (id and version only) for the client to fetch by id.
func snapshotParts(topic, epoch string, seq uint64, items []wire.Item, maxMsg int) ([][]byte, error) {
	qt, err := json.Marshal(topic)
	if err != nil {
		return nil, err
	}
	qe, err := json.Marshal(epoch)
	if err != nil {
		return nil, err
	}
	head := func(part int, last bool) []byte {
		b := make([]byte, 0, 128)
		b = append(b, `{"t":"snapshot","topic":`...)
		b = append(b, qt...)
		b = append(b, `,"epoch":`...)
		b = append(b, qe...)
		b = append(b, `,"seq":`...)
		b = strconv.AppendUint(b, seq, 10)
		b = append(b, `,"part":`...)
		b = strconv.AppendInt(b, int64(part), 10)
		b = append(b, `,"last":`...)
		b = strconv.AppendBool(b, last)
		b = append(b, `,"items":[`...)
		return b
	}
	// The largest head any part can have, plus the closing "]}".
	room := maxMsg - len(head(1<<30, false)) - 2
	encoded := make([][]byte, len(items))
	for i, it := range items {
		b, err := json.Marshal(it)
		if err != nil {
			return nil, err
		}
		if len(b) > room {
			b, err = json.Marshal(wire.Item{ID: it.ID, Version: it.Version})
			if err != nil {
				return nil, err
			}
		}
		encoded[i] = b
	}
	var groups [][][]byte
	var cur [][]byte
	size := 0
	for _, b := range encoded {
		extra := len(b)
		if len(cur) > 0 {
			extra++ // the comma
		}
		if len(cur) > 0 && size+extra > room {
			groups = append(groups, cur)
			cur, size, extra = nil, 0, len(b)
		}
		cur = append(cur, b)
		size += extra
	}
	groups = append(groups, cur) // possibly empty: an empty topic is one empty part
	parts := make([][]byte, len(groups))
	for i, g := range groups {
		b := head(i, i == len(groups)-1)
		for j, it := range g {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
		parts[i] = append(b, ']', '}')
	}
	return parts, nil
}
