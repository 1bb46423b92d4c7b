package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/aadvisor/aadvisor/templates"
)

var metricNameRE = regexp.MustCompile(`\baadvisor_[a-z0-9_]+`)

// monitoredMetrics lists the aadvisor metrics the shipped dashboard and
// alert rules use.
func monitoredMetrics(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	for _, name := range []string{"aadvisor-mesh.dashboard.json", "aadvisor-mesh.rules.yml"} {
		data, err := fs.ReadFile(templates.Monitoring(), name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metricNameRE.FindAllString(string(data), -1) {
			seen[m] = true
		}
	}
	var out []string
	for m := range seen {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// scrape reads a Prometheus text exposition: each sample line by metric
// name.
func scrape(t *testing.T, url string) map[string][]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		out[name] = append(out[name], line)
	}
	return out
}

// TestMonitoringMetricsExported bootstraps a native mesh on PostgreSQL 18,
// runs the real 'aadvisor mesh run' on it with a periodic verify, scrapes
// /metrics and checks that every metric the dashboard and the alert rules
// use is exported, with the plan's window and RPO.
func TestMonitoringMetricsExported(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	want := monitoredMetrics(t)
	if len(want) < 20 {
		t.Fatalf("only %d metrics in the dashboard and rules: %v", len(want), want)
	}
	ctx := context.Background()
	sb := sandboxtest.ForTest(t, 18, 3)
	args := []string{"bootstrap", "--topology", "active-active", "--engine", "native", "--database", "app"}
	for _, n := range sb.Nodes {
		for _, sql := range []string{"CREATE DATABASE app", "ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'", "SELECT pg_reload_conf()"} {
			if err := n.Exec(ctx, "", sql); err != nil {
				t.Fatal(err)
			}
		}
		if err := n.Exec(ctx, "app", "CREATE TABLE public.items (id bigint PRIMARY KEY, v text)"); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--node", n.Name+"="+n.DSN("app"))
	}
	plan := filepath.Join(t.TempDir(), "mesh.yaml")
	var out, errb bytes.Buffer
	if code := run(ctx, append(args, "-o", plan), nil, &out, &errb); code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s%s", code, out.String(), errb.String())
	}
	// The answers a plan from 'aadvisor ask' keeps: a window W of 250 ms
	// and an RPO of a minute.
	f, err := os.OpenFile(plan, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(f, "answers:\n  rpo_region: 1m\n  replication_window_ms: 250\n")
	f.Close()
	if err := sb.Nodes[0].Exec(ctx, "app", "INSERT INTO items SELECT g, 'x' FROM generate_series(1, 100) g"); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(runCtx, []string{"mesh", "run", "--plan", plan, "--listen", "127.0.0.1:0", "--interval", "300ms",
			"--verify-every", "2s", "--log-level", "info"}, nil, io.Discard, stderr)
	}()
	defer func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("mesh run: exit %d\n%s", code, stderr.String())
		}
	}()
	addrRE := regexp.MustCompile(`metrics on (http://\S+/metrics)`)
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == ""; time.Sleep(50 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			url = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("mesh run did not start:\n%s", stderr.String())
		}
	}
	var got map[string][]string
	var missing []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		got = scrape(t, url)
		missing = missing[:0]
		for _, m := range want {
			if len(got[m]) == 0 {
				missing = append(missing, m)
			}
		}
		ok := len(missing) == 0 && has(got["aadvisor_mesh_verify_last_result"], `aadvisor_mesh_verify_last_result{result="ok"} 1`)
		if ok || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Fatalf("metrics the dashboard or the alerts use but mesh run does not export: %v\nlog:\n%s", missing, stderr.String())
	}
	for name, wantLine := range map[string]string{
		"aadvisor_mesh_lag_window_seconds": "aadvisor_mesh_lag_window_seconds 0.25",
		"aadvisor_mesh_rpo_seconds":        "aadvisor_mesh_rpo_seconds 60",
		"aadvisor_mesh_verify_last_result": `aadvisor_mesh_verify_last_result{result="ok"} 1`,
		"aadvisor_mesh_verify_differences": `aadvisor_mesh_verify_differences{table="public.items"} 0`,
		"aadvisor_mesh_verify_tables":      `aadvisor_mesh_verify_tables{state="same"} 1`,
		"aadvisor_mesh_conflicts_total":    `aadvisor_mesh_conflicts_total{from="node1",node="node2",type="insert_exists"} 0`,
	} {
		if !has(got[name], wantLine) {
			t.Errorf("want %s; got %v", wantLine, got[name])
		}
	}
	if n := len(got["aadvisor_mesh_link_up"]); n != 6 {
		t.Errorf("%d links exported, want 6: %v", n, got["aadvisor_mesh_link_up"])
	}
	t.Logf("%d metrics checked: %s", len(want), strings.Join(want, " "))
}

func has(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
