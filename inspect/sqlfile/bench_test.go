package sqlfile

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// workload makes n statements shaped like pg_stat_statements texts.
func workload(n int) []string {
	shapes := []string{
		"SELECT u.id, u.email FROM users%d u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1",
		"UPDATE counters%d SET value = value + $1, updated_at = now() WHERE name = $2",
		"INSERT INTO events%d (id, at, kind, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET n = events%[1]d.n + excluded.n",
		"SELECT * FROM jobs%d WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
		"DELETE FROM sessions%d WHERE expires_at < now() - $1::interval",
		"WITH x AS (UPDATE stock%d SET qty = qty - $1 WHERE sku = $2 RETURNING sku) INSERT INTO audit (sku) SELECT sku FROM x",
		"SELECT pg_notify($1, $2), nextval('seq%d')",
		"SELECT count(*) FROM orders%d o WHERE o.created_at > $1 AND o.status IN ($2, $3, $4)",
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(shapes[i%len(shapes)], i)
	}
	return out
}

// cpuTime is the CPU time (user and system) the process has used. On a
// shared machine it says more than the wall clock: cpu-µs/stmt is what a
// statement costs wherever the time went.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAnalyze measures statement facts over 50,000 statements (all
// CPUs); statements/s is the number to watch.
func BenchmarkAnalyze(b *testing.B) {
	const n = 50000
	queries := workload(n)
	stmts := make([]*inspect.Statement, n)
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		for i, q := range queries {
			stmts[i] = &inspect.Statement{Query: q}
		}
		Analyze(stmts)
	}
	b.StopTimer()
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n*b.N), "cpu-µs/stmt")
	for _, s := range stmts {
		if s.ParseError != "" {
			b.Fatalf("%q: %s", s.Query, s.ParseError)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}

// BenchmarkReadQueries measures reading a 50,000-statement .sql file:
// splitting, positions, parsing and facts.
func BenchmarkReadQueries(b *testing.B) {
	const n = 50000
	src := []byte(strings.Join(workload(n), ";\n") + ";\n")
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		db := newDatabase()
		if err := ReadQueries(db, "bench.sql", src); err != nil {
			b.Fatal(err)
		}
		if len(db.Statements) != n || len(db.Errors) != 0 {
			b.Fatalf("got %d statements, %d errors", len(db.Statements), len(db.Errors))
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(n*b.N), "cpu-µs/stmt")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}

// BenchmarkReadSchemaDump measures reading the pg_dump fixture.
func BenchmarkReadSchemaDump(b *testing.B) {
	src := mustRead(b, "testdata/pg15_dump.sql")
	n := len(splitStatements(string(src)))
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for range b.N {
		db := newDatabase()
		ReadSchema(db, "dump.sql", src)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}
