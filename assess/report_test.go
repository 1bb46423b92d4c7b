package assess

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
)

// TestTableAdvice: the advice follows the most restrictive finding, and a
// table whose only problems are fixed once for all nodes (a sequence key)
// is writable anywhere after the fix, which its reasons say (found
// trying River: river_notification had an error and read as plainly
// "writable anywhere"). The effect of a finding is its rule's, or its
// own: a queue of business work is home-routed, only node-local data is
// kept local, and the tables whose keys an allocator hands out are
// home-routed with the allocating table. A report written before findings
// carried their effect gets the rules' effects.
func TestTableAdvice(t *testing.T) {
	db := &inspect.Database{Tables: []*inspect.Table{
		{Schema: "public", Name: "notes", Kind: inspect.RelTable},
		{Schema: "public", Name: "jobs", Kind: inspect.RelTable},
		{Schema: "public", Name: "clean", Kind: inspect.RelTable},
		{Schema: "public", Name: "sessions", Kind: inspect.RelTable},
		{Schema: "public", Name: "history", Kind: inspect.RelTable},
		{Schema: "public", Name: "district", Kind: inspect.RelTable},
		{Schema: "public", Name: "orders", Kind: inspect.RelTable},
	}}
	fs := []ReportFinding{
		{Name: "sequence-key", Severity: "error", Table: "public.notes"},
		{Name: "int4-key", Severity: "warning", Table: "public.notes"},
		{Name: "sequence-key", Severity: "error", Table: "public.jobs"},
		{Name: "queue-table", Severity: "warning", Table: "public.jobs"},
		{Name: "hot-row", Severity: "info", Table: "public.clean"},
		{Name: "setval-usage", Severity: "warning", Table: "public.clean"}, // no effect on the table: no reason
		{Name: "queue-table", Severity: "warning", Table: "public.sessions", Effect: "local", EffectWhy: "node-local: its name says sessions and it is UNLOGGED"},
		{Name: "missing-primary-key", Severity: "error", Table: "public.history", Effect: "insert-only", EffectWhy: "no UPDATE or DELETE in the workload"},
		{Name: "id-allocator", Severity: "error", Table: "public.district", Effect: "home-routed", Related: []string{"public.orders", "public.gone"}},
	}
	got := tableAdvice(db, fs)
	want := []TableAdvice{
		{Table: "public.clean", Advice: AdviceAnywhere, Warns: 1},
		{Table: "public.district", Advice: AdviceHome, Reasons: []string{"id-allocator"}, Errors: 1},
		{Table: "public.history", Advice: AdviceInsertOnly, Reasons: []string{"missing-primary-key (no UPDATE or DELETE in the workload)"}, Errors: 1},
		{Table: "public.jobs", Advice: AdviceHome, Reasons: []string{"fix first: sequence-key", "queue-table"}, Errors: 1, Warns: 1},
		{Table: "public.notes", Advice: AdviceAnywhere, Reasons: []string{"fix first: sequence-key", "fix first: int4-key"}, Errors: 1, Warns: 1},
		{Table: "public.orders", Advice: AdviceHome, Reasons: []string{"id-allocator"}},
		{Table: "public.sessions", Advice: AdviceKeepLocal, Reasons: []string{"queue-table (node-local: its name says sessions and it is UNLOGGED)"}, Warns: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("advice (-want +got):\n%s", diff)
	}
}

// TestHotRowAgreesWithForecast holds the audit's hot-row judgement
// (rules, which cannot import assess) to the forecast's: the same window,
// the same threshold, and the same chance of a conflict for a row written
// evenly from every node.
func TestHotRowAgreesWithForecast(t *testing.T) {
	if rules.HotWindow != DefaultLag {
		t.Errorf("rules.HotWindow = %v, assess.DefaultLag = %v", rules.HotWindow, DefaultLag)
	}
	if got := DefaultThresholds().Get("hot_row_p_conflict"); rules.HotPConflict != got {
		t.Errorf("rules.HotPConflict = %v, threshold hot_row_p_conflict = %v", rules.HotPConflict, got)
	}
	for _, nodes := range []int{2, 3, 5} {
		for _, rate := range []float64{0.001, 0.05, 0.58, 300} {
			shares := make([]float64, nodes)
			for i := range shares {
				shares[i] = 1 / float64(nodes)
			}
			want := RowPConflict(DefaultLag.Seconds(), rate, shares)
			if got := rules.HotRowPConflict(DefaultLag, rate, nodes); math.Abs(got-want) > 1e-12 {
				t.Errorf("%d nodes, %g updates/s: rules %g, forecast %g", nodes, rate, got, want)
			}
		}
	}
}
