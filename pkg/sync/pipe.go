package sync

import (
	"context"
	"strconv"
	gosync "sync"

	"github.com/tandemkit/tandem/pkg/wire"
)

// Pipe returns two connected in-memory Conns: what one writes, the other
// reads, in order, without limit. Closing either end closes both; the other
// end's Read then fails with a *CloseError carrying the code.
func Pipe() (a, b Conn) {
	sh := &pipeShared{}
	ab, ba := newQueue(sh), newQueue(sh)
	return &pipeEnd{sh: sh, in: ba, out: ab}, &pipeEnd{sh: sh, in: ab, out: ba}
}

// A CloseError is the close code and reason a connection ended with.
type CloseError struct {
	Code   wire.CloseCode
	Reason string
}

func (e *CloseError) Error() string {
	return "sync: connection closed with " + strconv.Itoa(int(e.Code)) + " " + e.Reason
}

type pipeShared struct {
	mu     gosync.Mutex
	closed *CloseError // guarded by mu
}

type queue struct {
	sh   *pipeShared
	msgs [][]byte      // guarded by sh.mu
	wake chan struct{} // signalled on push and close
}

func newQueue(sh *pipeShared) *queue { return &queue{sh: sh, wake: make(chan struct{}, 1)} }

func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

type pipeEnd struct {
	sh      *pipeShared
	in, out *queue
}

func (p *pipeEnd) Read(ctx context.Context) ([]byte, error) {
	for {
		p.sh.mu.Lock()
		if len(p.in.msgs) > 0 {
			m := p.in.msgs[0]
			p.in.msgs[0] = nil
			p.in.msgs = p.in.msgs[1:]
			p.sh.mu.Unlock()
			return m, nil
		}
		closed := p.sh.closed
		p.sh.mu.Unlock()
		if closed != nil {
			return nil, closed
		}
		select {
		case <-p.in.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (p *pipeEnd) Write(ctx context.Context, msg []byte) error {
	p.sh.mu.Lock()
	if p.sh.closed != nil {
		p.sh.mu.Unlock()
		return ErrClosed
	}
	p.out.msgs = append(p.out.msgs, append([]byte(nil), msg...))
	p.sh.mu.Unlock()
	p.out.signal()
	return nil
}

func (p *pipeEnd) Close(code wire.CloseCode, reason string) error {
	p.sh.mu.Lock()
	if p.sh.closed != nil {
		p.sh.mu.Unlock()
		return ErrClosed
	}
	p.sh.closed = &CloseError{Code: code, Reason: reason}
	p.sh.mu.Unlock()
	p.in.signal()
	p.out.signal()
	return nil
}
