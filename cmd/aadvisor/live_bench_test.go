package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/benchgen"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
)

// BenchmarkAssessLive runs `aadvisor assess --dsn` (the binary, text report
// to /dev/null) and `pg_dump --schema-only` of the same database in turn,
// the order alternating from round to round, and reports the median time
// of each and the median of the rounds' ratios. The database has 10,000
// generated tables and 5,000 pg_stat_statements entries
// (inspect/benchgen). It builds its own node, so it runs only when asked:
//
//	AADVISOR_BENCH_LIVE=1 go test ./cmd/aadvisor -run '^$' -bench AssessLive -benchtime 5x -timeout 60m
//
// AADVISOR_BENCH_PG (15; or 18), AADVISOR_BENCH_TABLES (10000) and
// AADVISOR_BENCH_STATEMENTS (5000) change the setup. AADVISOR_BENCH_DSN
// reads a database that `go run ./inspect/benchgen/gen -dsn` built
// instead. AADVISOR_BENCH_PG_DUMP is the pg_dump to compare with: by
// default the one next to the server, else the one on PATH; it must be of
// the server's major version or newer (docs/bench/pg_dump.sh builds one
// for 18).
func BenchmarkAssessLive(b *testing.B) {
	dsn := os.Getenv("AADVISOR_BENCH_DSN")
	if dsn == "" && os.Getenv("AADVISOR_BENCH_LIVE") == "" {
		b.Skip("set AADVISOR_BENCH_LIVE=1 to build the 10,000-table database and run this benchmark (or AADVISOR_BENCH_DSN)")
	}
	ctx := context.Background()
	pgDump := os.Getenv("AADVISOR_BENCH_PG_DUMP")
	if dsn == "" {
		var node *sandbox.Node
		dsn, node = benchgen.LiveDatabase(b, benchgen.EnvInt("AADVISOR_BENCH_PG", 15),
			benchgen.EnvInt("AADVISOR_BENCH_TABLES", 10000), benchgen.EnvInt("AADVISOR_BENCH_STATEMENTS", 5000))
		if pgDump == "" {
			if p := filepath.Join(node.Install.BinDir, "pg_dump"); fileExists(p) {
				pgDump = p
			}
		}
	}
	if pgDump == "" {
		p, err := exec.LookPath("pg_dump")
		if err != nil {
			b.Fatal("no pg_dump: set AADVISOR_BENCH_PG_DUMP")
		}
		pgDump = p
	}
	bin := buildBinary(b)
	dump := filepath.Join(b.TempDir(), "schema.sql")
	commands := map[string]*exec.Cmd{}
	run := func(name string, args ...string) time.Duration {
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		// The dump must not push the workload out of pg_stat_statements.
		cmd.Env = append(os.Environ(), "PGOPTIONS=-c pg_stat_statements.track=none")
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", name, err, out)
		}
		commands[name] = cmd
		return time.Since(start)
	}
	assessArgs := []string{bin, "assess", "--dsn", dsn, "--fail-on", "none", "-o", os.DevNull}
	dumpArgs := []string{pgDump, "--schema-only", "-f", dump, "-d", dsn}
	// One of each first: caches warm, and the versions on record.
	run("assess", assessArgs...)
	run("pg_dump", dumpArgs...)
	if out, err := exec.CommandContext(ctx, pgDump, "--version").Output(); err == nil {
		b.Logf("%s", out)
	}
	var ours, theirs, ratios []float64
	round := 0
	for b.Loop() {
		var a, d time.Duration
		if round%2 == 0 {
			a, d = run("assess", assessArgs...), run("pg_dump", dumpArgs...)
		} else {
			d, a = run("pg_dump", dumpArgs...), run("assess", assessArgs...)
		}
		round++
		ours, theirs = append(ours, a.Seconds()), append(theirs, d.Seconds())
		ratios = append(ratios, a.Seconds()/d.Seconds())
		b.Logf("round %d: assess %.2f s (cpu %.2f s), pg_dump %.2f s (cpu %.2f s), ratio %.2f", round, a.Seconds(),
			cpuOf(commands["assess"]).Seconds(), d.Seconds(), cpuOf(commands["pg_dump"]).Seconds(), a.Seconds()/d.Seconds())
	}
	b.ReportMetric(median(ours), "assess-s")
	b.ReportMetric(median(theirs), "pg_dump-s")
	b.ReportMetric(median(ratios), "ratio")
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func cpuOf(cmd *exec.Cmd) time.Duration {
	if cmd == nil || cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
