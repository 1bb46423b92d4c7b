package replicate

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestMetricsWithoutServers: conflicts are exported for every type, zeros
// too, where the server counts them (PostgreSQL 18) and not at all where
// it does not; the plan's limits only when known; verify results only when
// verify runs, the per-table counts from the last verify that completed.
func TestMetricsWithoutServers(t *testing.T) {
	two := int64(2)
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyActiveActive, Engine: EngineNative,
		Nodes: []PlanNode{{Name: "a", Role: RolePeer, DSN: "host=a"}, {Name: "b", Role: RolePeer, DSN: "host=b"}}}}
	s := NewSupervisor(p, SuperviseOptions{LagWindow: 250 * time.Millisecond, VerifyEvery: time.Hour})
	defer s.Close()
	s.last = &Status{Engine: EngineNative, Links: []LinkStatus{
		{From: "a", To: "b", Subscription: "aadv_b_from_a", State: LinkStreaming, Conflicts: &two, ConflictsByType: map[string]int64{"insert_exists": 2}},
		{From: "b", To: "a", Subscription: "aadv_a_from_b", State: LinkStreaming}, // PostgreSQL 16 or 17: not counted
	}}
	got := gather(t, s)
	if n := len(got["aadvisor_mesh_conflicts_total"]); n != len(stConflictTypes) {
		t.Errorf("%d conflict series, want one per type (%d)", n, len(stConflictTypes))
	}
	for typ, want := range map[string]float64{"insert_exists": 2, "update_origin_differs": 0, "multiple_unique_conflicts": 0} {
		if v, ok := metricValue(got["aadvisor_mesh_conflicts_total"], map[string]string{"node": "b", "from": "a", "type": typ}); !ok || v != want {
			t.Errorf("conflicts %s = %v (%v), want %v", typ, v, ok, want)
		}
	}
	if _, ok := metricValue(got["aadvisor_mesh_conflicts_total"], map[string]string{"node": "a"}); ok {
		t.Error("conflicts exported for a link whose server does not count them")
	}
	if v, _ := metricValue(got["aadvisor_mesh_lag_window_seconds"], nil); v != 0.25 {
		t.Errorf("lag window %v", v)
	}
	if len(got["aadvisor_mesh_rpo_seconds"]) != 0 {
		t.Error("RPO exported for a plan without one")
	}
	// Verify enabled, not run yet: the run counters only.
	if len(got["aadvisor_mesh_verify_runs_total"]) != 3 || len(got["aadvisor_mesh_verify_last_result"]) != 0 {
		t.Errorf("before the first verify: %v", got["aadvisor_mesh_verify_last_result"])
	}
	s.verify = verifyState{runs: map[string]int64{VerifyResultDifferences: 1}, last: VerifyResultDifferences, at: time.Unix(1700000000, 0), took: time.Second,
		report: &VerifyReport{Tables: []TableVerify{{Table: "public.t", Differences: 3}, {Table: "public.u"}, {Table: "public.v", Skipped: "no primary key"}}}}
	got = gather(t, s)
	vals := map[string]float64{}
	for _, c := range []struct{ name, label, value string }{
		{"aadvisor_mesh_verify_differences", "table", "public.t"}, {"aadvisor_mesh_verify_differences", "table", "public.u"},
		{"aadvisor_mesh_verify_tables", "state", "same"}, {"aadvisor_mesh_verify_tables", "state", "different"}, {"aadvisor_mesh_verify_tables", "state", "skipped"},
		{"aadvisor_mesh_verify_last_result", "result", "differences"}, {"aadvisor_mesh_verify_last_result", "result", "ok"},
		{"aadvisor_mesh_verify_runs_total", "result", "differences"}, {"aadvisor_mesh_verify_last_run_timestamp_seconds", "", ""},
	} {
		var labels map[string]string
		if c.label != "" {
			labels = map[string]string{c.label: c.value}
		}
		v, ok := metricValue(got[c.name], labels)
		if !ok {
			v = -1
		}
		vals[c.name+" "+c.value] = v
	}
	want := map[string]float64{
		"aadvisor_mesh_verify_differences public.t": 3, "aadvisor_mesh_verify_differences public.u": 0,
		"aadvisor_mesh_verify_tables same": 1, "aadvisor_mesh_verify_tables different": 1, "aadvisor_mesh_verify_tables skipped": 1,
		"aadvisor_mesh_verify_last_result differences": 1, "aadvisor_mesh_verify_last_result ok": 0,
		"aadvisor_mesh_verify_runs_total differences": 1, "aadvisor_mesh_verify_last_run_timestamp_seconds ": 1700000000,
	}
	if d := cmp.Diff(want, vals); d != "" {
		t.Errorf("verify metrics (-want +got):\n%s", d)
	}
	if len(got["aadvisor_mesh_verify_differences"]) != 2 {
		t.Errorf("a skipped table has no difference count: %v", got["aadvisor_mesh_verify_differences"])
	}
}
