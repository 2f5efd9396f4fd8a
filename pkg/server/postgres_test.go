package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// pgEnv names the variable holding the URL of the test database. make test
// starts a throwaway cluster (scripts/pgcluster.sh) and sets it; the
// PostgreSQL tests fail without it rather than skip, so that CI always runs
// them.
const pgEnv = "TANDEM_TEST_POSTGRES"

// pgSchemaURL creates a fresh schema in the test database, dropped when the
// test ends, and returns the database URL with search_path set to it: each
// test gets its own tables, advisory lock and NOTIFY channel.
func pgSchemaURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Fatalf("%s is not set: the PostgreSQL tests need a database. make test starts a throwaway cluster and sets it; "+
			"by hand: scripts/pgcluster.sh run go test ./pkg/server", pgEnv)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err, "connect to %s", pgEnv)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	require.NoError(t, admin.Close(ctx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, base)
		require.NoError(t, err)
		defer admin.Close(ctx)
		_, err = admin.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
	})
	u, err := url.Parse(base)
	require.NoError(t, err, "%s must be a postgres:// URL", pgEnv)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres opens a Postgres store on a fresh schema.
func openPostgres(t testing.TB) *Postgres {
	t.Helper()
	return openPostgresAt(t, pgSchemaURL(t))
}

func openPostgresAt(t testing.TB, url string) *Postgres {
	t.Helper()
	st, err := OpenPostgres(context.Background(), url, PostgresOptions{})
	require.NoError(t, err)
	return st
}
