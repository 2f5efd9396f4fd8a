package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/wire"
)

// TestPartition_propertyNoPrincipalEverReadsAPartitionItMayNot runs seeded
// random sequences of grants, revocations, card writes (some refused),
// moves between boards and resubscriptions, by four principals each owning
// a board and following every board over its own WebSocket, and checks:
//
//   - safety: every event and every snapshot a principal received reveals a
//     state of a board at which the principal could read it, or was
//     allowed to read it again later (a principal allowed again may resume
//     from its cursor: read access includes the retained log);
//   - revocation: a principal that may not read a board at the end got an
//     error about it after the last data of it;
//   - writes: a write into a board the writer may not write is 403 and
//     publishes nothing;
//   - convergence: what each principal that may read a board holds of it,
//     from its snapshots and events, equals the board's listing.
//
// TANDEM_PARTITION_SEEDS sets the number of seeds (30 by default).
func TestPartition_propertyNoPrincipalEverReadsAPartitionItMayNot(t *testing.T) {
	seeds := 30
	if s := os.Getenv("TANDEM_PARTITION_SEEDS"); s != "" {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		seeds = n
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			st := Store(NewMemStore())
			if seed%5 == 4 {
				st = openSQLite(t)
			}
			runPartitionTrace(t, seed, st)
		})
	}
}

var propUsers = []string{"ada", "bob", "cy", "dan"}

// propBoard is the board each principal owns.
func propBoard(user string) string { return "b-" + user }

// A propLog is what one principal's WebSocket received, read by its own
// goroutine.
type propLog struct {
	mu   sync.Mutex
	msgs []wire.ServerMessage
	more chan struct{}
	err  error
}

func (l *propLog) add(m wire.ServerMessage) {
	l.mu.Lock()
	l.msgs = append(l.msgs, m)
	l.mu.Unlock()
	select {
	case l.more <- struct{}{}:
	default:
	}
}

// wait waits until ok holds of the messages so far; false after 10 s.
func (l *propLog) wait(ok func([]wire.ServerMessage) bool) bool {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		done := ok(l.msgs)
		l.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-l.more:
		case <-deadline.C:
			return false
		}
	}
}

func (l *propLog) all() []wire.ServerMessage {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.msgs)
}

type propClient struct {
	user string
	c    *websocket.Conn
	log  *propLog
	done chan struct{}
}

func (p *propClient) send(t *testing.T, m wire.ClientMessage) {
	b, err := wire.EncodeClientMessage(m)
	require.NoError(t, err)
	require.NoError(t, p.c.Write(context.Background(), websocket.MessageText, b))
}

// fence subscribes to the principal's own board's shares and waits for its
// live: what the server queued for the connection before is in the log.
func (p *propClient) fence(t *testing.T) {
	topic := wire.PartitionTopic(propBoard(p.user), "shares")
	n := len(p.log.all())
	p.send(t, wire.Sub{Topic: topic})
	require.True(t, p.log.wait(func(msgs []wire.ServerMessage) bool {
		for _, m := range msgs[n:] {
			if l, ok := m.(wire.Live); ok && l.Topic == topic {
				return true
			}
		}
		return false
	}), "fence of %s", p.user)
}

func runPartitionTrace(t *testing.T, seed uint64, st Store) {
	env := newBoardsEnv(t, st, Options{HeartbeatInterval: time.Hour})
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	ctx := context.Background()

	// access[user][board]: the model, changed by grants and revocations.
	access := map[string]map[string]bool{}
	shares := map[[2]string]string{} // {board, user} -> share id
	for _, u := range propUsers {
		env.mustCreate("boards", map[string]any{"id": propBoard(u), "name": u}, asUser(u)...)
		access[u] = map[string]bool{}
		for _, o := range propUsers {
			access[u][propBoard(o)] = u == o
		}
	}
	// history[i] is the access after the i-th publish of the bus, as far
	// as cards are concerned; filled in as ops run.
	type snap map[string]map[string]bool
	clone := func() snap {
		out := snap{}
		for u, m := range access {
			out[u] = map[string]bool{}
			for b, ok := range m {
				out[u][b] = ok
			}
		}
		return out
	}
	var history []snap
	record := func() {
		for len(history) < len(env.bus.all()) {
			history = append(history, clone())
		}
	}
	record()

	clients := map[string]*propClient{}
	for i, u := range propUsers {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.http.URL, "http")+"/api/ws", &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
		require.NoError(t, err)
		c.SetReadLimit(1 << 20)
		p := &propClient{user: u, c: c, log: &propLog{more: make(chan struct{}, 1)}, done: make(chan struct{})}
		clients[u] = p
		go func() {
			defer close(p.done)
			for {
				_, b, err := c.Read(context.Background())
				if err != nil {
					return
				}
				m, err := wire.DecodeServerMessage(b)
				if err != nil {
					p.log.mu.Lock()
					p.log.err = err
					p.log.mu.Unlock()
					return
				}
				p.log.add(m)
			}
		}()
		p.send(t, wire.Hello{V: 1, ClientID: fmt.Sprintf("%032x", i+1), Token: u})
		for _, o := range propUsers {
			p.send(t, wire.Sub{Topic: wire.PartitionTopic(propBoard(o), "cards")})
		}
	}
	t.Cleanup(func() {
		for _, p := range clients {
			p.c.CloseNow()
			<-p.done
		}
	})

	var cards []string // created card ids
	cardBoard := map[string]string{}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	boards := make([]string, len(propUsers))
	for i, u := range propUsers {
		boards[i] = propBoard(u)
	}
	var trace []string
	for step := range 40 {
		u := pick(propUsers)
		switch k := rng.IntN(10); {
		case k < 2: // grant: u shares its board with another
			o := pick(propUsers)
			b := propBoard(u)
			if o == u || access[o][b] {
				continue
			}
			id := fmt.Sprintf("s%d", step)
			env.mustCreate("shares", map[string]any{"id": id, "boardId": b, "user": o}, asUser(u)...)
			shares[[2]string{b, o}] = id
			access[o][b] = true
			trace = append(trace, fmt.Sprintf("%s grants %s to %s", u, b, o))
		case k < 4: // revoke
			b := propBoard(u)
			var held []string
			for _, o := range propUsers {
				if o != u && access[o][b] {
					held = append(held, o)
				}
			}
			if len(held) == 0 {
				continue
			}
			o := pick(held)
			require.Equal(t, http.StatusOK, env.do("DELETE", "/api/shares/"+shares[[2]string{b, o}], nil, asUser(u)...).status)
			access[o][b] = false
			trace = append(trace, fmt.Sprintf("%s revokes %s from %s", u, b, o))
		case k < 6: // a card created in a board, allowed or not
			b := pick(boards)
			id := fmt.Sprintf("c%d", step)
			before := len(env.bus.all())
			r := env.do("POST", "/api/cards", map[string]any{"id": id, "boardId": b, "title": id}, asUser(u)...)
			if access[u][b] {
				require.Equal(t, http.StatusCreated, r.status, string(r.body))
				cards = append(cards, id)
				cardBoard[id] = b
			} else {
				require.Equal(t, http.StatusForbidden, r.status, string(r.body))
				require.Len(t, env.bus.all(), before, "a refused write publishes nothing")
			}
			trace = append(trace, fmt.Sprintf("%s creates %s in %s: %d", u, id, b, r.status))
		case k < 8 && len(cards) > 0: // a move or a rename
			id := pick(cards)
			from, to := cardBoard[id], pick(boards)
			r := env.do("PATCH", "/api/cards/"+id, map[string]any{"boardId": to, "title": fmt.Sprintf("%s@%d", id, step)}, asUser(u)...)
			if access[u][from] && access[u][to] {
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				cardBoard[id] = to
			} else {
				require.Equal(t, http.StatusForbidden, r.status, string(r.body))
			}
			trace = append(trace, fmt.Sprintf("%s moves %s from %s to %s: %d", u, id, from, to, r.status))
		case k < 9 && len(cards) > 0: // a delete
			id := pick(cards)
			r := env.do("DELETE", "/api/cards/"+id, nil, asUser(u)...)
			if access[u][cardBoard[id]] {
				require.Equal(t, http.StatusOK, r.status, string(r.body))
				cards = slices.DeleteFunc(cards, func(c string) bool { return c == id })
			} else {
				require.Equal(t, http.StatusForbidden, r.status, string(r.body))
			}
			trace = append(trace, fmt.Sprintf("%s deletes %s: %d", u, id, r.status))
		default: // u subscribes again to every board, from scratch
			for _, b := range boards {
				clients[u].send(t, wire.Sub{Topic: wire.PartitionTopic(b, "cards")})
			}
			trace = append(trace, u+" subscribes again")
		}
		record()
	}
	t.Logf("trace: %s", strings.Join(trace, "; "))

	// Publish positions of every card event, for the oracle.
	pos := map[string]int{} // "topic seq" -> index in the bus log
	for i, ev := range env.bus.all() {
		if !ev.Reauthorize {
			pos[ev.Topic+" "+strconv.FormatUint(ev.Seq, 10)] = i
		}
	}
	// readable reports whether user could read board at publish i or was
	// allowed to read it again later.
	readable := func(user, board string, i int) bool {
		for j := max(i, 0); j < len(history); j++ {
			if history[j][user][board] {
				return true
			}
		}
		return access[user][board]
	}
	at := func(topic string, seq uint64) int {
		if seq == 0 {
			return 0
		}
		i, ok := pos[topic+" "+strconv.FormatUint(seq, 10)]
		require.True(t, ok, "%s seq %d was never published", topic, seq)
		return i
	}

	for _, u := range propUsers {
		p := clients[u]
		p.fence(t)
		// Wait for the revocations still being checked.
		for _, b := range boards {
			if access[u][b] {
				continue
			}
			topic := wire.PartitionTopic(b, "cards")
			require.True(t, p.log.wait(func(msgs []wire.ServerMessage) bool { return endsRefused(msgs, topic) }),
				"%s may not read %s: its last message about it is a refusal", u, topic)
		}
		msgs := p.log.all()
		p.log.mu.Lock()
		require.NoError(t, p.log.err)
		p.log.mu.Unlock()
		for _, m := range msgs {
			switch m := m.(type) {
			case wire.Event:
				if key, coll := wire.SplitTopic(m.Topic); coll == "cards" {
					require.True(t, readable(u, key, at(m.Topic, m.Seq)), "%s got event %s/%d (%s %s) of a board it may not read", u, m.Topic, m.Seq, m.Op, m.ID)
				}
			case wire.Snapshot:
				if key, coll := wire.SplitTopic(m.Topic); coll == "cards" {
					require.True(t, readable(u, key, at(m.Topic, m.Seq)), "%s got a snapshot of %s at %d it may not read", u, m.Topic, m.Seq)
				}
			}
		}
	}

	// Convergence: subscribe once more from scratch, and compare.
	for _, u := range propUsers {
		p := clients[u]
		n := len(p.log.all())
		for _, b := range boards {
			p.send(t, wire.Sub{Topic: wire.PartitionTopic(b, "cards")})
		}
		require.True(t, p.log.wait(func(msgs []wire.ServerMessage) bool {
			done := 0
			for _, m := range msgs[n:] {
				if key, coll := wire.SplitTopic(wire.TopicOf(m)); coll == "cards" && key != "" {
					switch m.(type) {
					case wire.Live, wire.ErrorMessage:
						done++
					}
				}
			}
			return done == len(boards)
		}))
		p.fence(t)
		held := replay(p.log.all())
		for _, b := range boards {
			topic := wire.PartitionTopic(b, "cards")
			if !access[u][b] {
				require.Empty(t, held[topic], "%s holds nothing of %s", u, topic)
				continue
			}
			page, err := wire.DecodeSnapshotPage(env.do("GET", "/api/cards?partition="+b, nil, asUser(b[len("b-"):])...).body)
			require.NoError(t, err)
			var want map[string]uint64
			for _, it := range page.Items {
				if want == nil {
					want = map[string]uint64{}
				}
				want[it.ID] = it.Version
			}
			require.Equal(t, want, held[topic], "%s converges on %s", u, topic)
		}
	}
}

// endsRefused reports whether the last message about topic is an error.
func endsRefused(msgs []wire.ServerMessage, topic string) bool {
	for i := len(msgs) - 1; i >= 0; i-- {
		if wire.TopicOf(msgs[i]) == topic {
			_, ok := msgs[i].(wire.ErrorMessage)
			return ok
		}
	}
	return true // never got anything of it
}

// replay folds a connection's messages into what a client of it holds:
// per topic, the live entities' versions. A snapshot replaces the topic
// when its last part arrives; an error (refused, revoked) drops it.
func replay(msgs []wire.ServerMessage) map[string]map[string]uint64 {
	type ent struct {
		version uint64
		live    bool
	}
	held := map[string]map[string]ent{}
	parts := map[string][]wire.Item{}
	apply := func(topic string, it wire.Item) {
		if held[topic] == nil {
			held[topic] = map[string]ent{}
		}
		if it.Version > held[topic][it.ID].version {
			held[topic][it.ID] = ent{version: it.Version, live: !it.Deleted}
		}
	}
	for _, m := range msgs {
		switch m := m.(type) {
		case wire.Snapshot:
			parts[m.Topic] = append(parts[m.Topic], m.Items...)
			if m.Last {
				held[m.Topic] = map[string]ent{}
				for _, it := range parts[m.Topic] {
					apply(m.Topic, it)
				}
				delete(parts, m.Topic)
			}
		case wire.Event:
			apply(m.Topic, wire.Item{ID: m.ID, Version: m.Version, Data: m.Data, Deleted: m.Op == wire.OpDelete})
		case wire.ErrorMessage:
			delete(held, m.Topic)
			delete(parts, m.Topic)
		}
	}
	out := map[string]map[string]uint64{}
	for topic, ents := range held {
		for id, e := range ents {
			if e.live {
				if out[topic] == nil {
					out[topic] = map[string]uint64{}
				}
				out[topic][id] = e.version
			}
		}
	}
	return out
}
