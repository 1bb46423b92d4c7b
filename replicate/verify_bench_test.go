package replicate

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestVerifyBenchmark compares mesh verify on a 1,000,000-row table across
// 3 nodes with `pg_dump --data-only -t TABLE | sha256sum` from each node,
// and measures the supervisor's own load on a 3-node pglogical mesh.
// Set AADVISOR_BENCH=1 to run it (about a minute):
//
//	AADVISOR_BENCH=1 go test -run TestVerifyBenchmark -v ./replicate/
func TestVerifyBenchmark(t *testing.T) {
	if os.Getenv("AADVISOR_BENCH") == "" {
		t.Skip("set AADVISOR_BENCH=1 to run the verify and supervisor benchmark")
	}
	rows := 1_000_000
	m := newTestMesh(t, 15, 3, EnginePglogical)
	ctx := context.Background()
	pgDump := filepath.Join(m.sb.Nodes[0].Install.BinDir, "pg_dump")
	if _, err := os.Stat(pgDump); err != nil {
		t.Skipf("no pg_dump next to the server: %v", err)
	}
	// The bench table lives in its own database on each node, same rows.
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyActiveActive, Engine: EngineNative, Database: "bench"}}
	load := fmt.Sprintf(`CREATE TABLE public.bench (id bigint PRIMARY KEY, a text, b int, c timestamptz, d numeric, e text);
INSERT INTO public.bench SELECT g, md5(g::text), g %% 1000, timestamptz '2026-01-01' + g * interval '1 second', g * 1.5, repeat('x', 50)
FROM generate_series(1, %d) g`, rows)
	for _, n := range m.sb.Nodes {
		if err := n.Exec(ctx, "", "CREATE DATABASE bench"); err != nil {
			t.Fatal(err)
		}
		if err := n.Exec(ctx, "bench", load); err != nil {
			t.Fatal(err)
		}
		if err := n.Exec(ctx, "bench", "VACUUM ANALYZE public.bench"); err != nil {
			t.Fatal(err)
		}
		p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: n.Name, Role: RolePeer, DSN: n.DSN("bench")})
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	// Settle the servers after the load, then take turns, so that neither
	// side gets the quieter moments.
	for _, n := range m.sb.Nodes {
		if err := n.Exec(ctx, "bench", "CHECKPOINT"); err != nil {
			t.Fatal(err)
		}
	}
	dump := func(dsn string) error {
		cmd := exec.Command("sh", "-c", `"$0" --data-only -t public.bench "$1" | sha256sum > /dev/null`, pgDump, dsn)
		cmd.Env = append(os.Environ(), m.sb.Nodes[0].Install.Env()...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	const runs = 5
	var ours, seq, par []time.Duration
	var rep *VerifyReport
	for i := 0; i < runs; i++ {
		start := time.Now()
		r, err := Verify(ctx, p, VerifyOptions{Tables: []string{"public.bench"}})
		if err != nil {
			t.Fatal(err)
		}
		ours = append(ours, time.Since(start))
		rep = r
		if r.Differences != 0 {
			t.Fatalf("identical nodes: %d differences", r.Differences)
		}
		start = time.Now()
		for _, n := range m.sb.Nodes {
			if err := dump(n.DSN("bench")); err != nil {
				t.Fatal(err)
			}
		}
		seq = append(seq, time.Since(start))
		start = time.Now()
		var wg sync.WaitGroup
		for _, n := range m.sb.Nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := dump(n.DSN("bench")); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		par = append(par, time.Since(start))
	}
	o, s, pa := median(ours), median(seq), median(par)
	t.Logf("machine: %d CPUs (%s), GOMAXPROCS %d, PostgreSQL %s", runtime.NumCPU(), cpuModel(), runtime.GOMAXPROCS(0), m.sb.Nodes[0].Install.Version)
	t.Logf("verify %d rows x 3 nodes: median %s over %d runs (%d queries, %d buckets); runs %v", rows, o.Round(time.Millisecond), runs, rep.Queries, rep.Tables[0].Buckets, ours)
	t.Logf("pg_dump --data-only | sha256sum, 3 nodes one after another: median %s (%.1fx verify); runs %v", s.Round(time.Millisecond), float64(s)/float64(o), seq)
	t.Logf("pg_dump --data-only | sha256sum, 3 nodes at once:          median %s (%.1fx verify); runs %v", pa.Round(time.Millisecond), float64(pa)/float64(o), par)
	goal := "met"
	if float64(s)/float64(o) < 3 {
		goal = "NOT met on this run"
	}
	t.Logf("goal (3x faster than sequential pg_dump|sha256sum): %s", goal)
	// What crosses the network: the whole table per node for pg_dump, one
	// small row per bucket for verify.
	cmd := exec.Command("sh", "-c", `"$0" --data-only -t public.bench "$1" | wc -c`, pgDump, m.sb.Nodes[0].DSN("bench"))
	cmd.Env = append(os.Environ(), m.sb.Nodes[0].Install.Env()...)
	if out, err := cmd.Output(); err == nil {
		t.Logf("bytes moved per node: pg_dump %s; verify pass 1 about %d rows of 20 bytes (%d bytes)",
			strings.TrimSpace(string(out)), rep.Tables[0].Buckets, rep.Tables[0].Buckets*20)
	}

	// A changed row is found and narrowed to its key.
	if err := m.sb.Nodes[1].Exec(ctx, "bench", "UPDATE public.bench SET e = 'y' WHERE id = 654321"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Verify(ctx, p, VerifyOptions{Tables: []string{"public.bench"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Differences != 1 || strings.Join(r.Tables[0].Diffs[0].Key, ",") != "654321" {
		t.Fatalf("want the one changed row: %+v", summarize(r))
	}
	t.Logf("verify with one changed row: %s, %d queries", time.Since(start).Round(time.Millisecond), r.Queries)

	// The supervisor's own load on the mesh: queries per poll and per second.
	sup := NewSupervisor(m.plan, SuperviseOptions{Interval: time.Second, Status: StatusOptions{LogFiles: m.logFiles()}})
	defer sup.Close()
	sctx, cancel := context.WithTimeout(ctx, 10500*time.Millisecond)
	defer cancel()
	start = time.Now()
	sup.Run(sctx)
	el := time.Since(start)
	h := sup.Health()
	var pollTime float64
	if mfs, err := sup.Registry().Gather(); err == nil {
		for _, mf := range mfs {
			if mf.GetName() == "aadvisor_mesh_poll_seconds" {
				pollTime = mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
	}
	t.Logf("supervisor (interval 1s, 3 pglogical nodes): %d polls in %s, %d queries = %.1f per poll, %.2f queries/s in all (%.2f per node); last poll took %.0fms",
		h.Polls, el.Round(time.Millisecond), h.Queries, float64(h.Queries)/float64(h.Polls), float64(h.Queries)/el.Seconds(),
		float64(h.Queries)/el.Seconds()/3, pollTime*1000)
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}
