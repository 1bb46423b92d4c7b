package stmt

import (
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/benchgen"
)

// BenchmarkAnalyze measures statement facts over 50,000 statements (all
// CPUs); statements/s is the number to watch.
func BenchmarkAnalyze(b *testing.B) {
	const n = 50000
	queries := benchgen.Queries(n)
	stmts := make([]*inspect.Statement, n)
	b.ResetTimer()
	cpu := benchgen.CPUTime()
	for range b.N {
		for i, q := range queries {
			stmts[i] = &inspect.Statement{Query: q}
		}
		Analyze(stmts)
	}
	b.StopTimer()
	b.ReportMetric(float64((benchgen.CPUTime()-cpu).Microseconds())/float64(n*b.N), "cpu-µs/stmt")
	for _, s := range stmts {
		if s.ParseError != "" {
			b.Fatalf("%q: %s", s.Query, s.ParseError)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "stmts/s")
}
