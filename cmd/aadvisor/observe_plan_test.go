package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/stream"
)

// TestObservePlanDefaults checks that --plan sets the replication window
// and the number of regions from the plan's answers, and that --lag and
// --regions still win over it.
func TestObservePlanDefaults(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "empty.bin")
	f, err := os.Create(trace)
	if err != nil {
		t.Fatal(err)
	}
	w, err := stream.NewWriter(f, stream.Meta{Source: "test", Started: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(stream.Footer{Ended: time.Unix(1, 0), Reason: "duration"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	plan := filepath.Join(dir, "plan.yaml")
	ctx := context.Background()
	var out, errb bytes.Buffer
	// Profile 5.4 answers a 100 ms replication window and two write regions.
	if code := run(ctx, []string{"recommend", "--answers", "../../assess/testdata/profiles/5.4-payments-five-nines.yaml", "--output", plan}, nil, &out, &errb); code != 0 {
		t.Fatalf("recommend: %d %s", code, errb.String())
	}
	tests := []struct {
		args        []string
		lagMs       float64
		regions     int
		wantFailure bool
	}{
		{[]string{"--trace", trace}, 100, 2, false}, // ask's default replication window
		{[]string{"--trace", trace, "--plan", plan}, 100, 2, false},
		{[]string{"--trace", trace, "--plan", plan, "--lag", "1s", "--regions", "3"}, 1000, 3, false},
		{[]string{"--trace", trace, "--plan", filepath.Join(dir, "missing.yaml")}, 0, 0, true},
	}
	for _, tt := range tests {
		out.Reset()
		errb.Reset()
		code := run(ctx, append([]string{"observe", "--format", "json"}, tt.args...), nil, &out, &errb)
		if tt.wantFailure {
			if code != exitUsage {
				t.Errorf("%v: exit %d, want %d", tt.args, code, exitUsage)
			}
			continue
		}
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		var got struct {
			Regions int     `json:"regions"`
			LagMs   float64 `json:"lag_ms"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.LagMs != tt.lagMs || got.Regions != tt.regions {
			t.Errorf("%v: lag %v ms, %d regions; want %v ms, %d", tt.args, got.LagMs, got.Regions, tt.lagMs, tt.regions)
		}
	}
}
