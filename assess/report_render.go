package assess

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/aadvisor/aadvisor/rules"
	"github.com/aadvisor/aadvisor/templates"
)

// Painter colours text for a terminal; the identity for plain output.
type Painter func(s string, style Style) string

// Style names what a piece of text is, for a Painter.
type Style int

const (
	StylePlain Style = iota
	StyleError
	StyleWarning
	StyleInfo
	StyleOK
	StyleBold
	StyleDim
)

// Plain is the Painter that adds nothing.
func Plain(s string, _ Style) string { return s }

// ReportFormats are the output formats of an assessment.
var ReportFormats = []string{"text", "json", "markdown", "sarif", "html"}

// WriteReport renders r in one of ReportFormats but html: the page draws
// the decision's views too, so package decide writes it (decide.RenderHTML,
// which the CLI calls for --format html).
func WriteReport(w io.Writer, r *Report, format string, paint Painter) error {
	switch format {
	case "text":
		return writeReportText(w, r, paint)
	case "json":
		return writeReportJSON(w, r)
	case "markdown":
		return templates.Render(w, "assess.md.tmpl", r)
	case "html":
		return errors.New("format html: the report page is written by package decide (decide.RenderHTML)")
	case "sarif":
		return writeSARIF(w, r)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(ReportFormats, ", "))
}

// writeReportJSON writes the report as JSON, one finding and one table at
// a time.
func writeReportJSON(w io.Writer, r *Report) error {
	head := *r
	var arrays []streamedArray
	if r.Findings != nil {
		head.Findings = []ReportFinding{}
		arrays = append(arrays, streamedArray{key: "findings", n: len(r.Findings), elem: func(i int) any { return &r.Findings[i] }})
	}
	if r.Tables != nil {
		head.Tables = []TableAdvice{}
		arrays = append(arrays, streamedArray{key: "tables", n: len(r.Tables), elem: func(i int) any { return &r.Tables[i] }})
	}
	return writeJSONStreamed(w, &head, arrays...)
}

// sevRank orders severities from least to most severe.
func sevRank(sev string) int {
	switch sev {
	case "error":
		return 2
	case "warning":
		return 1
	}
	return 0
}

func sevStyle(sev string) Style {
	switch sev {
	case "error":
		return StyleError
	case "warning":
		return StyleWarning
	}
	return StyleInfo
}

// manyObjects is the number of findings of one rule past which the text
// report shows the rule as a summary and one line per object.
const manyObjects = 50

func writeReportText(w io.Writer, r *Report, paint Painter) error {
	if paint == nil {
		paint = Plain
	}
	// Written as it is produced: the report of a big schema runs to
	// hundreds of megabytes.
	b := bufio.NewWriterSize(w, 64<<10)
	vs := StyleOK
	switch r.Verdict {
	case VerdictNotReady, VerdictIncomplete:
		vs = StyleError
	case VerdictReadyConditions:
		vs = StyleWarning
	}
	fmt.Fprintf(b, "Active-active readiness: %s\n", paint(r.Verdict, vs))
	fmt.Fprintf(b, "%s.\n", r.VerdictReason)
	mesh := fmt.Sprintf("planned mesh of %d nodes", r.Nodes)
	if r.NodesDefault {
		mesh = fmt.Sprintf("mesh of %d nodes assumed (--nodes N for yours)", r.Nodes)
	}
	fmt.Fprintf(b, "%s\n", paint(fmt.Sprintf("source: %s (%s), %d tables, %d workload statements, %s",
		r.Source.Name, r.Source.Kind, r.Source.Tables, r.Source.Statements, mesh), StyleDim))

	// Group by severity, then rule: one line per object. A rule whose
	// findings have several severities shows under each.
	type group struct {
		rule, name, sev, ruleSev, title string
		items                           []*ReportFinding // r.Findings' own: a copy each costs tens of megabytes
	}
	var groups []*group
	idx := map[[2]string]*group{}
	bySev := map[string]int{}
	for i := range r.Findings {
		f := &r.Findings[i]
		key := [2]string{f.Severity, f.Rule}
		g := idx[key]
		if g == nil {
			g = &group{rule: f.Rule, name: f.Name, sev: f.Severity, ruleSev: f.RuleSeverity, title: f.Title}
			idx[key] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, f)
		bySev[f.Severity]++
	}
	sort.SliceStable(groups, func(i, j int) bool { return sevRank(groups[i].sev) > sevRank(groups[j].sev) })
	// With a rule over many objects, a summary of every rule first.
	if slices.ContainsFunc(groups, func(g *group) bool { return len(g.items) > manyObjects }) {
		fmt.Fprintf(b, "\n%s\n", paint("FINDINGS BY RULE", StyleBold))
		width := 0
		for _, g := range groups {
			width = max(width, len(g.name))
		}
		for _, g := range groups {
			fmt.Fprintf(b, "  %s %-*s  %-7s %7d  %s\n", paint(g.rule, sevStyle(g.sev)), width, g.name, g.sev, len(g.items), paint(g.title, StyleDim))
		}
	}
	lastSev := ""
	for _, g := range groups {
		if g.sev != lastSev {
			fmt.Fprintf(b, "\n%s (%d)\n", paint(strings.ToUpper(g.sev)+"S", sevStyle(g.sev)), bySev[g.sev])
			lastSev = g.sev
		}
		fmt.Fprintf(b, "  %s %s  %s\n", paint(g.rule, sevStyle(g.sev)), paint(g.name, StyleBold), paint(g.title, StyleDim))
		if g.ruleSev != "" {
			fmt.Fprintf(b, "    %s\n", paint(fmt.Sprintf("(%s here: the rule's usual severity is %s; the evidence below makes these findings %s)", g.sev, g.ruleSev, g.sev), StyleDim))
		}
		many := len(g.items) > manyObjects
		if many {
			writeGroupSummary(b, g.items, paint)
		}
		for _, f := range g.items {
			loc := ""
			if f.Location != nil {
				loc = fmt.Sprintf(" (%s:%d)", f.Location.File, f.Location.Line)
			}
			fmt.Fprintf(b, "    %s%s: %s\n", f.Object, paint(loc, StyleDim), f.Message)
			if many {
				continue
			}
			if f.Fix != "" {
				fmt.Fprintf(b, "      %s %s\n", paint("fix:", StyleOK), f.Fix)
			}
			writeFixSQL(b, f.FixSQL, paint)
		}
	}
	if len(r.Findings) == 0 {
		b.WriteString("\nNo findings.\n")
	}
	if len(r.Tables) > 0 {
		b.WriteString("\n" + paint("PER-TABLE ADVICE", StyleBold) + "\n")
		width := 0
		for _, t := range r.Tables {
			width = max(width, len(t.Table))
		}
		for _, t := range r.Tables {
			st := StyleOK
			switch t.Advice {
			case AdviceKeepLocal:
				st = StyleError
			case AdviceHome:
				st = StyleWarning
			case AdviceInsertOnly:
				st = StyleInfo
			}
			why := ""
			if len(t.Reasons) > 0 {
				why = paint("  ("+strings.Join(t.Reasons, ", ")+")", StyleDim)
			}
			fmt.Fprintf(b, "  %-*s  %s%s\n", width, t.Table, paint(t.Advice, st), why)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(b, "\n%s (%d)\n", paint("NOT CHECKED", StyleBold), len(r.Skipped))
		// One entry per reason and remedy, naming the checks it stops: a
		// missing pg_stat_statements stops a dozen of them.
		for _, g := range skippedGroups(r.Skipped) {
			if len(g.what) == 1 {
				fmt.Fprintf(b, "  %s: %s\n", g.what[0], g.reason)
			} else {
				fmt.Fprintf(b, "  %s\n      %s %s\n", g.reason, paint("not checked:", StyleDim), strings.Join(g.what, ", "))
			}
			if g.fix != "" {
				fmt.Fprintf(b, "      %s %s\n", paint("enable:", StyleOK), g.fix)
			}
		}
	}
	if len(r.InputErrors) > 0 {
		fmt.Fprintf(b, "\n%s (%d)\n", paint("INPUT ERRORS", StyleError), len(r.InputErrors))
		for _, e := range r.InputErrors {
			fmt.Fprintf(b, "  %s\n", e.String())
		}
	}
	fmt.Fprintf(b, "\n%d error(s), %d warning(s), %d info, %d not checked", r.Summary.Errors, r.Summary.Warnings, r.Summary.Infos, r.Summary.Skipped)
	if r.Hidden > 0 {
		fmt.Fprintf(b, ", %d hidden by config or baseline", r.Hidden)
	}
	b.WriteString(". 'aadvisor explain RULE' tells more.\n")
	return b.Flush()
}

// writeGroupSummary heads the findings of a rule over many objects, which
// then take one line each: how many, the fix (once, when they share it),
// and the fix SQL of the first as an example.
func writeGroupSummary(b io.Writer, items []*ReportFinding, paint Painter) {
	first := items[0]
	fmt.Fprintf(b, "    %d objects, one line each below; every object's fix and SQL: --format json, markdown or html\n", len(items))
	same := !slices.ContainsFunc(items, func(f *ReportFinding) bool { return f.Fix != first.Fix })
	switch {
	case first.Fix == "":
	case same:
		fmt.Fprintf(b, "    %s %s\n", paint("fix:", StyleOK), first.Fix)
	default:
		fmt.Fprintf(b, "    %s %s\n", paint("fix, for "+first.Object+":", StyleOK), first.Fix)
	}
	if first.FixSQL != "" {
		fmt.Fprintf(b, "    %s\n", paint("fix SQL, for "+first.Object+":", StyleOK))
		writeFixSQL(b, first.FixSQL, paint)
	}
}

// writeFixSQL prints fix SQL indented, but for lines that go on inside a
// quoted name or value, which are printed as they are.
func writeFixSQL(b io.Writer, sql string, paint Painter) {
	if sql == "" {
		return
	}
	for _, l := range SQLLines(strings.TrimRight(sql, "\n")) {
		if l.Quoted {
			fmt.Fprintf(b, "%s\n", paint(l.Text, StyleDim))
		} else {
			fmt.Fprintf(b, "        %s\n", paint(l.Text, StyleDim))
		}
	}
}

// SARIF 2.1.0, the subset code-scanning tools read.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifText    `json:"shortDescription"`
	FullDescription      sarifText    `json:"fullDescription"`
	HelpURI              string       `json:"helpUri,omitempty"`
	DefaultConfiguration sarifDefault `json:"defaultConfiguration"`
}

type sarifDefault struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation *sarifPhysical `json:"physicalLocation,omitempty"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

func sarifLevel(sev string) string {
	switch sev {
	case "error":
		return "error"
	case "warning":
		return "warning"
	}
	return "note"
}

func writeSARIF(w io.Writer, r *Report) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "aadvisor", Version: strings.TrimPrefix(r.Tool, "aadvisor "),
		InformationURI: "https://github.com/aadvisor/aadvisor"}}, Results: []sarifResult{}}
	ruleIndex := map[string]int{}
	for _, rule := range rules.All() {
		ruleIndex[rule.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: rule.ID, Name: rule.Name,
			ShortDescription:     sarifText{rule.Title},
			FullDescription:      sarifText{firstParagraph(rule.Doc.Why)},
			HelpURI:              "https://github.com/aadvisor/aadvisor/blob/main/docs/rules/" + rules.DocFileName(rule),
			DefaultConfiguration: sarifDefault{sarifLevel(rule.Severity.String())},
		})
	}
	log := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	// The results, one at a time: the document holds the run's results at
	// depth 2 (log, runs[0]).
	return writeJSONStreamed(w, &log, streamedArray{depth: 2, key: "results", n: len(r.Findings), elem: func(i int) any {
		return sarifResultOf(r.Findings[i], ruleIndex)
	}})
}

// sarifResultOf is the SARIF result of a finding.
func sarifResultOf(f ReportFinding, ruleIndex map[string]int) sarifResult {
	msg := f.Message
	if f.Fix != "" {
		msg += " Fix: " + f.Fix
	}
	loc := sarifLocation{LogicalLocations: []sarifLogical{{Name: lastPart(f.Object), FullyQualifiedName: f.Object, Kind: sarifKind(f.ObjectKind)}}}
	if f.Location != nil {
		loc.PhysicalLocation = &sarifPhysical{ArtifactLocation: sarifArtifact{URI: f.Location.File}}
		if f.Location.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Location.Line, StartColumn: f.Location.Col}
		}
	}
	return sarifResult{RuleID: f.Rule, RuleIndex: ruleIndex[f.Rule], Level: sarifLevel(f.Severity),
		Message: sarifText{msg}, Locations: []sarifLocation{loc},
		PartialFingerprints: map[string]string{"aadvisor/v1": f.Fingerprint}}
}

// sarifKind maps our object kinds to SARIF logical location kinds.
func sarifKind(k string) string {
	switch k {
	case "function":
		return "function"
	case "statement":
		return "member"
	case "table", "view", "sequence", "index", "constraint", "trigger", "column":
		return "type"
	}
	return "module"
}

func lastPart(q string) string {
	if i := strings.LastIndexByte(q, '.'); i >= 0 {
		return q[i+1:]
	}
	return q
}

func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return strings.Join(strings.Fields(s), " ")
}

// SQLLine is one line of SQL text; Quoted says that it continues a quoted
// identifier, string or dollar-quoted body begun on an earlier line.
type SQLLine struct {
	Text   string
	Quoted bool
}

// SQLLines splits SQL into lines, marking the ones that continue a quote.
// The text report indents fix SQL but must leave those alone: an indent
// there would be part of the name or value, and copying the printed SQL
// would run something else than fix_sql ("a<newline>b" is one name).
func SQLLines(sql string) []SQLLine {
	var out []SQLLine
	var quote byte  // ', " or $ while inside one
	var escape bool // E'...': backslash escapes
	var tag string  // the $tag$ of a dollar quote
	start, quotedLine := 0, false
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case c == '\n':
			out = append(out, SQLLine{Text: sql[start:i], Quoted: quotedLine})
			start, quotedLine = i+1, quote != 0
		case quote == '$':
			if strings.HasPrefix(sql[i:], tag) {
				quote, i = 0, i+len(tag)-1
			}
		case quote != 0:
			switch {
			case escape && c == '\\':
				if i+1 < len(sql) && sql[i+1] != '\n' {
					i++
				}
			case c == quote && i+1 < len(sql) && sql[i+1] == quote:
				i++
			case c == quote:
				quote = 0
			}
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			for i+1 < len(sql) && sql[i+1] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			quote = c
			escape = c == '\'' && i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !sqlIdentByte(sql[i-2]))
		case c == '$' && (i == 0 || !sqlIdentByte(sql[i-1])):
			j := i + 1
			for j < len(sql) && (sqlIdentByte(sql[j]) && sql[j] != '$') && !(sql[j] >= '0' && sql[j] <= '9' && j == i+1) {
				j++
			}
			if j < len(sql) && sql[j] == '$' {
				quote, tag, i = '$', sql[i:j+1], j
			}
		}
	}
	return append(out, SQLLine{Text: sql[start:], Quoted: quotedLine})
}

func sqlIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// skippedGroup is the skipped checks that share a reason and a remedy.
type skippedGroup struct {
	reason, fix string
	what        []string // "AR104 primary-key-update", "evidence pg_stat_statements"
}

// skippedGroups groups skipped checks by reason and remedy, in the order
// of their first appearance.
func skippedGroups(skipped []ReportSkipped) []*skippedGroup {
	var out []*skippedGroup
	idx := map[[2]string]*skippedGroup{}
	for _, s := range skipped {
		what, reason := "evidence", s.Reason
		switch {
		case s.Rule != "":
			what = s.Rule + " " + s.Name
		case s.Evidence != "":
			what, reason = "evidence "+s.Evidence, strings.TrimPrefix(s.Reason, s.Evidence+": ")
		}
		key := [2]string{reason, s.Fix}
		g := idx[key]
		if g == nil {
			g = &skippedGroup{reason: reason, fix: s.Fix}
			idx[key] = g
			out = append(out, g)
		}
		g.what = append(g.what, what)
	}
	return out
}
