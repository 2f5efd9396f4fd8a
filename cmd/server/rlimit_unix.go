//go:build unix

package main

import (
	"log/slog"
	"syscall"

	"github.com/tandemkit/tandem/pkg/server"
)

// fitFileLimit raises the soft limit on open files to the hard one, and
// lowers MaxConns to fit under it (fitConns).
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
	fitted := fitConns(t, lim.Cur)
	if fitted.MaxConns != t.MaxConns {
		log.Warn("max-conns lowered to fit the open file limit", "max-conns", fitted.MaxConns, "limit", lim.Cur)
	}
	return fitted
}
