package assess

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
)

// TestTableAdvice: the advice follows the most restrictive finding, and a
// table whose only problems are fixed once for all nodes (a sequence key)
// is writable anywhere after the fix, which its reasons say (found
// trying River: river_notification had an error and read as plainly
// "writable anywhere").
func TestTableAdvice(t *testing.T) {
	db := &inspect.Database{Tables: []*inspect.Table{
		{Schema: "public", Name: "notes", Kind: inspect.RelTable},
		{Schema: "public", Name: "jobs", Kind: inspect.RelTable},
		{Schema: "public", Name: "clean", Kind: inspect.RelTable},
	}}
	fs := []ReportFinding{
		{Name: "sequence-key", Severity: "error", Table: "public.notes"},
		{Name: "int4-key", Severity: "warning", Table: "public.notes"},
		{Name: "sequence-key", Severity: "error", Table: "public.jobs"},
		{Name: "queue-table", Severity: "warning", Table: "public.jobs"},
		{Name: "hot-row", Severity: "info", Table: "public.clean"},
		{Name: "setval-usage", Severity: "warning", Table: "public.clean"}, // not a fix made once: no reason
	}
	got := tableAdvice(db, fs)
	want := []TableAdvice{
		{Table: "public.clean", Advice: AdviceAnywhere, Warns: 1},
		{Table: "public.jobs", Advice: AdviceKeepLocal, Reasons: []string{"fix first: sequence-key", "queue-table"}, Errors: 1, Warns: 1},
		{Table: "public.notes", Advice: AdviceAnywhere, Reasons: []string{"fix first: sequence-key", "fix first: int4-key"}, Errors: 1, Warns: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("advice (-want +got):\n%s", diff)
	}
}
