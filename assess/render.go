package assess

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
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
				obj = " " + b.Object
			}
			e.printf("  ✗ [%s]%s %s\n", b.Gate, obj, b.Message)
			if b.Fix != "" {
				e.printf("      fix: %s\n", b.Fix)
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
	if section("Cheaper alternatives rejected", len(r.Rejected)) {
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
	e.printf("\nSources: research/decision.md §7 ([R1] Percona part 1, [R2] part 2, …); numbers in docs/decision.md.\n")
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
		s := fmt.Sprintf("**%s** %s %s", b.Gate, b.Object, b.Message)
		if b.Fix != "" {
			s += " Fix: " + b.Fix
		}
		bl = append(bl, strings.Join(strings.Fields(s), " "))
	}
	list("Blockers", bl)
	list("Not met", r.Unmet)
	list("Risks", r.Risks)
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
	list("Cheaper alternatives rejected", rj)
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
	return e.err
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

// FormatCount prints how many events fit (whole from 10 up, one decimal below).
func FormatCount(v float64) string { return fmtCount(v) }
