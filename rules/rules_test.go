package rules_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
)

var (
	idRE   = regexp.MustCompile(`^AR[1-9][0-9]{2}$`)
	nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// categoryOf maps ID families to categories.
func categoryOf(id string) rules.Category {
	switch {
	case strings.HasPrefix(id, "AR99"):
		return rules.CategoryEvidence
	case strings.HasPrefix(id, "AR9"):
		return rules.CategoryServer
	}
	return map[byte]rules.Category{
		'1': rules.CategoryKeys, '2': rules.CategorySequences, '3': rules.CategoryConstraints,
		'4': rules.CategoryReplicationScope, '5': rules.CategoryTriggers, '6': rules.CategoryWorkload,
	}[id[2]]
}

func TestCatalogue(t *testing.T) {
	ids, names := map[string]bool{}, map[string]bool{}
	prev := ""
	for _, r := range rules.All() {
		if !idRE.MatchString(r.ID) {
			t.Errorf("%s: ID not of the form AR123", r.ID)
		}
		if !nameRE.MatchString(r.Name) {
			t.Errorf("%s: name %q is not kebab-case", r.ID, r.Name)
		}
		if ids[r.ID] || names[r.Name] {
			t.Errorf("%s %s: duplicate ID or name", r.ID, r.Name)
		}
		ids[r.ID], names[r.Name] = true, true
		if r.ID <= prev {
			t.Errorf("%s: All() is not in ID order (after %s)", r.ID, prev)
		}
		prev = r.ID
		if r.Title == "" || strings.HasSuffix(r.Title, ".") || strings.Contains(r.Title, "\n") {
			t.Errorf("%s: title %q must be one line without a final period", r.ID, r.Title)
		}
		if r.Severity < rules.Info || r.Severity > rules.Error {
			t.Errorf("%s: bad severity %d", r.ID, r.Severity)
		}
		if want := categoryOf(r.ID); r.Category != want {
			t.Errorf("%s: category %q, want %q for its ID family", r.ID, r.Category, want)
		}
		if len(r.Engines) == 0 {
			t.Errorf("%s: no engines", r.ID)
		}
		for _, e := range r.Engines {
			if !slices.Contains(rules.AllEngines, e) {
				t.Errorf("%s: unknown engine %q", r.ID, e)
			}
		}
		for e := range r.Doc.Engines {
			if !slices.Contains(rules.AllEngines, e) {
				t.Errorf("%s: doc for unknown engine %q", r.ID, e)
			}
		}
		if strings.TrimSpace(r.Doc.Why) == "" || strings.TrimSpace(r.Doc.Detection) == "" || strings.TrimSpace(r.Doc.Fix) == "" {
			t.Errorf("%s: Doc needs Why, Detection and Fix", r.ID)
		}
		if len(r.Doc.References) == 0 {
			t.Errorf("%s: Doc has no references", r.ID)
		}
		if r.Check == nil {
			t.Errorf("%s: no Check", r.ID)
		}
		file := strings.ToLower(r.ID) + "_" + strings.ReplaceAll(r.Name, "-", "_") + ".go"
		if _, err := os.Stat(file); err != nil {
			t.Errorf("%s: want the rule in its own file %s: %v", r.ID, file, err)
		}
	}
}

// TestDocsUpToDate fails when docs/rules differs from the rule
// definitions. Fix with: go generate ./rules
func TestDocsUpToDate(t *testing.T) {
	dir := filepath.Join("..", "docs", "rules")
	want := rules.DocFiles(rules.All())
	for name, text := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%v; run go generate ./rules", err)
			continue
		}
		if string(got) != text {
			t.Errorf("docs/rules/%s is stale; run go generate ./rules", name)
		}
	}
	pages, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		if _, ok := want[filepath.Base(p)]; !ok {
			t.Errorf("docs/rules/%s belongs to no rule; run go generate ./rules", filepath.Base(p))
		}
	}
}

func TestMarkdown(t *testing.T) {
	r, ok := rules.Lookup("AR201")
	if !ok {
		t.Fatal("AR201 not found")
	}
	md := rules.Markdown(r)
	for _, want := range []string{"# AR201 sequence-key", "| Severity | error |", "## Why it breaks under multi-primary", "## Fix", "```sql", "## References"} {
		if !strings.Contains(md, want) {
			t.Errorf("Markdown(AR201) lacks %q", want)
		}
	}
}

func TestSeverity(t *testing.T) {
	for _, s := range []rules.Severity{rules.Info, rules.Warning, rules.Error} {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != `"`+s.String()+`"` {
			t.Errorf("Marshal(%v) = %s", s, b)
		}
		var back rules.Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("Unmarshal(%s) = %v, %v", b, back, err)
		}
	}
	if !(rules.Info < rules.Warning && rules.Warning < rules.Error) {
		t.Error("severities are not ordered")
	}
	tests := []struct {
		in      string
		want    rules.Severity
		wantErr bool
	}{
		{"info", rules.Info, false}, {"WARNING", rules.Warning, false}, {"warn", rules.Warning, false},
		{" error ", rules.Error, false}, {"fatal", 0, true}, {"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := rules.ParseSeverity(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseSeverity(%q) = %v, %v", tt.in, got, err)
			}
		})
	}
	var s rules.Severity
	if err := json.Unmarshal([]byte(`"loud"`), &s); err == nil {
		t.Error("Unmarshal accepted an unknown severity")
	}
	if _, err := json.Marshal(rules.Severity(0)); err == nil {
		t.Error("Marshal accepted the unset severity")
	}
}

func TestLookup(t *testing.T) {
	for _, q := range []string{"AR101", "ar101", "missing-primary-key", "Missing-Primary-Key"} {
		r, ok := rules.Lookup(q)
		if !ok || r.ID != "AR101" {
			t.Errorf("Lookup(%q) = %v, %v", q, r, ok)
		}
	}
	if _, ok := rules.Lookup("AR000"); ok {
		t.Error("Lookup(AR000) found a rule")
	}
}

func TestFilter(t *testing.T) {
	all := rules.All()
	got, err := rules.Filter(all, []string{"ar101", "sequence-key", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all)-2 {
		t.Errorf("Filter kept %d of %d rules, want %d", len(got), len(all), len(all)-2)
	}
	for _, r := range got {
		if r.ID == "AR101" || r.ID == "AR201" {
			t.Errorf("Filter kept %s", r.ID)
		}
	}
	if _, err := rules.Filter(all, []string{"AR101", "no-such-rule"}); err == nil || !strings.Contains(err.Error(), "no-such-rule") {
		t.Errorf("Filter with an unknown rule: err = %v", err)
	}
}

func TestRun(t *testing.T) {
	db := &inspect.Database{Source: inspect.SourceInfo{Kind: inspect.SourceSQL}}
	reporter := &rules.Rule{ID: "AR991", Name: "a", Severity: rules.Warning, Category: rules.CategoryEvidence, Engines: []string{"native"},
		Check: func(p *rules.Pass) {
			p.Report(rules.Finding{Object: "b", Message: "second"})
			p.Report(rules.Finding{Object: "a", Message: "first"})
			p.Report(rules.Finding{Object: "z", Message: "error", Severity: rules.Error})
		}}
	needy := &rules.Rule{ID: "AR992", Name: "b", Severity: rules.Error, Needs: []string{inspect.EvidenceSettings},
		Check: func(p *rules.Pass) { p.Report(rules.Finding{Object: "x"}) }}
	panicky := &rules.Rule{ID: "AR993", Name: "c", Severity: rules.Error,
		Check: func(p *rules.Pass) {
			p.Report(rules.Finding{Object: "half"})
			var tb *inspect.Table
			_ = tb.Name
		}}
	// The panicking rule runs after one that reported: only its own findings go.
	res := rules.Run(db, rules.Config{}, []*rules.Rule{reporter, panicky, needy})
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Severity.String()+" "+f.RuleID+" "+f.Name+" "+string(f.Category)+" "+f.Object+" "+strings.Join(f.Engines, ","))
	}
	want := []string{
		"error AR991 a evidence z native",
		"warning AR991 a evidence a native",
		"warning AR991 a evidence b native",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if res.RulesRun != 1 {
		t.Errorf("RulesRun = %d, want 1", res.RulesRun)
	}
	if len(res.Skipped) != 2 {
		t.Fatalf("Skipped = %+v, want 2", res.Skipped)
	}
	if s := res.Skipped[0]; s.RuleID != "AR993" || !strings.Contains(s.Reason, "internal error") {
		t.Errorf("panicking rule: %+v", s)
	}
	if s := res.Skipped[1]; s.RuleID != "AR992" || s.Reason != "offline input has no server settings; run assess --dsn" || s.Fix == "" {
		t.Errorf("rule without settings: %+v", s)
	}
}

// TestRunNilDatabase runs every rule over an empty model: nothing may
// panic, and every rule either runs or says why it was skipped.
func TestRunEmptyDatabase(t *testing.T) {
	for _, db := range []*inspect.Database{nil, {}, {Source: inspect.SourceInfo{Kind: inspect.SourceSQL}, LargeObjects: -1}} {
		res := rules.Run(db, rules.Config{}, rules.All())
		for _, s := range res.Skipped {
			if strings.Contains(s.Reason, "internal error") {
				t.Errorf("%s panicked: %s", s.RuleID, s.Reason)
			}
			if s.Reason == "" || s.Fix == "" {
				t.Errorf("%s skipped without reason or fix: %+v", s.RuleID, s)
			}
		}
		if res.RulesRun+len(res.Skipped) != len(rules.All()) {
			t.Errorf("ran %d and skipped %d of %d rules", res.RulesRun, len(res.Skipped), len(rules.All()))
		}
	}
}

func TestRuleJSON(t *testing.T) {
	b, err := json.Marshal(rules.All())
	if err != nil {
		t.Fatalf("marshal the catalogue: %v", err)
	}
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rules.All()) || back[0]["id"] != "AR101" || back[0]["severity"] != "error" {
		t.Errorf("catalogue JSON starts with %v", back[0])
	}
}

// TestRunOddModel feeds the rules a model with dangling references and
// odd values, as a partial or hand-edited input may have: no rule may
// panic.
func TestRunOddModel(t *testing.T) {
	odd := &inspect.Table{Schema: "", Name: "", Kind: inspect.RelPartitioned, PartitionOf: "nowhere.parent", PartitionKey: "RANGE (",
		ReplicaIdentity: inspect.IdentityIndex, ReplicaIdentityIndex: "missing", ToastBytes: -5,
		Columns: []*inspect.Column{{Name: "a", Type: "", Default: "nextval(", Identity: "always"}, {Name: "b", Default: `"`, Generated: "virtual"}},
		Indexes: []*inspect.Index{{Name: "i", Columns: []string{"ghost"}, Unique: true, Valid: true}, {Name: "p", Primary: true, Valid: true}},
		Constraints: []*inspect.Constraint{
			{Name: "fk", Type: inspect.ForeignKey, Columns: []string{"a", "b"}, RefTable: "", RefColumns: []string{"x"}, OnDelete: inspect.FKCascade},
			{Name: "c", Type: inspect.Check, Expression: "now( ("},
			{Name: "u", Type: inspect.Unique, Deferrable: true},
		},
		Triggers: []*inspect.Trigger{{Name: "t", Enabled: "", Function: ""}, {Name: "t2", Enabled: inspect.TriggerAlways, Function: "(("}},
		Rules:    []*inspect.Rule{{Name: "r"}},
		Options:  []string{"autovacuum_freeze_min_age", "autovacuum_freeze_min_age=abc"},
		Stats:    &inspect.TableStats{Inserts: -1, Updates: 1 << 62, LiveTup: -3},
	}
	db := &inspect.Database{
		Source:       inspect.SourceInfo{Kind: inspect.SourceLive},
		LargeObjects: -1,
		Tables:       []*inspect.Table{odd, {Name: "plain", Kind: inspect.RelTable, Inherits: []string{""}}},
		Sequences:    []*inspect.Sequence{{Name: "s", Type: "integer", Increment: -1 << 63, OwnedBy: "..."}},
		Functions:    []*inspect.Function{{Name: ""}, {Name: "f", Config: []string{""}}},
		Settings: map[string]inspect.Setting{"max_replication_slots": {Value: "lots"}, "vacuum_freeze_min_age": {Value: "-1"},
			"idle_in_transaction_session_timeout": {Value: ""}},
		ReplicationSlots: []inspect.ReplicationSlot{{Name: "", Active: false, RetainedBytes: -1}},
		Statements: []*inspect.Statement{
			{Query: "", Calls: -1, Rows: 5, Facts: &inspect.StatementFacts{
				Writes:     []inspect.TableWrite{{Op: inspect.StmtInsert, OnConflict: &inspect.OnConflict{Constraint: "nope"}, Increments: []string{""}, SetColumns: []string{"a"}}},
				MaxPlusOne: []string{"x", "", "a.b.c.d"}, Setval: []string{""}, RowLock: "for update", LockTables: []inspect.TableRef{{}},
			}},
			{Query: "broken", ParseError: "syntax error"},
		},
		Workload: inspect.WorkloadInfo{StatementsSource: "pg_stat_statements", StatsReset: time.Now(), CollectedAt: time.Now().Add(-time.Hour)},
	}
	for _, cfg := range []rules.Config{{}, {Nodes: 1}, {Nodes: 40}, {Nodes: -3, TargetVersion: 180000}} {
		res := rules.Run(db, cfg, rules.All())
		for _, s := range res.Skipped {
			if strings.Contains(s.Reason, "internal error") {
				t.Errorf("config %+v: %s panicked: %s", cfg, s.RuleID, s.Reason)
			}
		}
	}
}
