package sqlfile

import (
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect/benchgen"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// BenchmarkReadQueries measures reading a 50,000-statement .sql file:
// splitting, positions, parsing and facts.
func BenchmarkReadQueries(b *testing.B) {
	const n = 50000
	src := []byte(strings.Join(benchgen.Queries(n), ";\n") + ";\n")
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	cpu := benchgen.CPUTime()
	for range b.N {
		db := newDatabase()
		if err := ReadQueries(db, "bench.sql", src); err != nil {
			b.Fatal(err)
		}
		if len(db.Statements) != n || len(db.Errors) != 0 {
			b.Fatalf("got %d statements, %d errors", len(db.Statements), len(db.Errors))
		}
	}
	b.ReportMetric(float64((benchgen.CPUTime()-cpu).Microseconds())/float64(n*b.N), "cpu-µs/stmt")
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}

// BenchmarkReadSchemaDump measures reading the pg_dump fixture.
func BenchmarkReadSchemaDump(b *testing.B) {
	src := mustRead(b, "testdata/pg15_dump.sql")
	n := len(stmt.SplitStatements(string(src)))
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for range b.N {
		db := newDatabase()
		ReadSchema(db, "dump.sql", src)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}
