package sync

import (
	"context"
	"math/rand/v2"
	gosync "sync"
	"time"

	"github.com/tandemkit/tandem/pkg/wire"
)

// FaultPlan says how often a Faults connection misbehaves, per message read
// (probabilities in [0, 1]). The decisions come from a generator seeded with
// Seed, so the same plan over the same messages misbehaves the same way.
type FaultPlan struct {
	Seed uint64
	// Duplicate delivers a message twice.
	Duplicate float64
	// Reorder holds a message back and delivers it after the next one.
	Reorder float64
	// Drop loses a message; since a WebSocket never loses a message
	// without losing the connection, the connection is then cut (the
	// reconciler must notice either way).
	Drop float64
	// Cut closes the connection before delivering a message.
	Cut float64
	// Delay holds a message for up to MaxDelay before delivering it.
	Delay    float64
	MaxDelay time.Duration
}

// Faults wraps c so that its reads misbehave according to plan: duplicated,
// reordered, delayed and dropped messages, and cut connections. Writes pass
// through. Sleep is how a delay waits (time.Sleep natively; a test passes
// its own).
func Faults(c Conn, plan FaultPlan, sleep func(context.Context, time.Duration)) Conn {
	return &faultConn{inner: c, plan: plan, rng: rand.New(rand.NewPCG(plan.Seed, plan.Seed^0x9e3779b97f4a7c15)), sleep: sleep}
}

type faultConn struct {
	inner Conn
	plan  FaultPlan
	sleep func(context.Context, time.Duration)

	mu      gosync.Mutex // guards rng, pending, held
	rng     *rand.Rand
	pending [][]byte // messages to deliver before reading more
	held    []byte   // a message held back by Reorder
}

func (f *faultConn) roll(p float64) bool { return p > 0 && f.rng.Float64() < p }

func (f *faultConn) Read(ctx context.Context) ([]byte, error) {
	for {
		f.mu.Lock()
		if len(f.pending) > 0 {
			m := f.pending[0]
			f.pending = f.pending[1:]
			f.mu.Unlock()
			return m, nil
		}
		f.mu.Unlock()
		m, err := f.inner.Read(ctx)
		if err != nil {
			f.mu.Lock()
			held := f.held
			f.held = nil
			f.mu.Unlock()
			if held != nil {
				return held, nil
			}
			return nil, err
		}
		f.mu.Lock()
		p := f.plan
		cut, drop := f.roll(p.Cut), f.roll(p.Drop)
		dup, reorder := f.roll(p.Duplicate), f.roll(p.Reorder)
		var delay time.Duration
		if f.roll(p.Delay) && p.MaxDelay > 0 {
			delay = time.Duration(f.rng.Int64N(int64(p.MaxDelay)))
		}
		switch {
		case cut || drop:
			f.mu.Unlock()
			_ = f.inner.Close(wire.CloseNormal, "fault: cut")
			return nil, &CloseError{Code: wire.CloseNormal, Reason: "fault: cut"}
		case reorder && f.held == nil:
			f.held = m
			f.mu.Unlock()
			continue
		}
		out := [][]byte{m}
		if f.held != nil {
			out = append(out, f.held)
			f.held = nil
		}
		if dup {
			out = append(out, m)
		}
		f.pending = append(f.pending, out[1:]...)
		f.mu.Unlock()
		if delay > 0 && f.sleep != nil {
			f.sleep(ctx, delay)
		}
		return out[0], nil
	}
}

func (f *faultConn) Write(ctx context.Context, msg []byte) error { return f.inner.Write(ctx, msg) }

func (f *faultConn) Close(code wire.CloseCode, reason string) error {
	return f.inner.Close(code, reason)
}
