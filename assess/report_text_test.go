package assess

import (
	"fmt"
	"strings"
	"testing"
)

// TestTextManyObjects: a rule over 50 objects is shown as a summary and
// one line per object, with every rule counted at the top; a rule with
// few objects keeps its fix and SQL under each.
func TestTextManyObjects(t *testing.T) {
	r := &Report{Verdict: VerdictNotReady, VerdictReason: "many", Findings: []ReportFinding{}}
	for i := range 60 {
		r.Findings = append(r.Findings, ReportFinding{Rule: "AR201", Name: "sequence-key", Severity: "error", Title: "Sequence key",
			Object: fmt.Sprintf("public.t%02d.id", i), Message: fmt.Sprintf("t%02d.id is filled from a sequence", i),
			Fix: "Give each node its own residue.", FixSQL: fmt.Sprintf("ALTER TABLE public.t%02d ...;\nSELECT setval(...);", i)})
	}
	r.Findings = append(r.Findings, ReportFinding{Rule: "AR301", Name: "multiple-unique", Severity: "warning", Title: "Unique keys",
		Object: "public.u", Message: "two unique keys", Fix: "Route writes home.", FixSQL: "-- nothing to run"})
	var b strings.Builder
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"FINDINGS BY RULE\n  AR201 sequence-key     error        60  Sequence key\n  AR301 multiple-unique  warning       1  Unique keys\n",
		"  AR201 sequence-key  Sequence key\n    60 objects, one line each below; every object's fix and SQL: --format json, markdown or html\n" +
			"    fix: Give each node its own residue.\n    fix SQL, for public.t00.id:\n        ALTER TABLE public.t00 ...;\n        SELECT setval(...);\n" +
			"    public.t00.id: t00.id is filled from a sequence\n    public.t01.id: t01.id is filled from a sequence\n",
		"    public.t59.id: t59.id is filled from a sequence\n\nWARNINGS (1)\n",
		"    public.u: two unique keys\n      fix: Route writes home.\n        -- nothing to run\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks\n%s\n--- in ---\n%s", want, out)
		}
	}
	if n := strings.Count(out, "ALTER TABLE"); n != 1 {
		t.Errorf("%d fix statements for the rule over 50 objects, want the first one only", n)
	}

	// Fixes that differ are shown for the first object.
	r.Findings[1].Fix = "Something else."
	b.Reset()
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	if want := "    fix, for public.t00.id: Give each node its own residue.\n"; !strings.Contains(b.String(), want) {
		t.Errorf("text report lacks %q", want)
	}

	// 50 objects are not many: no summary.
	r.Findings = r.Findings[10:]
	b.Reset()
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "FINDINGS BY RULE") || strings.Count(b.String(), "ALTER TABLE") != 50 {
		t.Errorf("50 objects: want no summary and every fix:\n%s", b.String())
	}
}
