package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/tandemkit/tandem/pkg/wire"
)

// A session is one WebSocket connection: a reader goroutine (the one that
// calls run) handling client messages and subscriptions, and a writer
// goroutine draining the bounded queue, sending heartbeats and watching for
// a silent client.
type session struct {
	h    *hub
	conn wsConn
	req  *http.Request

	ctx       context.Context // cancelled by close
	cancel    context.CancelFunc
	auth      context.Context // from AuthenticateWS
	clientID  string          // from hello; set before any subscription
	principal string          // Principal(auth)
	keys      []string        // quota keys: callerKeys(address, principal)
	helloDone func()          // releases the slot of a connection waiting for hello
	release   func()          // releases the principal's session slot
	out       chan outMsg
	catchup   chan struct{} // catch-up slots: catchUpWindow messages queued at most
	tick      chan struct{}

	subs         map[string]*subscription // reader goroutine only
	lastHeard    atomic.Int64             // Clock UnixNano of the last client message
	writingSince atomic.Int64             // Clock UnixNano when the current write began, 0 when idle
	starting     atomic.Int32             // subscriptions sending their snapshot or replay

	// restarts holds the live subscriptions that overran and wait for the
	// restarter goroutine to catch them up again; restartWake wakes it.
	restartMu   sync.Mutex
	restarts    []*subscription
	restartWake chan struct{}

	closeOnce sync.Once
	wg        sync.WaitGroup
}

func newSession(h *hub, conn wsConn, r *http.Request) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		h: h, conn: conn, req: r, ctx: ctx, cancel: cancel, auth: ctx,
		out:     make(chan outMsg, h.s.opts.SendQueue),
		catchup: make(chan struct{}, catchUpWindow),
		tick:    make(chan struct{}, 1),
		subs:    make(map[string]*subscription),

		restartWake: make(chan struct{}, 1),
	}
	s.lastHeard.Store(h.s.opts.Clock.Now().UnixNano())
	// The closer's slot, counted now rather than in close: close may run
	// on another goroutine while run waits, and a WaitGroup must not grow
	// from zero concurrently with Wait. close or abort releases it, and run
	// makes sure one of them is called.
	s.wg.Add(1)
	return s
}

// close ends the session with code: it stops the writer and sends the close
// frame from its own goroutine, so that a caller (a publisher finding the
// queue full) never waits on the connection. Only the first call counts.
func (s *session) close(code wire.CloseCode, reason string) {
	s.closeOnce.Do(func() {
		s.cancel()
		if len(reason) > 120 {
			reason = reason[:120]
		}
		go func() {
			defer s.wg.Done()
			_ = s.conn.Close(code, reason)
		}()
	})
}

// abort ends the session without a close handshake: for a peer that stopped
// reading, whose stuck write would also hold up the close frame.
func (s *session) abort() {
	s.closeOnce.Do(func() {
		s.cancel()
		go func() {
			defer s.wg.Done()
			_ = s.conn.Abort()
		}()
	})
}

// offer queues m without blocking; a full queue closes the session with
// 4002 and returns false.
func (s *session) offer(m outMsg) bool {
	select {
	case s.out <- m:
		return true
	default:
		s.close(wire.CloseSlowConsumer, "slow consumer")
		return false
	}
}

// send queues m, waiting for room; it returns false once the session closes.
func (s *session) send(m outMsg) bool {
	select {
	case s.out <- m:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// sendCatchUp queues one snapshot part or replayed event of sub, waiting
// first until fewer than catchUpWindow of them are queued: the client's
// reading paces the store reads. It returns false once the session closes.
func (s *session) sendCatchUp(sub *subscription, data []byte) bool {
	if !sub.active.Load() {
		return false // unsub or re-sub meanwhile: stop reading pages for it
	}
	select {
	case s.catchup <- struct{}{}:
	case <-s.ctx.Done():
		return false
	}
	return s.send(outMsg{data: data, sub: sub, slot: true})
}

func (s *session) run() {
	defer func() {
		if s.release != nil {
			s.release()
		}
	}()
	defer s.wg.Wait()
	defer s.close(wire.CloseNormal, "") // releases the closer's slot if nothing else did
	defer func() {
		for _, sub := range s.subs {
			s.h.unregister(sub)
		}
	}()
	if !s.handshake() {
		return
	}
	s.wg.Add(2)
	go s.writeLoop()
	go s.restartLoop()
	s.readLoop()
	s.close(wire.CloseNormal, "")
}

// handshake waits for hello, authenticates and queues welcome.
func (s *session) handshake() bool {
	opts := &s.h.s.opts
	stop := opts.Clock.AfterFunc(opts.HelloTimeout, func() { s.close(wire.CloseProtocolError, "no hello in time") })
	data, err := s.conn.Read(context.Background())
	stop()
	if s.helloDone != nil {
		s.helloDone()
	}
	if err != nil {
		s.closeForReadError(err)
		return false
	}
	m, err := wire.DecodeClientMessage(data)
	if err != nil {
		s.close(wire.CloseProtocolError, err.Error())
		return false
	}
	hello, ok := m.(wire.Hello)
	if !ok {
		s.close(wire.CloseProtocolError, "the first message must be hello")
		return false
	}
	if auth := s.h.s.authenticateWS; auth != nil {
		ctx, err := auth(s.req, hello)
		if err != nil {
			s.h.s.log.Info("websocket hello refused", "clientID", hello.ClientID, "err", err)
			s.close(wire.CloseUnauthorized, "unauthorized")
			return false
		}
		if ctx != nil {
			s.auth = ctx
		}
	}
	s.clientID, s.principal = hello.ClientID, Principal(s.auth)
	s.keys = callerKeys(opts.ClientAddr(s.req), s.principal)
	if s.principal != "" {
		pk := s.keys[1:]
		if !s.h.s.quota.sessions.acquire(pk) {
			s.close(wire.CloseRateLimited, "too many sessions of this principal")
			return false
		}
		s.release = func() { s.h.s.quota.sessions.release(pk) }
	}
	// Another principal's clientID gets 0: its lastMutationID is the
	// owner's business (and its mutations would get 403 anyway).
	var lmid uint64
	err = s.h.s.store.View(s.ctx, func(rt ReadTx) error {
		c, found, err := rt.Client(s.ctx, hello.ClientID)
		if found && c.Principal == s.principal {
			lmid = c.LastMutationID
		}
		return err
	})
	if err != nil {
		s.h.s.log.Error("welcome: reading lastMutationID", "err", err)
		s.close(wire.CloseCode(1011), "internal error")
		return false
	}
	welcome, err := wire.EncodeServerMessage(wire.Welcome{V: wire.Version, HbMs: int(opts.HeartbeatInterval.Milliseconds()), MaxMsg: opts.MaxMsg, LastMutationID: lmid})
	if err != nil {
		s.close(wire.CloseCode(1011), "internal error")
		return false
	}
	s.lastHeard.Store(opts.Clock.Now().UnixNano())
	return s.send(outMsg{data: welcome})
}

func (s *session) closeForReadError(err error) {
	switch {
	case errors.Is(err, errTooBig):
		s.close(wire.CloseTooBig, "message over 32768 bytes")
	case errors.Is(err, errBinary):
		s.close(wire.CloseProtocolError, "binary messages are not part of the protocol")
	default:
		s.close(wire.CloseNormal, "")
	}
}

func (s *session) readLoop() {
	clock := s.h.s.opts.Clock
	for s.ctx.Err() == nil {
		data, err := s.conn.Read(context.Background())
		if err != nil {
			s.closeForReadError(err)
			return
		}
		s.lastHeard.Store(clock.Now().UnixNano())
		m, err := wire.DecodeClientMessage(data)
		if err != nil {
			s.close(wire.CloseProtocolError, err.Error())
			return
		}
		switch m := m.(type) {
		case wire.HB:
		case wire.Hello:
			s.close(wire.CloseProtocolError, "hello sent twice")
			return
		case wire.Sub:
			s.subscribe(m)
		case wire.Unsub:
			if sub := s.subs[m.Topic]; sub != nil {
				s.h.unregister(sub)
				delete(s.subs, m.Topic)
			}
		}
	}
}

func (s *session) writeLoop() {
	defer s.wg.Done()
	opts := &s.h.s.opts
	arm := func() func() bool {
		return opts.Clock.AfterFunc(opts.HeartbeatInterval, func() {
			select {
			case s.tick <- struct{}{}:
			default:
			}
		})
	}
	stop := arm()
	defer func() { stop() }()
	stopWatch := s.watchWrites()
	defer func() { stopWatch() }()
	hb, _ := wire.EncodeServerMessage(wire.HB{})
	for {
		select {
		case <-s.ctx.Done():
			return
		case m := <-s.out:
			if m.sub == nil || m.sub.active.Load() {
				if !s.write(m.data) {
					return
				}
			}
			if m.slot {
				<-s.catchup
			}
		case <-s.tick:
			silent := opts.Clock.Now().UnixNano() - s.lastHeard.Load()
			if silent > int64(opts.HeartbeatTimeout) && s.starting.Load() == 0 {
				s.close(wire.CloseHeartbeat, "heartbeat timeout")
				return
			}
			if !s.write(hb) {
				return
			}
			stop = arm()
		}
	}
}

// write sends one message. Writes carry no context deadline: per-write
// timers and contexts cost more than the write itself when one event fans
// out to thousands of connections. watchWrites enforces the timeout instead.
func (s *session) write(data []byte) bool {
	clock := s.h.s.opts.Clock
	s.writingSince.Store(clock.Now().UnixNano())
	err := s.conn.Write(context.Background(), data)
	s.writingSince.Store(0)
	if err != nil {
		if s.ctx.Err() == nil {
			s.h.s.log.Info("websocket write failed", "err", err)
		}
		s.abort()
		return false
	}
	return true
}

// watchWrites checks every WriteTimeout/4 whether the current write has
// taken longer than WriteTimeout, and aborts the connection if so (a peer
// that stopped reading). The returned func stops the watch.
func (s *session) watchWrites() func() {
	opts := &s.h.s.opts
	period := opts.WriteTimeout / 4
	var mu sync.Mutex
	stopped := false
	var stop func() bool
	var check func()
	check = func() {
		if since := s.writingSince.Load(); since != 0 && opts.Clock.Now().UnixNano()-since > int64(opts.WriteTimeout) {
			s.h.s.log.Info("websocket write timed out; aborting the connection")
			s.abort()
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			stop = opts.Clock.AfterFunc(period, check)
		}
	}
	mu.Lock()
	stop = opts.Clock.AfterFunc(period, check)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		stop()
	}
}

// sendError queues a non-fatal error message about a topic.
func (s *session) sendError(code, message, topic string) {
	b, err := wire.EncodeServerMessage(wire.ErrorMessage{Code: code, Message: message, Topic: topic})
	if err == nil {
		s.offer(outMsg{data: b})
	}
}

// subscribe starts (or restarts) a subscription: register first, then read
// the snapshot or replay at a watermark, have the topic's AuthorizeTopic
// hook allow it (after the read, so that nothing read before a change of
// access is sent once the change is committed), send it, then live, then
// the held events newer than the watermark.
func (s *session) subscribe(m wire.Sub) {
	if ok, _ := s.h.s.quota.subscribes.take(s.keys, 1); !ok {
		s.close(wire.CloseRateLimited, "too many subscriptions: reconnect later")
		return
	}
	key, coll := wire.SplitTopic(m.Topic)
	e, ok := s.h.s.entity(coll)
	switch {
	case !ok || key != "" && e.partition() == "":
		s.sendError(wire.CodeNotFound, "unknown topic "+m.Topic, m.Topic)
		return
	case key == "" && e.partition() != "":
		s.sendError(wire.CodeNotFound, coll+" is partitioned by "+e.partition()+": subscribe to <"+e.partition()+">/"+coll, m.Topic)
		return
	}
	if old := s.subs[m.Topic]; old != nil {
		s.h.unregister(old)
	}
	sub := &subscription{sess: s, topic: m.Topic, checked: e.checksTopics()}
	sub.active.Store(true)
	s.h.register(sub)
	s.subs[m.Topic] = sub

	s.starting.Add(1)
	defer s.starting.Add(-1)
	err := s.catchUp(sub, m.Since, false)
	// The reader could not listen while the client was taking the catch-up:
	// its heartbeat replies are waiting to be read, not missing.
	s.lastHeard.Store(s.h.s.opts.Clock.Now().UnixNano())
	var refused *subRefusal
	sub.mu.Lock()
	announced := sub.announced
	sub.mu.Unlock()
	if announced && errors.As(err, &refused) {
		// Refused after its live went out (access changed while the held
		// events were sent): to the client, a revocation.
		s.revoke(sub, refused.he)
		if s.subs[m.Topic] == sub {
			delete(s.subs, m.Topic)
		}
		return
	}
	if errors.As(err, &refused) || errors.Is(err, errCheckFailed) {
		s.h.unregister(sub)
		if s.subs[m.Topic] == sub {
			delete(s.subs, m.Topic)
		}
		if refused != nil {
			s.sendError(refused.he.Code, clip(refused.he.Message, maxMessageBytes), m.Topic)
		} else {
			s.sendError(wire.CodeUnavailable, "authorization failed; try again later", m.Topic)
		}
		return
	}
	s.caughtUp(m.Topic, err)
}

// revoke ends a subscription the topic's hook no longer allows: nothing
// queued for it is sent, and its client gets an error message of code
// revoked, after which it hears nothing more of the topic. It runs off the
// reader goroutine, so the session's subs still name sub until the client
// unsubscribes or subscribes again (both unregister it again, harmlessly).
func (s *session) revoke(sub *subscription, why *Error) {
	s.h.unregister(sub)
	s.h.s.log.Info("subscription revoked", "topic", sub.topic, "principal", s.principal, "code", why.Code)
	s.sendError(wire.CodeRevoked, "read access to "+sub.topic+" was revoked", sub.topic)
}

// ended handles how a catch-up or check off the reader goroutine ended.
func (s *session) ended(sub *subscription, err error) {
	var refused *subRefusal
	switch {
	case errors.As(err, &refused):
		s.revoke(sub, refused.he)
	case errors.Is(err, errCheckFailed):
		// Nothing more may be sent unchecked: the client reconnects and
		// subscribes again, checked anew.
		s.close(wire.CloseCode(1011), "authorization check failed")
	default:
		s.caughtUp(sub.topic, err)
	}
}

// caughtUp ends the session if a catch-up failed.
func (s *session) caughtUp(topic string, err error) {
	switch {
	case err == nil || s.ctx.Err() != nil:
	case errors.Is(err, errOvertaken):
		s.close(wire.CloseSlowConsumer, "replay overtaken by the log's retention")
	case errors.Is(err, errOverrun):
		s.close(wire.CloseSlowConsumer, "slow consumer")
	default:
		s.h.s.log.Error("subscribe: reading the store", "topic", topic, "err", err)
		s.close(wire.CloseCode(1011), "internal error")
	}
}

// requestRestart hands a live subscription that overran, or that holds its
// events until it is checked again, to the restarter; it never waits.
func (s *session) requestRestart(sub *subscription) {
	s.restartMu.Lock()
	s.restarts = append(s.restarts, sub)
	s.restartMu.Unlock()
	select {
	case s.restartWake <- struct{}{}:
	default:
	}
}

// restartLoop is the restarter goroutine: one at a time, it checks again
// the live subscriptions that met a newer access generation, and catches up
// again, by replay, those that overran, paced by the client like any
// catch-up, while the reader goes on reading the client.
func (s *session) restartLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-s.restartWake:
		}
		s.restartMu.Lock()
		subs := s.restarts
		s.restarts = nil
		s.restartMu.Unlock()
		for _, sub := range subs {
			if !sub.active.Load() || s.ctx.Err() != nil {
				continue
			}
			s.starting.Add(1)
			err := s.resume(sub)
			s.starting.Add(-1)
			s.ended(sub, err)
		}
	}
}

// resume brings a subscription the publisher stopped delivering to back to
// live: checked again and its held events sent, or, if it overran, caught
// up by replay from what its client has.
func (s *session) resume(sub *subscription) error {
	sub.mu.Lock()
	overrun, live := sub.overrun, sub.live
	sub.mu.Unlock()
	if live {
		return nil // resumed already (asked twice)
	}
	if !overrun {
		restart, err := sub.goLive(nil, s.authorize)
		if err != nil || !restart {
			return err
		}
	}
	cur := sub.restart()
	return s.catchUp(sub, &cur, true)
}
