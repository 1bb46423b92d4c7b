package pglive

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/benchgen"
)

// BenchmarkReadLive reads a generated schema of 10,000 tables
// (inspect/benchgen: key, unique and partial index, foreign key, check and
// default each; triggers, functions and views among them) with 5,000
// pg_stat_statements entries, next to pg_dump --schema-only of the same
// database. It builds its own node, so it runs only when asked:
//
//	AADVISOR_BENCH_LIVE=1 go test -run '^$' -bench ReadLive -benchtime 5x ./inspect/pglive/
//
// AADVISOR_BENCH_PG (15), AADVISOR_BENCH_TABLES (10000) and
// AADVISOR_BENCH_STATEMENTS (5000) change the setup.
func BenchmarkReadLive(b *testing.B) {
	if os.Getenv("AADVISOR_BENCH_LIVE") == "" {
		b.Skip("set AADVISOR_BENCH_LIVE=1 to build the 10,000-table database and run this benchmark")
	}
	major := benchgen.EnvInt("AADVISOR_BENCH_PG", 15)
	ctx := context.Background()
	dsn, n := benchgen.LiveDatabase(b, major, benchgen.EnvInt("AADVISOR_BENCH_TABLES", 10000), benchgen.EnvInt("AADVISOR_BENCH_STATEMENTS", 5000))

	// One read with the duration of each query, for the record.
	times := &queryTimes{}
	if _, err := Read(ctx, dsn, Options{Log: slog.New(times)}); err != nil {
		b.Fatal(err)
	}
	b.Logf("query durations:\n%s", times)

	b.Run("pglive", func(b *testing.B) {
		var st Stats
		var tabs, statements int
		for b.Loop() {
			db, err := Read(ctx, dsn, Options{Stats: &st})
			if err != nil {
				b.Fatal(err)
			}
			tabs, statements = len(db.Tables), len(db.Statements)
		}
		b.ReportMetric(float64(st.Queries), "queries/op")
		b.ReportMetric(float64(tabs), "relations")
		b.ReportMetric(float64(statements), "statements")
	})
	b.Run("pg_dump", func(b *testing.B) {
		pgDump := filepath.Join(n.Install.BinDir, "pg_dump")
		if _, err := os.Stat(pgDump); err != nil {
			b.Skipf("no pg_dump next to the PostgreSQL %d server", major)
		}
		out := filepath.Join(b.TempDir(), "schema.sql")
		for b.Loop() {
			cmd := exec.CommandContext(ctx, pgDump, "--schema-only", "-f", out, "-d", dsn)
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("pg_dump: %v\n%s", err, msg)
			}
		}
	})
}

// queryTimes is a slog.Handler that keeps the duration of each query of a
// read.
type queryTimes struct{ lines []string }

func (q *queryTimes) Enabled(context.Context, slog.Level) bool { return true }
func (q *queryTimes) WithAttrs([]slog.Attr) slog.Handler       { return q }
func (q *queryTimes) WithGroup(string) slog.Handler            { return q }
func (q *queryTimes) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "query" {
		return nil
	}
	var name, rows, took string
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "name":
			name = a.Value.String()
		case "rows":
			rows = a.Value.String()
		case "duration":
			took = a.Value.Duration().Round(time.Millisecond).String()
		}
		return true
	})
	q.lines = append(q.lines, fmt.Sprintf("%-26s %7s rows %8s", name, rows, took))
	return nil
}

func (q *queryTimes) String() string { return strings.Join(q.lines, "\n") }
