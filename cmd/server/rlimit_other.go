//go:build !unix

package main

import (
	"log/slog"

	"github.com/tandemkit/tandem/pkg/server"
)

// fitFileLimit leaves t as it is where there is no RLIMIT_NOFILE.
func fitFileLimit(t server.Transport, _ *slog.Logger) server.Transport { return t }
