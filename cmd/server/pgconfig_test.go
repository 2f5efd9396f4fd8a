package main

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig_retentionHeartbeatAndPostgresURL(t *testing.T) {
	env := map[string]string{"TANDEM_DB": "postgres://app:s3cret@db.example.com/app", "TANDEM_RETENTION": "500", "TANDEM_RETENTION_AGE": "24h", "TANDEM_HEARTBEAT": "5s"}
	c, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 500, c.retention)
	assert.Equal(t, 5*time.Second, c.heartbeat)
	assert.Equal(t, 24*time.Hour, c.retentionAge)
	assert.True(t, isPostgres(c.db))
	c, err = parseConfig([]string{"-retention-age", "90m", "-db", "x.db"}, func(k string) string { return env[k] }, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 90*time.Minute, c.retentionAge, "a flag wins over the environment")
	assert.False(t, isPostgres(c.db))
	_, err = parseConfig(nil, func(k string) string { return map[string]string{"TANDEM_RETENTION_AGE": "a day"}[k] }, io.Discard)
	assert.ErrorContains(t, err, "TANDEM_RETENTION_AGE")
}

func TestRedactDB_theLogNeverShowsThePassword(t *testing.T) {
	assert.Equal(t, "postgres://app:xxxxx@db.example.com/app?sslmode=require", redactDB("postgres://app:s3cret@db.example.com/app?sslmode=require"))
	assert.Equal(t, "postgresql://app@db/app", redactDB("postgresql://app@db/app"))
	assert.Equal(t, "tandem.db", redactDB("tandem.db"))
	assert.NotContains(t, redactDB("postgres://app:s3cret@db:bad port/app"), "s3cret")
}

// A PostgreSQL the server cannot reach is an error at start, not a server
// that answers 500.
func TestApp_refusesToStartWithoutItsDatabase(t *testing.T) {
	_, err := newApp(config{addr: "127.0.0.1:0", db: "postgres://nobody@127.0.0.1:1/none?connect_timeout=2", web: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	assert.Error(t, err)
}
