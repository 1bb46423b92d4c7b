package decide

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
)

// Formats a recommendation can be written in.
var Formats = []string{"text", "json", "markdown"}

// Write renders the recommendation in format (text, json or markdown).
func (r *Recommendation) Write(w io.Writer, format string) error {
	switch format {
	case "text":
		return r.WriteText(w)
	case "markdown", "md":
		return r.WriteMarkdown(w)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write recommendation: %w", err)
		}
		return nil
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats, ", "))
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}

// WriteText renders the recommendation for a terminal (plain text).
func (r *Recommendation) WriteText(w io.Writer) error {
	e := &errWriter{w: w}
	e.printf("Recommendation: %s — %s (%s)\n", r.Design, r.Title, r.Family)
	e.printf("  %s\n", r.What)
	e.printf("  Engine: %s · HA: %s\n", engineLabel(r.Engine), strings.Join(r.HATooling, "; "))
	for _, c := range r.Also {
		e.printf("  Also: %s for %s\n", c.Design, c.For)
	}
	e.printf("  PACELC: on partition %s; else %s\n", r.PACELC.Partition, r.PACELC.Else)
	section := func(title string, n int) bool {
		if n == 0 {
			return false
		}
		e.printf("\n%s\n", title)
		return true
	}
	if section("Blockers", len(r.Blockers)) {
		for _, b := range r.Blockers {
			obj := ""
			if b.Object != "" {
				obj = " " + b.Object + ":"
			}
			e.printf("  ✗ [%s]%s %s\n", b.Gate, obj, b.Message)
			if b.Fix != "" {
				e.printf("      fix: %s\n", b.Fix)
			}
			if b.FixSQL != "" {
				e.printf("%s\n", indentSQL(b.FixSQL, "        "))
			}
		}
	}
	if section("Not met", len(r.Unmet)) {
		for _, s := range r.Unmet {
			e.printf("  ! %s\n", s)
		}
	}
	if section("Risks", len(r.Risks)) {
		for _, s := range r.Risks {
			e.printf("  ! %s\n", s)
		}
	}
	if section("Hard requirements", len(r.Requirements)) {
		for _, q := range r.Requirements {
			e.printf("  %s %s\n", reqMark(q.Met), q.Text)
			if q.Why != "" {
				e.printf("      %s\n", q.Why)
			}
		}
	}
	if section("Nothing meets every requirement: the designs compared", len(r.Compared)) {
		for _, c := range r.Compared {
			e.printf("  %s\n", compareLine(c))
		}
	}
	if section("Where the data lives", len(r.Copies)) {
		for _, c := range r.Copies {
			e.printf("  • %s\n", copyLine(c))
		}
	}
	if section(r.tablesTitle(), len(r.Tables)) {
		for _, t := range r.Tables {
			e.printf("  • %s\n", tableLine(t))
		}
	}
	if section("What drove it (your answers)", len(r.Drivers)) {
		for _, d := range r.Drivers {
			e.printf("  • %s = %s: %s\n", d.Question, d.Answer, d.Effect)
		}
	}
	if section("The arithmetic", len(r.Arithmetic)) {
		for _, c := range r.Arithmetic {
			e.printf("  • %s\n", c.Text)
		}
	}
	if section("Reasons", len(r.Reasons)) {
		for _, rs := range r.Reasons {
			mark := "✗ bad"
			if rs.Good {
				mark = "✓ good"
			}
			e.printf("  %s %s %s: \"%s\" %s\n", mark, rs.ID, rs.Title, rs.Quote, rs.Source)
			if rs.Note != "" {
				e.printf("      %s\n", rs.Note)
			}
			if rs.Instead != "" {
				e.printf("      instead: %s\n", rs.Instead)
			}
		}
	}
	if section("Alternatives rejected", len(r.Rejected)) {
		for _, rj := range r.Rejected {
			e.printf("  • %s: %s\n", rj.Design, rj.Why)
		}
	}
	if section("Do first", len(r.Advice)) {
		for _, s := range r.Advice {
			e.printf("  • %s\n", s)
		}
	}
	if len(r.EngineNotes) > 0 {
		e.printf("\nEngine notes\n")
		for _, s := range r.EngineNotes {
			e.printf("  • %s\n", s)
		}
	}
	if section("Costs to plan for", len(r.Costs)) {
		for _, c := range r.Costs {
			e.printf("  □ %s: %s %s\n", c.Title, c.Detail, c.Source)
		}
	}
	if section("Costs of active-active you avoid", len(r.Avoided)) {
		for _, c := range r.Avoided {
			e.printf("  · %s: %s %s\n", c.Title, c.Detail, c.Source)
		}
	}
	if section("Overridden thresholds", len(r.Thresholds)) {
		for _, t := range r.Thresholds {
			e.printf("  • %s = %s %s\n", t.Name, fmtNum(t.Value), t.Unit)
		}
	}
	if r.Verdict != "" {
		e.printf("\nAssessment verdict: %s\n", r.Verdict)
	}
	if section("Procedure", len(r.Steps)) {
		for _, s := range r.Steps {
			e.printf("  %-11s %s\n", s.Step, s.Outcome)
		}
	}
	e.printf("\nSources: docs/references.md ([R1] Percona part 1, [R2] part 2, …); numbers in docs/decision.md.\n")
	return e.err
}

// WriteMarkdown renders the recommendation as Markdown.
func (r *Recommendation) WriteMarkdown(w io.Writer) error {
	e := &errWriter{w: w}
	e.printf("# Recommendation: %s — %s\n\n", r.Design, r.Title)
	e.printf("Family: **%s**. %s\n\n", r.Family, r.What)
	e.printf("- Engine: %s\n- HA: %s\n", engineLabel(r.Engine), strings.Join(r.HATooling, "; "))
	for _, c := range r.Also {
		e.printf("- Also: **%s** for %s\n", c.Design, c.For)
	}
	e.printf("- PACELC: on partition %s; else %s\n", r.PACELC.Partition, r.PACELC.Else)
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		e.printf("\n## %s\n\n", title)
		for _, s := range items {
			e.printf("- %s\n", s)
		}
	}
	var bl []string
	for _, b := range r.Blockers {
		obj := ""
		if b.Object != "" {
			obj = " " + b.Object + ":"
		}
		s := fmt.Sprintf("**%s**%s %s", b.Gate, obj, b.Message)
		if b.Fix != "" {
			s += " Fix: " + b.Fix
		}
		s = strings.Join(strings.Fields(s), " ")
		if b.FixSQL != "" {
			// a fenced block inside the list item: the SQL copies back exactly
			s += "\n\n  ```sql\n" + indentSQL(b.FixSQL, "  ") + "\n  ```\n"
		}
		bl = append(bl, s)
	}
	list("Blockers", bl)
	list("Not met", r.Unmet)
	list("Risks", r.Risks)
	var rq []string
	for _, q := range r.Requirements {
		s := reqMark(q.Met) + " " + q.Text
		if q.Why != "" {
			s += ": " + q.Why
		}
		rq = append(rq, s)
	}
	list("Hard requirements", rq)
	var cmpl []string
	for _, c := range r.Compared {
		cmpl = append(cmpl, compareLine(c))
	}
	list("Nothing meets every requirement: the designs compared", cmpl)
	var cp []string
	for _, c := range r.Copies {
		cp = append(cp, copyLine(c))
	}
	list("Where the data lives", cp)
	var tl []string
	for _, t := range r.Tables {
		tl = append(tl, tableLine(t))
	}
	list(r.tablesTitle(), tl)
	var dr []string
	for _, d := range r.Drivers {
		dr = append(dr, fmt.Sprintf("`%s` = %s: %s", d.Question, d.Answer, d.Effect))
	}
	list("What drove it", dr)
	var ar []string
	for _, c := range r.Arithmetic {
		ar = append(ar, c.Text)
	}
	list("The arithmetic", ar)
	var rs []string
	for _, x := range r.Reasons {
		kind := "bad"
		if x.Good {
			kind = "good"
		}
		s := fmt.Sprintf("%s (%s) **%s**: > \"%s\" %s", x.ID, kind, x.Title, x.Quote, x.Source)
		if x.Note != "" {
			s += " — " + x.Note
		}
		if x.Instead != "" {
			s += " Instead: " + x.Instead
		}
		rs = append(rs, s)
	}
	list("Reasons", rs)
	var rj []string
	for _, x := range r.Rejected {
		rj = append(rj, fmt.Sprintf("**%s**: %s", x.Design, x.Why))
	}
	list("Alternatives rejected", rj)
	list("Do first", r.Advice)
	list("Engine notes", r.EngineNotes)
	if len(r.Costs) > 0 {
		e.printf("\n## Costs to plan for\n\n")
		for _, c := range r.Costs {
			e.printf("- [ ] **%s**: %s %s\n", c.Title, c.Detail, c.Source)
		}
	}
	if len(r.Avoided) > 0 {
		e.printf("\n## Costs of active-active you avoid\n\n")
		for _, c := range r.Avoided {
			e.printf("- **%s**: %s %s\n", c.Title, c.Detail, c.Source)
		}
	}
	if r.Verdict != "" {
		e.printf("\nAssessment verdict: **%s**\n", r.Verdict)
	}
	if len(r.Steps) > 0 {
		e.printf("\n## Procedure\n\n| Step | Outcome |\n|---|---|\n")
		for _, s := range r.Steps {
			e.printf("| %s | %s |\n", s.Step, strings.ReplaceAll(s.Outcome, "|", "\\|"))
		}
	}
	e.printf("\nSources: [docs/references.md](references.md); numbers in [docs/decision.md](decision.md).\n")
	return e.err
}

func reqMark(met bool) string {
	if met {
		return "✓"
	}
	return "✗"
}

// compareLine shows one design weighed against the hard requirements.
func compareLine(c DesignCheck) string {
	mark := " "
	if c.Chosen {
		mark = "▶"
	}
	s := fmt.Sprintf("%s %s — %s", mark, c.Design, DesignByID(c.Design).Title)
	if c.BudgetPct > 0 {
		s += fmt.Sprintf(" (a region loss uses %s of the budget left)", fmtPct(c.BudgetPct))
	}
	if len(c.Breaks) == 0 {
		return s + ": breaks nothing"
	}
	return s + ": breaks " + strings.Join(c.Breaks, "; ")
}

// copyLine says where one copy lives and what it holds.
func copyLine(c Copy) string {
	where := c.Region
	if where == "" {
		where = "(region unknown)"
	}
	return where + ": " + c.Label()
}

// tableLine says how one table may be written and why, in the evidence's words.
// tablesTitle heads the per-table write modes. Under a single primary
// every row is written on one node anyway: the modes are what a move to
// logical replication would need.
func (r *Recommendation) tablesTitle() string {
	if r.Family == SinglePrimary {
		return "Tables (write mode from the evidence; one primary writes every row, so these apply only to logical replication)"
	}
	return "Tables (write mode from the evidence)"
}

func tableLine(t TableMode) string {
	s := t.Table + ": " + t.Mode
	if t.Mode == ModeHome {
		if t.Home != "" {
			s += " (every write in " + t.Home + ")"
		} else {
			s += " (each row on its owner's home node)"
		}
	}
	if len(t.Why) > 0 {
		s += " — " + strings.Join(t.Why, "; ")
	}
	return s
}

func engineLabel(e string) string {
	switch e {
	case "physical":
		return "physical streaming replication"
	case "native":
		return "native logical replication"
	case "pglogical":
		return "pglogical"
	}
	return e
}

// FormatMinutes prints a duration in minutes as "52.6 min", "8.77 h" or "26.3 s".
func FormatMinutes(m float64) string { return fmtMin(m) }

// FormatSeconds prints a duration in seconds ("40 s").
func FormatSeconds(s float64) string { return fmtSec(s) }

// FormatCount prints how many whole events fit.
func FormatCount(v float64) string { return fmtCount(v) }

// indentSQL indents each line of sql by prefix, except the lines that
// continue a quoted name or value (an indent there would change it): the
// printed SQL copies back exactly.
func indentSQL(sql, prefix string) string {
	var b strings.Builder
	for i, l := range assess.SQLLines(strings.TrimRight(sql, "\n")) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if !l.Quoted {
			b.WriteString(prefix)
		}
		b.WriteString(l.Text)
	}
	return b.String()
}
