//go:build unix

package main

import (
	"log/slog"
	"syscall"

	"github.com/tandemkit/tandem/pkg/server"
)

// fdReserve is the file descriptors kept beside the connections: the
// database (a writer, readers, WAL and shared memory), static files, logs.
const fdReserve = 64

// fitFileLimit raises the soft limit on open files to the hard one, and
// lowers MaxConns to fit under it: a process out of descriptors fails every
// accept and every file it opens, for every client.
func fitFileLimit(t server.Transport, log *slog.Logger) server.Transport {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open file limit", "err", err)
		return t
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	if room := int(min(lim.Cur, 1<<30)) - fdReserve; t.MaxConns < 0 || t.MaxConns > room {
		log.Warn("max-conns lowered to fit the open file limit", "max-conns", room, "limit", lim.Cur)
		t.MaxConns = max(room, 1)
	}
	return t
}
