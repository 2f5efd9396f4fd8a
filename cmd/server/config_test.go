package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/tandemkit/tandem/pkg/server"
)

func TestParseConfig(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig(nil, none, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{addr: "127.0.0.1:8080", db: "tandem.db"}, c)

	env := map[string]string{"TANDEM_ADDR": ":9000", "TANDEM_DB": "/tmp/x.db", "TANDEM_ORIGINS": "a.example, *.b.example ,", "TANDEM_DEBUG": "true"}
	c, err = parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, config{addr: ":9000", db: "/tmp/x.db", origins: []string{"a.example", "*.b.example"}, debug: true}, c)

	c, err = parseConfig([]string{"-addr", "127.0.0.1:0", "-origins", "c.example"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", c.addr, "a flag wins over the environment")
	assert.Equal(t, []string{"c.example"}, c.origins)

	c, err = parseConfig([]string{"-demo-users", "ada, bob"}, none, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"ada", "bob"}, c.demoUsers)
	c, err = parseConfig(nil, func(k string) string { return map[string]string{"TANDEM_DEMO_USERS": "cy"}[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"cy"}, c.demoUsers)

	_, err = parseConfig([]string{"extra"}, none, io.Discard)
	assert.Error(t, err)
	_, err = parseConfig([]string{"-nope"}, none, io.Discard)
	assert.Error(t, err)
}

func TestParseConfig_limitsHostsAndShutdown(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseConfig(nil, none, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, server.Transport{}, c.transport, "zero: pkg/server's defaults")
	assert.Zero(t, c.shutdownTimeout)

	env := map[string]string{"TANDEM_HOSTS": "app.example.com, *.example.org", "TANDEM_READ_TIMEOUT": "5s",
		"TANDEM_MAX_CONNS": "100", "TANDEM_CLIENT_IP_HEADER": "X-Forwarded-For", "TANDEM_SHUTDOWN_TIMEOUT": "3s"}
	c, err = parseConfig([]string{"-max-conns-per-addr", "-1", "-write-timeout", "2m", "-max-header-bytes", "8192",
		"-read-header-timeout", "3s", "-idle-timeout", "1m"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"app.example.com", "*.example.org"}, c.hosts)
	assert.Equal(t, "X-Forwarded-For", c.clientIPHeader)
	assert.Equal(t, 3*time.Second, c.shutdownTimeout)
	assert.Equal(t, server.Transport{ReadHeaderTimeout: 3 * time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 2 * time.Minute,
		IdleTimeout: time.Minute, MaxHeaderBytes: 8192, MaxConns: 100, MaxConnsPerAddr: -1}, c.transport)

	_, err = parseConfig(nil, func(k string) string { return map[string]string{"TANDEM_READ_TIMEOUT": "soon"}[k] }, io.Discard)
	assert.ErrorContains(t, err, "TANDEM_READ_TIMEOUT")

	d := server.Transport{}.Defaults()
	assert.Equal(t, server.Transport{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: time.Minute,
		IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10, MaxConns: 4096, MaxConnsPerAddr: 256}, d, "the defaults the doc states")
}

// Finding 1: 300 stalled connections exhausted a 256-descriptor limit, and
// then nothing else could be served; the connection cap stays under the
// limit, with room for the database and the static files.
func TestFitConns_keepsTheConnectionCapUnderTheFileLimit(t *testing.T) {
	d := server.Transport{}.Defaults()
	assert.Equal(t, 256-fdReserve, fitConns(d, 256).MaxConns)
	assert.Equal(t, 4096, fitConns(d, 20000).MaxConns, "the default where it fits")
	assert.Equal(t, 1000-fdReserve, fitConns(server.Transport{MaxConns: -1}, 1000).MaxConns, "no limit still fits the descriptors")
}
