package assess

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/google/go-cmp/cmp"
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

// The text report indents fix SQL except where a line continues a quoted
// name or value: copying the printed SQL runs exactly fix_sql.
func TestTextFixSQLCopiesExactly(t *testing.T) {
	fixes := []string{
		"ALTER TABLE public.\"a\nb\" ADD PRIMARY KEY (id);",
		"ALTER TABLE public.\"x\n  \"\"y\"\"\n\" ADD COLUMN id uuid;\nCOMMENT ON TABLE t IS 'two\n  lines';",
		"SELECT E'it\\'s\n  indented', $$a\nb$$, $f$\n x $f$;\n-- a comment's quote\nSELECT 1;",
		"BEGIN;\nALTER SEQUENCE s INCREMENT BY 3;\nCOMMIT;",
	}
	r := &Report{Verdict: VerdictNotReady}
	for i, sql := range fixes {
		r.Findings = append(r.Findings, ReportFinding{Rule: "AR101", Name: "missing-primary-key", Severity: "error",
			Object: fmt.Sprintf("public.t%d", i), Message: "m", Fix: "f", FixSQL: sql})
	}
	var b strings.Builder
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, sql := range fixes {
		// What the report prints for it, and what a reader copies back.
		var printed, copied []string
		for _, l := range SQLLines(sql) {
			if l.Quoted {
				printed = append(printed, l.Text)
			} else {
				printed = append(printed, "        "+l.Text)
			}
			copied = append(copied, l.Text)
		}
		if !strings.Contains(out, "\n"+strings.Join(printed, "\n")+"\n") {
			t.Errorf("fix SQL not printed as expected:\n%s\n--- in ---\n%s", strings.Join(printed, "\n"), out)
		}
		if got := strings.Join(copied, "\n"); got != sql {
			t.Errorf("copied back %q, want %q", got, sql)
		}
	}
	// Which lines continue a quote.
	var quoted []bool
	for _, l := range SQLLines(fixes[1]) {
		quoted = append(quoted, l.Quoted)
	}
	if diff := cmp.Diff([]bool{false, true, true, false, true}, quoted); diff != "" {
		t.Errorf("quoted lines (-want +got):\n%s", diff)
	}
	quoted = quoted[:0]
	for _, l := range SQLLines(fixes[2]) {
		quoted = append(quoted, l.Quoted)
	}
	if diff := cmp.Diff([]bool{false, true, true, true, false, false}, quoted); diff != "" {
		t.Errorf("quoted lines of E'', $$ and $f$ (-want +got):\n%s", diff)
	}
}

// Markdown keeps every table row on one line, whatever the identifiers
// hold, and shows them as they are.
func TestMarkdownIdentifiers(t *testing.T) {
	name := "public.\"a\nb|c`d\""
	r := &Report{Verdict: VerdictNotReady, Findings: []ReportFinding{{Rule: "AR101", Name: "missing-primary-key", Severity: "error",
		Object: name, Table: name, Message: "public.\"a\nb|c`d\" has no key", Fix: "add one",
		FixSQL: "ALTER TABLE " + name + " ADD PRIMARY KEY (id);\n-- ```"}},
		Tables: []TableAdvice{{Table: name, Advice: AdviceKeepLocal}}}
	var b strings.Builder
	if err := WriteReport(&b, r, "markdown", nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	cells := func(line string) int { return strings.Count(strings.ReplaceAll(line, `\|`, ""), "|") }
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|---") {
			continue
		}
		want := cells(lines[i])
		for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			if got := cells(lines[j]); got != want {
				t.Errorf("table row with %d cell borders, header has %d: %q", got, want, lines[j])
			}
		}
	}
	if !strings.Contains(out, "<code>public.\"a<br>b&#124;c&#96;d\"</code>") {
		t.Errorf("identifier not shown as it is:\n%s", out)
	}
	if !strings.Contains(out, "````sql\n"+r.Findings[0].FixSQL+"\n````\n") {
		t.Errorf("fix SQL not fenced whole:\n%s", out)
	}
}

// The text report names a reason and its remedy once, with every check it
// stops (a missing pg_stat_statements stops a dozen), and says when the
// mesh size is the default rather than the planned one.
func TestTextSkippedOnce(t *testing.T) {
	const reason = "pg_stat_statements is not installed in database app"
	const fix = "CREATE EXTENSION pg_stat_statements in database app"
	r := &Report{Verdict: VerdictReady, Nodes: 3, NodesDefault: true, Skipped: []ReportSkipped{
		{Rule: "AR104", Name: "primary-key-update", Reason: reason, Fix: fix},
		{Rule: "AR204", Name: "setval-usage", Reason: reason, Fix: fix},
		{Rule: "AR905", Name: "multiple-databases", Reason: "offline input describes one database", Fix: "run assess --dsn"},
		{Evidence: "pg_stat_statements", Reason: "pg_stat_statements: " + reason, Fix: fix},
	}}
	r.Summary.Skipped = len(r.Skipped)
	var b strings.Builder
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, fix); n != 1 {
		t.Errorf("the remedy is printed %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "  "+reason+"\n      not checked: AR104 primary-key-update, AR204 setval-usage, evidence pg_stat_statements\n") ||
		!strings.Contains(out, "  AR905 multiple-databases: offline input describes one database\n") {
		t.Errorf("skipped checks not grouped by reason:\n%s", out)
	}
	if !strings.Contains(out, "mesh of 3 nodes assumed (--nodes N for yours)") {
		t.Errorf("the default mesh size is not said to be one:\n%s", out)
	}
	r.NodesDefault = false
	b.Reset()
	WriteReport(&b, r, "text", nil)
	if !strings.Contains(b.String(), "planned mesh of 3 nodes") {
		t.Errorf("a given mesh size:\n%s", b.String())
	}
}

// A finding whose severity differs from its rule's usual one says so, and
// shows under its own severity even when the rule has findings of several.
func TestTextSeverityDifference(t *testing.T) {
	r := &Report{Verdict: VerdictNotReady, Findings: []ReportFinding{
		{Rule: "AR101", Name: "missing-primary-key", Severity: "error", Object: "public.a", Message: "no key"},
		{Rule: "AR101", Name: "missing-primary-key", Severity: "warning", RuleSeverity: "error", Object: "public.b", Message: "identity index"},
	}}
	var b strings.Builder
	if err := WriteReport(&b, r, "text", nil); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	warn := strings.Index(out, "WARNINGS (1)")
	if warn < 0 || strings.Index(out, "public.b") < warn || strings.Index(out, "public.a") > warn {
		t.Errorf("findings not under their own severity:\n%s", out)
	}
	if !strings.Contains(out, "(warning here: the rule's usual severity is error; the evidence below makes these findings warning)") {
		t.Errorf("the difference from the rule's severity is not said:\n%s", out)
	}
}

// TestFilterKeepsTheAdvice: a baseline hides known findings from the list
// and the verdict, but the hazard is still there, so the per-table advice
// that recommend and bootstrap route by is unchanged (before, a baselined
// queue table read "writable anywhere"). What the config ignores is a
// judgement that the finding does not apply: it leaves the advice too.
func TestFilterKeepsTheAdvice(t *testing.T) {
	db := &inspect.Database{Tables: []*inspect.Table{
		{Schema: "public", Name: "jobs", Kind: inspect.RelTable},
		{Schema: "public", Name: "audit_log", Kind: inspect.RelTable},
	}}
	queue, ok := rules.Lookup("queue-table")
	if !ok {
		t.Fatal("no rule queue-table")
	}
	report := func() *Report {
		r := &Report{Findings: []ReportFinding{
			{Rule: queue.ID, Name: "queue-table", Severity: "warning", Table: "public.jobs", Fingerprint: "fp-jobs"},
			{Rule: queue.ID, Name: "queue-table", Severity: "warning", Table: "public.audit_log", Fingerprint: "fp-audit"},
		}}
		r.finish(db)
		return r
	}
	advice := func(r *Report) map[string]string {
		m := map[string]string{}
		for _, t := range r.Tables {
			m[t.Table] = t.Advice
		}
		return m
	}
	full := advice(report())
	if full["public.jobs"] != AdviceHome || full["public.audit_log"] != AdviceHome {
		t.Fatalf("unfiltered advice: %v", full)
	}

	r := report()
	r.Filter(db, nil, Baseline{"fp-audit": true, "fp-jobs": true})
	if len(r.Findings) != 0 || r.Hidden != 2 || r.Verdict != VerdictReady {
		t.Errorf("baseline: findings %d hidden %d verdict %s, want 0, 2, %s", len(r.Findings), r.Hidden, r.Verdict, VerdictReady)
	}
	if diff := cmp.Diff(full, advice(r)); diff != "" {
		t.Errorf("baseline changed the advice (-want +got):\n%s", diff)
	}

	r = report()
	r.Filter(db, &AssessConfig{Ignore: []Ignore{{Rule: "queue-table", Object: "public.audit_log"}}}, nil)
	got := advice(r)
	if got["public.jobs"] != AdviceHome || got["public.audit_log"] != AdviceAnywhere {
		t.Errorf("config ignore: advice %v, want jobs home-routed, audit_log anywhere", got)
	}
}
