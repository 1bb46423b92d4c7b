package benchgen

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// EnvInt reads a positive integer from the environment, or def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// LiveDatabase starts a sandbox node of PostgreSQL major (removed when tb
// ends) with database "bench": n generated tables and m statements in
// pg_stat_statements. max_locks_per_transaction is raised so that pg_dump
// can lock every table, and pg_stat_statements.max so that nothing is
// evicted.
func LiveDatabase(tb testing.TB, major, n, m int) (dsn string, node *sandbox.Node) {
	tb.Helper()
	ctx := context.Background()
	node = sandboxtest.ForTest(tb, major, 1).Nodes[0]
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(node.Exec(ctx, "", "ALTER SYSTEM SET max_locks_per_transaction = 256"))
	must(node.Exec(ctx, "", "ALTER SYSTEM SET pg_stat_statements.max = 10000"))
	must(node.Stop(ctx, "fast"))
	must(node.Start(ctx))
	must(node.Exec(ctx, "", "CREATE DATABASE bench"))
	must(node.Exec(ctx, "bench", "CREATE EXTENSION pg_stat_statements"))
	conn, err := node.Connect(ctx, "bench")
	must(err)
	defer conn.Close(ctx)
	start := time.Now()
	must(Load(ctx, conn, n, 0))
	must(node.Exec(ctx, "bench", "SELECT pg_stat_statements_reset()"))
	must(Run(ctx, conn, n, m))
	tb.Logf("setup: PostgreSQL %s, %d tables, %d statements in %s", node.Install.Version, n, m, time.Since(start).Round(time.Second))
	return node.DSN("bench"), node
}
