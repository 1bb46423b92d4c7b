// Package assess holds the audit: it runs the rules over a model, builds
// the report with its per-table advice, writes it (text, JSON, markdown,
// SARIF) and reads its JSON back, and reads the audit's config and
// baseline. It imports rules, inspect and templates; never cmd, replicate,
// the decision (assess/decide) or the forecast (assess/forecast). The
// report page (--format html) is drawn by assess/decide.
package assess

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
)

// ReportSchemaVersion is the version of the JSON shape of a Report.
const ReportSchemaVersion = 1

// Verdicts for active-active readiness.
const (
	VerdictReady           = "READY"
	VerdictReadyConditions = "READY WITH CONDITIONS"
	VerdictNotReady        = "NOT READY"
	// VerdictIncomplete is the verdict of a run whose input had errors:
	// what was not read may hold the hazard (or the fix) that decides.
	VerdictIncomplete = "INCOMPLETE"
)

// Per-table write advice.
const (
	AdviceAnywhere   = "writable anywhere"
	AdviceHome       = "home-routed writes only"
	AdviceKeepLocal  = "keep local (exclude)"
	AdviceInsertOnly = "insert-only"
)

// Report is the result of `aadvisor assess`: what it read, the verdict,
// the findings, what could not be checked, and per-table advice.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	Tool          string    `json:"tool"`
	Generated     time.Time `json:"generated"`
	Source        Source    `json:"source"`
	Nodes         int       `json:"nodes"`
	// NodesDefault says Nodes is the default, not the planned mesh's size
	// (no --nodes, no config).
	NodesDefault bool   `json:"nodes_default,omitempty"`
	Verdict      string `json:"verdict"`
	// VerdictReason says in one sentence why.
	VerdictReason string             `json:"verdict_reason"`
	Summary       Summary            `json:"summary"`
	Findings      []ReportFinding    `json:"findings"`
	Skipped       []ReportSkipped    `json:"skipped"`
	Tables        []TableAdvice      `json:"tables"`
	InputErrors   []ReportInputError `json:"input_errors,omitempty"`
	// Hidden counts findings hidden by the baseline or the config.
	Hidden int `json:"hidden,omitempty"`
}

// Source describes what was assessed. Name never holds a password.
type Source struct {
	Kind          string   `json:"kind"` // live, sql
	Name          string   `json:"name"`
	Files         []string `json:"files,omitempty"`
	ServerVersion int      `json:"server_version,omitempty"`
	Statements    int      `json:"statements"`
	Tables        int      `json:"tables"`
}

// Summary counts findings by severity.
type Summary struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Infos    int `json:"infos"`
	Skipped  int `json:"skipped"`
	RulesRun int `json:"rules_run"`
	// InputErrors counts the problems in the input that were stepped
	// over, and SkippedLines the lines of input they left unread.
	InputErrors  int `json:"input_errors,omitempty"`
	SkippedLines int `json:"skipped_lines,omitempty"`
}

// ReportFinding is one finding as reports show it.
type ReportFinding struct {
	Rule     string `json:"rule"`
	Name     string `json:"name"`
	Severity string `json:"severity"`
	// RuleSeverity is the rule's usual severity (as 'aadvisor rules' lists
	// it) when this finding's evidence made it lower or higher; empty when
	// they are the same.
	RuleSeverity string    `json:"rule_severity,omitempty"`
	Category     string    `json:"category"`
	Title        string    `json:"title"`
	Object       string    `json:"object"`
	ObjectKind   string    `json:"object_kind"`
	Table        string    `json:"table,omitempty"`
	Message      string    `json:"message"`
	Fix          string    `json:"fix,omitempty"`
	FixSQL       string    `json:"fix_sql,omitempty"`
	Engines      []string  `json:"engines,omitempty"`
	Location     *Location `json:"location,omitempty"`
	// Fingerprint identifies the finding across runs (for baselines).
	Fingerprint string `json:"fingerprint"`
	// Effect is what the finding means for how its table may be written
	// (rules.Effect: none, fix-first, insert-only, home-routed, local),
	// EffectWhy the evidence for it, and Related the other tables it
	// applies to (tables whose keys an id allocator hands out).
	Effect    string   `json:"effect,omitempty"`
	EffectWhy string   `json:"effect_why,omitempty"`
	Related   []string `json:"related_tables,omitempty"`
}

// Location is a place in an offline input file.
type Location struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// ReportSkipped is a rule or a kind of evidence that could not be checked.
type ReportSkipped struct {
	Rule string `json:"rule,omitempty"`
	Name string `json:"name,omitempty"`
	// Evidence names the missing evidence of an entry that is not a rule
	// (its Reason starts with it).
	Evidence string `json:"evidence,omitempty"`
	Reason   string `json:"reason"`
	Fix      string `json:"fix,omitempty"`
}

// ReportInputError is a problem in the input that was stepped over.
type ReportInputError struct {
	Location *Location `json:"location,omitempty"`
	Message  string    `json:"message"`
	// Skipped is the input left unread because of the error.
	Skipped *inspect.LineRange `json:"skipped,omitempty"`
}

// TableAdvice says how a table can be written in an active-active mesh.
type TableAdvice struct {
	Table   string   `json:"table"`
	Advice  string   `json:"advice"`
	Reasons []string `json:"reasons,omitempty"`
	Errors  int      `json:"errors"`
	Warns   int      `json:"warnings"`
	// Columns are the table's columns, in order: recommend reads from
	// them whether the table's rows carry the owner column (each row
	// then has one home under a write-partitioned design).
	Columns []string `json:"columns,omitempty"`
}

// BuildReport turns the rules' result over db into a report.
func BuildReport(db *inspect.Database, res rules.Result, cfg rules.Config, tool string, now time.Time) *Report {
	defaulted := cfg.Nodes <= 0
	if defaulted {
		cfg.Nodes = rules.DefaultNodes
	}
	r := &Report{
		SchemaVersion: ReportSchemaVersion,
		Tool:          tool,
		Generated:     now.UTC().Truncate(time.Second),
		Nodes:         cfg.Nodes,
		NodesDefault:  defaulted,
		Source: Source{Kind: string(db.Source.Kind), Name: inspect.Redact(db.Source.Name), Files: db.Source.Files,
			ServerVersion: db.ServerVersion, Statements: len(db.Statements)},
		Findings: make([]ReportFinding, 0, len(res.Findings)),
		Skipped:  []ReportSkipped{},
		Tables:   []TableAdvice{},
	}
	for _, t := range db.Tables {
		if t.IsTable() {
			r.Source.Tables++
		}
	}
	for _, f := range res.Findings {
		r.Findings = append(r.Findings, reportFinding(f))
	}
	for _, s := range res.Skipped {
		r.Skipped = append(r.Skipped, ReportSkipped{Rule: s.RuleID, Name: s.Name, Reason: s.Reason, Fix: s.Fix})
	}
	for _, s := range db.Skipped {
		r.Skipped = append(r.Skipped, ReportSkipped{Evidence: s.Evidence, Reason: fmt.Sprintf("%s: %s", s.Evidence, s.Reason), Fix: s.Fix})
	}
	for _, e := range db.Errors {
		r.InputErrors = append(r.InputErrors, ReportInputError{Location: location(e.Pos), Message: e.Message, Skipped: e.Skipped})
	}
	r.Summary.RulesRun = res.RulesRun
	r.finish(db)
	return r
}

func reportFinding(f rules.Finding) ReportFinding {
	title, ruleSev := "", ""
	rule, ok := rules.Lookup(f.RuleID)
	if ok {
		title = rule.Title
		if rule.Severity != f.Severity {
			ruleSev = rule.Severity.String()
		}
	}
	return ReportFinding{
		Rule: f.RuleID, Name: f.Name, Severity: f.Severity.String(), RuleSeverity: ruleSev, Category: string(f.Category), Title: title,
		Object: f.Object, ObjectKind: f.ObjectKind, Table: f.Table, Message: f.Message, Fix: f.Fix, FixSQL: f.FixSQL,
		Engines: f.Engines, Location: location(f.Pos), Fingerprint: f.RuleID + "|" + f.Object + "|" + f.Table,
		Effect: string(f.TableEffect(rule)), EffectWhy: f.EffectWhy, Related: f.Related,
	}
}

func location(p inspect.Position) *Location {
	if p.IsZero() {
		return nil
	}
	return &Location{File: p.File, Line: p.Line, Col: p.Col}
}

// finish recomputes the summary, the verdict and the table advice from
// the findings (after filtering by config or baseline).
func (r *Report) finish(db *inspect.Database) {
	r.Summary.Errors, r.Summary.Warnings, r.Summary.Infos = 0, 0, 0
	for _, f := range r.Findings {
		switch f.Severity {
		case "error":
			r.Summary.Errors++
		case "warning":
			r.Summary.Warnings++
		default:
			r.Summary.Infos++
		}
	}
	r.Summary.Skipped = len(r.Skipped)
	switch {
	case r.Summary.Errors > 0:
		r.Verdict = VerdictNotReady
		r.VerdictReason = fmt.Sprintf("%d error(s): replication would stop or lose data until they are fixed", r.Summary.Errors)
	case r.Summary.Warnings > 0:
		r.Verdict = VerdictReadyConditions
		r.VerdictReason = fmt.Sprintf("no blocking errors; %d warning(s) need a design decision (routing, keys, exclusions)", r.Summary.Warnings)
	default:
		r.Verdict = VerdictReady
		r.VerdictReason = "no errors or warnings on the evidence available"
	}
	if r.Summary.Skipped > 0 && r.Verdict != VerdictNotReady {
		r.VerdictReason += fmt.Sprintf("; %d check(s) could not run, see skipped", r.Summary.Skipped)
	}
	r.Summary.InputErrors, r.Summary.SkippedLines = len(r.InputErrors), 0
	for _, e := range r.InputErrors {
		if e.Skipped != nil {
			r.Summary.SkippedLines += e.Skipped.Lines()
		}
	}
	if r.Summary.InputErrors > 0 {
		// Never READY on part of the input: what was not read may hold
		// the hazard, or the fix, that decides.
		lost := "no statement"
		if r.Summary.SkippedLines > 0 {
			lost = fmt.Sprintf("%d line(s)", r.Summary.SkippedLines)
		}
		r.Verdict = VerdictIncomplete
		r.VerdictReason = fmt.Sprintf("assessment incomplete: %d input error(s), %s of input not read (see input errors); on what was read: %d error(s), %d warning(s)",
			r.Summary.InputErrors, lost, r.Summary.Errors, r.Summary.Warnings)
	}
	if db != nil {
		r.Tables = tableAdvice(db, r.Findings)
	}
}

// adviceRank orders advice from most to least restrictive.
var adviceRank = map[string]int{AdviceKeepLocal: 3, AdviceHome: 2, AdviceInsertOnly: 1, AdviceAnywhere: 0}

// effectAdvice is the advice each effect of a finding imposes on its
// table. What a rule's findings mean for their table is the rule's
// (rules.Rule.Effect, on its page), not decided here.
var effectAdvice = map[rules.Effect]string{
	rules.EffectFixFirst:   AdviceAnywhere,
	rules.EffectInsertOnly: AdviceInsertOnly,
	rules.EffectHome:       AdviceHome,
	rules.EffectLocal:      AdviceKeepLocal,
}

// findingEffect is the effect a report finding has on its table: the one
// it carries, or (for reports written before findings carried it) its
// rule's.
func findingEffect(f ReportFinding) rules.Effect {
	if f.Effect != "" {
		return rules.Effect(f.Effect)
	}
	if r, ok := rules.Lookup(f.Rule); ok {
		return r.Effect
	}
	if r, ok := rules.Lookup(f.Name); ok {
		return r.Effect
	}
	return ""
}

func tableAdvice(db *inspect.Database, fs []ReportFinding) []TableAdvice {
	byTable := make(map[string]*TableAdvice, len(db.Tables))
	order := make([]string, 0, len(db.Tables))
	for _, t := range db.Tables {
		if !t.IsTable() || inspect.SystemSchema(t.Schema) || t.PartitionOf != "" {
			continue
		}
		q := t.QualifiedName()
		ta := &TableAdvice{Table: q, Advice: AdviceAnywhere}
		for _, c := range t.Columns {
			ta.Columns = append(ta.Columns, c.Name)
		}
		byTable[q] = ta
		order = append(order, q)
	}
	apply := func(ta *TableAdvice, f ReportFinding, eff rules.Effect) {
		adv, ok := effectAdvice[eff]
		if !ok {
			return // no effect on where the table may be written
		}
		reason := f.Name
		if f.EffectWhy != "" {
			reason += " (" + f.EffectWhy + ")"
		}
		if eff == rules.EffectFixFirst {
			// Fixed once for all nodes (a sequence, a key type): the advice
			// holds after the fix, which the reasons say.
			reason = "fix first: " + reason
		}
		if !slices.Contains(ta.Reasons, reason) {
			ta.Reasons = append(ta.Reasons, reason)
		}
		if adviceRank[adv] > adviceRank[ta.Advice] {
			ta.Advice = adv
		}
	}
	for _, f := range fs {
		ta := byTable[f.Table]
		if ta == nil {
			continue
		}
		switch f.Severity {
		case "error":
			ta.Errors++
		case "warning":
			ta.Warns++
		}
		if f.Severity == "info" {
			continue
		}
		eff := findingEffect(f)
		apply(ta, f, eff)
		for _, rel := range f.Related {
			if rt := byTable[rel]; rt != nil {
				apply(rt, f, eff)
			}
		}
	}
	out := make([]TableAdvice, 0, len(order))
	sort.Strings(order)
	for _, q := range order {
		out = append(out, *byTable[q])
	}
	return out
}

// AtOrAbove counts findings at or above a severity.
func (r *Report) AtOrAbove(sev rules.Severity) int {
	n := 0
	for _, f := range r.Findings {
		s, err := rules.ParseSeverity(f.Severity)
		if err == nil && s >= sev {
			n++
		}
	}
	return n
}

// String is the error as one line: place, message and what it cost.
func (e ReportInputError) String() string {
	s := e.Message
	if e.Location != nil {
		s = fmt.Sprintf("%s:%d:%d: %s", e.Location.File, e.Location.Line, e.Location.Col, s)
	}
	if e.Skipped != nil {
		s += fmt.Sprintf(" (%s not read)", e.Skipped)
	}
	return s
}
