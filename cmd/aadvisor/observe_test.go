package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// TestObserveLive captures a real workload with 'observe --dsn', saves the
// trace, forecasts it again offline with other parameters, and checks that
// nothing is left on the server.
func TestObserveLive(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	s := sandboxtest.ForTest(t, 18, 1)
	n := s.Nodes[0]
	if err := n.Exec(ctx, "", `CREATE TABLE counters (id int PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
		INSERT INTO counters VALUES (1, 0), (2, 0)`); err != nil {
		t.Fatal(err)
	}
	trace := filepath.Join(t.TempDir(), "trace.bin")
	var out, errb bytes.Buffer
	var code int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = run(ctx, []string{"observe", "--dsn", n.DSN(""), "--duration", "6s", "--save", trace,
			"--regions", "2", "--lag", "1h", "--format", "json"}, nil, &out, &errb)
	}()
	// Wait for the capture to start, then write: 10 increments of row 1.
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := n.Connect(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var slots int
		conn.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots WHERE temporary").Scan(&slots)
		conn.Close(ctx)
		if slots == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no temporary slot appeared; stderr: %s", errb.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < 10; i++ {
		if err := n.Exec(ctx, "", "UPDATE counters SET hits = hits + 1 WHERE id = 1"); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if code != 0 {
		t.Fatalf("observe: exit %d; stderr: %s", code, errb.String())
	}
	var fc struct {
		SchemaVersion int `json:"schema_version"`
		Regions       int `json:"regions"`
		Tables        []struct {
			Schema string `json:"schema"`
			Name   string `json:"name"`
			Table  string `json:"table"`
		} `json:"tables"`
	}
	if err := json.Unmarshal(out.Bytes(), &fc); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if fc.SchemaVersion != forecast.SchemaVersion || fc.Regions != 2 || len(fc.Tables) == 0 || fc.Tables[0].Table != "public.counters" ||
		fc.Tables[0].Schema != "public" || fc.Tables[0].Name != "counters" {
		t.Errorf("forecast = %+v", fc)
	}
	if !strings.Contains(out.String(), `"changes"`) {
		t.Errorf("no change count in %s", out.String())
	}
	// Nothing left behind: no slot, no publication.
	conn, err := n.Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var slots, pubs int
	conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_replication_slots), (SELECT count(*) FROM pg_publication)").Scan(&slots, &pubs)
	if slots != 0 || pubs != 0 {
		t.Errorf("left behind: %d slots, %d publications", slots, pubs)
	}
	// The saved trace forecasts offline, for another region count.
	for _, regions := range []int{2, 3} {
		out.Reset()
		errb.Reset()
		if c := run(ctx, []string{"observe", "--trace", trace, "--regions", fmt.Sprint(regions), "--format", "markdown"}, nil, &out, &errb); c != 0 {
			t.Fatalf("observe --trace: exit %d: %s", c, errb.String())
		}
		if !strings.Contains(out.String(), "counters") {
			t.Errorf("--trace --regions %d: no table in\n%s", regions, out.String())
		}
	}
}
