package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/aadvisor/aadvisor/replicate"
)

// TestObservePlanDefaults checks that --plan sets the replication window
// and the number of regions from the plan's answers, and that --lag and
// --regions still win over it.
func TestObservePlanDefaults(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "empty.bin")
	writeTrace(t, trace, time.Second, func(*stream.Writer) {})
	plan := filepath.Join(dir, "plan.yaml")
	ctx := context.Background()
	var out, errb bytes.Buffer
	// Profile 5.4 leaves the replication window to its default, 100 ms, as
	// recommend prints it ("W = 100 ms (default)"), and has two write regions.
	if code := run(ctx, []string{"recommend", "--answers", "../../assess/decide/testdata/profiles/5.4-payments-five-nines.yaml", "--output", plan}, nil, &out, &errb); code != 0 {
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

// TestObservePlanSequences checks that observe honours the plan's
// sequence strategy: per-node offsets (the plan's, or bootstrap's default
// when it names none) leave no key collisions; uuid keys and no plan
// count what shared sequences would cause, apart from the conflicts/day;
// --sequences wins over the plan.
func TestObservePlanSequences(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "orders.bin")
	// 200 inserts into a table keyed by a sequence, 10 ms apart.
	writeTrace(t, trace, 3*time.Second, func(w *stream.Writer) {
		orders := &stream.Table{ID: 1, Schema: "public", Name: "orders", ReplicaIdentity: 'd', Columns: []stream.Column{
			{Name: "id", TypeOID: 20, Key: true, Sequence: true}, {Name: "note", TypeOID: 25}}}
		if err := w.Table(orders); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 200; i++ {
			at := time.Unix(0, 0).Add(time.Duration(i) * 10 * time.Millisecond)
			row := stream.Values{{Kind: stream.KindText, Data: []byte(fmt.Sprint(i))}, {Kind: stream.KindText, Data: []byte("x")}}
			if err := errors.Join(w.Begin(uint32(1000+i), at, uint64(100*i)), w.Change(stream.OpInsert, 1, 0, nil, row),
				w.Commit(uint64(100*i), uint64(100*i+10), at)); err != nil {
				t.Fatal(err)
			}
		}
	})
	ctx := context.Background()
	var out, errb bytes.Buffer
	base := filepath.Join(dir, "plan.yaml")
	if code := run(ctx, []string{"recommend", "--answers", "../../assess/decide/testdata/profiles/5.4-payments-five-nines.yaml", "--out", base}, nil, &out, &errb); code != 0 {
		t.Fatalf("recommend: %d %s", code, errb.String())
	}
	plan := func(seq string) string {
		p, err := replicate.ReadPlan(base)
		if err != nil {
			t.Fatal(err)
		}
		if p.Topology.Kind == replicate.TopologyStreaming {
			t.Fatalf("profile 5.4 gave a streaming plan")
		}
		p.Topology.Sequences = seq
		path := filepath.Join(dir, "plan-"+seq+".yaml")
		if err := p.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tt := range []struct {
		args      []string
		sequences string
		collide   bool
		note      string
	}{
		{nil, forecast.SequencesShared, true, "key collisions if sequences are shared"},
		{[]string{"--plan", plan(replicate.SequencesOffsets)}, forecast.SequencesOffsets, false, "do not collide"},
		{[]string{"--plan", plan("")}, forecast.SequencesOffsets, false, "do not collide"},
		{[]string{"--plan", plan(replicate.SequencesUUID)}, forecast.SequencesShared, true, "key strategy is uuid"},
		{[]string{"--plan", plan(replicate.SequencesNone)}, forecast.SequencesShared, true, "key collisions if sequences are shared"},
		{[]string{"--plan", plan(replicate.SequencesOffsets), "--sequences", "shared"}, forecast.SequencesShared, true, "key collisions if sequences are shared"},
		{[]string{"--sequences", "offsets"}, forecast.SequencesOffsets, false, "do not collide"},
	} {
		out.Reset()
		errb.Reset()
		args := append([]string{"observe", "--format", "json", "--trace", trace, "--regions", "2", "--lag", "100ms"}, tt.args...)
		if code := run(ctx, args, nil, &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, errb.String())
		}
		var got struct {
			Sequences     string   `json:"sequences"`
			Total         float64  `json:"total_conflicts_per_day"`
			KeyCollisions float64  `json:"key_collisions_per_day"`
			Warnings      []string `json:"warnings"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Sequences != tt.sequences || (got.KeyCollisions > 0) != tt.collide || got.Total != 0 ||
			!strings.Contains(strings.Join(got.Warnings, "\n"), tt.note) {
			t.Errorf("%v: sequences %q, %v key collisions/day, %v conflicts/day, notes %q; want %q, collide %v, a note %q",
				tt.args, got.Sequences, got.KeyCollisions, got.Total, got.Warnings, tt.sequences, tt.collide, tt.note)
		}
	}
	if code := run(ctx, []string{"observe", "--trace", trace, "--sequences", "ranges"}, nil, &out, &errb); code != exitUsage {
		t.Errorf("--sequences ranges: exit %d, want %d", code, exitUsage)
	}
}

// writeTrace writes a trace file that starts at the Unix epoch, holds what
// fill writes and ends after d.
func writeTrace(t *testing.T, path string, d time.Duration, fill func(*stream.Writer)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := stream.NewWriter(f, stream.Meta{Source: "test", Started: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	fill(w)
	if err := w.Close(stream.Footer{Ended: time.Unix(0, 0).Add(d), Reason: "duration"}); err != nil {
		t.Fatal(err)
	}
}

// observe -o writes the forecast to a file, as every command that writes
// one; a file it cannot make fails before any capture, and a failed run
// leaves none behind.
func TestObserveOutput(t *testing.T) {
	dir := t.TempDir()
	trace := filepath.Join(dir, "empty.bin")
	writeTrace(t, trace, time.Second, func(*stream.Writer) {})
	out := filepath.Join(dir, "forecast.json")
	code, stdout, stderr := runCLI(t, "", "observe", "--trace", trace, "--format", "json", "-o", out)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "forecast written to "+out) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var got struct {
		SchemaVersion int `json:"schema_version"`
	}
	if data, err := os.ReadFile(out); err != nil || json.Unmarshal(data, &got) != nil || got.SchemaVersion == 0 {
		t.Errorf("forecast file: %v, %+v", err, got)
	}
	if code, _, stderr := runCLI(t, "", "observe", "--dsn", "postgres://127.0.0.1:1/x", "-o", filepath.Join(dir, "no", "such.json")); code != exitUsage || !strings.Contains(stderr, "--output") {
		t.Errorf("unwritable --output: exit %d, %q", code, stderr)
	}
	bad := filepath.Join(dir, "bad.json")
	if code, _, _ := runCLI(t, "", "observe", "--trace", filepath.Join(dir, "missing.bin"), "-o", bad); code == 0 {
		t.Error("a missing trace succeeded")
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("a failed run left %s: %v", bad, err)
	}
}
