// Package rules audits an inspect.Database for the hazards of
// active-active (multi-primary) PostgreSQL: tables without keys, local
// sequences, secondary unique keys, objects logical replication does not
// carry, trigger firing modes, hot rows, node-local locks and server
// settings.
//
// Every rule is a value of type Rule with a stable ID ("AR101"), a
// kebab-case name, a default severity, the engines it affects and its
// documentation. A rule sees the model through a Pass and reports through
// it; rules are pure functions of the model and never do I/O. When the
// evidence a rule needs is missing (no pg_stat_statements, offline input
// without settings) the rule is skipped with the reason and the fix, never
// passed silently.
//
// The docs in docs/rules are generated from the Doc records
// (go generate ./rules) and a test fails when they are stale.
//
// It imports inspect only: never a reader, assess, replicate or cmd.
package rules

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/aadvisor/aadvisor/inspect"
)

// Severity of a finding. The zero value means "not set" and is replaced by
// the rule's default when a finding is reported.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalJSON writes the severity as its name.
func (s Severity) MarshalJSON() ([]byte, error) {
	switch s {
	case Info, Warning, Error:
		return json.Marshal(s.String())
	}
	return nil, fmt.Errorf("marshal severity: unknown severity %d", int(s))
}

// UnmarshalJSON reads a severity name.
func (s *Severity) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("unmarshal severity: %w", err)
	}
	v, err := ParseSeverity(str)
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads "info", "warning" (or "warn") or "error", in any case.
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "info":
		return Info, nil
	case "warning", "warn":
		return Warning, nil
	case "error":
		return Error, nil
	}
	return 0, fmt.Errorf("parse severity: unknown severity %q (want info, warning or error)", s)
}

// Category groups rules by what they look at.
type Category string

const (
	CategoryKeys             Category = "keys"
	CategorySequences        Category = "sequences"
	CategoryConstraints      Category = "constraints"
	CategoryReplicationScope Category = "replication-scope"
	CategoryTriggers         Category = "triggers"
	CategoryWorkload         Category = "workload"
	CategoryServer           Category = "server"
	CategoryEvidence         Category = "evidence"
)

// Engines a rule can affect.
const (
	EngineNative    = "native"
	EnginePglogical = "pglogical"
	EnginePgactive  = "pgactive"
	EngineSpock     = "spock"
	EnginePGD       = "pgd"
)

// AllEngines lists the engines in the order docs and reports use.
var AllEngines = []string{EngineNative, EnginePglogical, EnginePgactive, EngineSpock, EnginePGD}

// Doc is the documentation of a rule, in Markdown. It is the single source
// of docs/rules/<ID>-<name>.md and of `aadvisor explain`.
type Doc struct {
	// Why says what breaks under multi-primary replication.
	Why string `json:"why"`
	// Engines says, per engine, what that engine does about it.
	Engines map[string]string `json:"engines,omitempty"`
	// Detection says what evidence the rule reads and the thresholds.
	Detection string `json:"detection"`
	// Fix says how to fix it, with SQL.
	Fix string `json:"fix"`
	// Example is SQL that triggers the rule (optional).
	Example string `json:"example,omitempty"`
	// References are engine docs and threads, as "owner/repo:path" or URLs.
	References []string `json:"references,omitempty"`
}

// Effect is what a finding means for how its table may be written in an
// active-active mesh. assess turns the effects of a table's findings into
// the table's write advice, the most restrictive winning.
type Effect string

const (
	// EffectNone: worth knowing, but it does not change where the table
	// may be written.
	EffectNone Effect = "none"
	// EffectFixFirst: fixed once, for every node; after the fix the table
	// is writable on any node.
	EffectFixFirst Effect = "fix-first"
	// EffectInsertOnly: only INSERTs replicate; the table is insert-only.
	EffectInsertOnly Effect = "insert-only"
	// EffectHome: every write of a row goes to that row's home node.
	EffectHome Effect = "home-routed"
	// EffectLocal: node-local data (sessions, caches, leases) that stays
	// out of replication.
	EffectLocal Effect = "local"
)

// Effects lists the effects from least to most restrictive.
var Effects = []Effect{EffectNone, EffectFixFirst, EffectInsertOnly, EffectHome, EffectLocal}

// Describe says in a sentence what the effect means for the table, as
// the rules' pages print it.
func (e Effect) Describe() string {
	switch e {
	case EffectNone:
		return "Worth knowing: a finding does not change where its table may be written."
	case EffectFixFirst:
		return "Fix once, for every node: after the fix the table is writable on any node (advice \"writable anywhere\", reason \"fix first\")."
	case EffectInsertOnly:
		return "Only INSERTs of the table replicate: it is insert-only (advice \"insert-only\")."
	case EffectHome:
		return "Every write of a row goes to that row's home node (advice \"home-routed writes only\")."
	case EffectLocal:
		return "The table holds node-local data and stays out of replication (advice \"keep local (exclude)\")."
	}
	return string(e)
}

// Rule is one check.
type Rule struct {
	// ID is stable and never reused: "AR101".
	ID string `json:"id"`
	// Name is the kebab-case alias: "missing-primary-key".
	Name string `json:"name"`
	// Title is one line without a final period.
	Title    string   `json:"title"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	// Engines are the engines the hazard affects.
	Engines []string `json:"engines"`
	// Needs are the evidence kinds (inspect.Evidence* constants) without
	// which the rule is skipped before it runs.
	Needs []string `json:"needs,omitempty"`
	Doc   Doc      `json:"doc"`
	// Effect is what the rule's findings mean for how their table may be
	// written (per-table advice); empty only for rules whose findings
	// never name a table. It is documented on the rule's page.
	Effect Effect `json:"effect,omitempty"`
	// EffectNote says when a finding has another effect than Effect
	// (Finding.Effect), and on what evidence.
	EffectNote string `json:"effect_note,omitempty"`
	// Check runs the rule; it is not serialized.
	Check func(*Pass) `json:"-"`
}

// Config tunes the rules to the planned deployment.
type Config struct {
	// Nodes is the size of the planned mesh; 0 means 3.
	Nodes int `json:"nodes,omitempty" yaml:"nodes,omitempty"`
	// TargetVersion is the server_version_num of the target servers; 0
	// means the version of the inspected database.
	TargetVersion int `json:"target_version,omitempty" yaml:"target_version,omitempty"`
}

// DefaultNodes is the mesh size assumed when Config.Nodes is 0.
const DefaultNodes = 3

func (c Config) withDefaults() Config {
	if c.Nodes <= 0 {
		c.Nodes = DefaultNodes
	}
	return c
}

// Finding is one hazard on one object.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Name     string   `json:"name"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	// Object is the schema-qualified object: "public.orders",
	// "public.orders.id", "setting wal_level", "statement queryid=42"
	// (or "statement queries.sql:12", or just "statement").
	Object string `json:"object"`
	// ObjectKind: table, column, index, constraint, sequence, trigger,
	// function, setting, statement, database, slot, extension, ...
	ObjectKind string `json:"object_kind"`
	// Table is the schema-qualified table the finding concerns, if any.
	Table string `json:"table,omitempty"`
	// Message holds the concrete evidence.
	Message string `json:"message"`
	// Fix is an imperative sentence.
	Fix string `json:"fix,omitempty"`
	// FixSQL is SQL that applies the fix, when there is one.
	FixSQL  string           `json:"fix_sql,omitempty"`
	Engines []string         `json:"engines,omitempty"`
	Pos     inspect.Position `json:"pos,omitzero"`
	// Effect is the finding's effect on its table when it is not the
	// rule's (the rule's EffectNote says when).
	Effect Effect `json:"effect,omitempty"`
	// EffectWhy is the evidence for the effect, in a few words: what makes
	// the table node-local or insert-only, what to fix first.
	EffectWhy string `json:"effect_why,omitempty"`
	// Related are other tables the effect applies to, schema-qualified:
	// the tables whose keys an id allocator hands out.
	Related []string `json:"related,omitempty"`
}

// TableEffect is the effect of a finding on its table: its own, or its
// rule's.
func (f Finding) TableEffect(r *Rule) Effect {
	if f.Effect != "" {
		return f.Effect
	}
	if r != nil {
		return r.Effect
	}
	return ""
}

// SkippedRule is a rule that could not run, with the reason and the fix.
type SkippedRule struct {
	RuleID string `json:"rule_id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
	Fix    string `json:"fix,omitempty"`
}

// Result of running rules over one database.
type Result struct {
	Findings []Finding     `json:"findings"`
	Skipped  []SkippedRule `json:"skipped,omitempty"`
	// RulesRun counts the rules that ran without being skipped.
	RulesRun int `json:"rules_run"`
}

// Pass is what one rule sees while it runs over one database.
type Pass struct {
	DB     *inspect.Database
	Config Config
	Rule   *Rule

	findings []Finding
	skip     *SkippedRule
	idx      *tableIndex
}

// Report records a finding. Empty RuleID, Name, Category, Severity and
// Engines are filled from the rule.
func (p *Pass) Report(f Finding) {
	if f.RuleID == "" {
		f.RuleID = p.Rule.ID
	}
	if f.Name == "" {
		f.Name = p.Rule.Name
	}
	if f.Category == "" {
		f.Category = p.Rule.Category
	}
	if f.Severity == 0 {
		f.Severity = p.Rule.Severity
	}
	if f.Engines == nil {
		// Shared with the rule, read-only: a copy per finding costs tens of
		// megabytes on a schema of 100,000 tables.
		f.Engines = slices.Clip(p.Rule.Engines)
	}
	// Builders leave slack behind the text; a big report holds hundreds
	// of thousands of fixes.
	f.FixSQL = strings.Clone(f.FixSQL)
	p.findings = append(p.findings, f)
}

// Skip records that the rule could not run (or could not run completely),
// with the reason and how to make the evidence available. A second call
// adds its reason to the first.
func (p *Pass) Skip(reason, fix string) {
	if p.skip == nil {
		p.skip = &SkippedRule{RuleID: p.Rule.ID, Name: p.Rule.Name, Reason: reason, Fix: fix}
		return
	}
	if reason != "" && !strings.Contains(p.skip.Reason, reason) {
		p.skip.Reason += "; " + reason
	}
	if fix != "" && !strings.Contains(p.skip.Fix, fix) {
		if p.skip.Fix != "" {
			p.skip.Fix += "; "
		}
		p.skip.Fix += fix
	}
}

// Run runs rules over db. Findings are sorted by severity (highest first),
// rule ID, object and message. A rule's findings on partitions are
// reported once, on the partitioned table, with the partitions listed. A rule whose Needs are missing is skipped
// without running; a rule that panics is skipped with the panic as reason.
func Run(db *inspect.Database, cfg Config, rs []*Rule) Result {
	cfg = cfg.withDefaults()
	res := Result{Findings: []Finding{}}
	if db == nil {
		db = &inspect.Database{}
	}
	idx := newTableIndex(db)
	passes := make([]*Pass, len(rs))
	for i, r := range rs {
		p := &Pass{DB: db, Config: cfg, Rule: r, idx: idx}
		for _, need := range r.Needs {
			if reason, fix, missing := missingEvidence(db, need); missing {
				p.Skip(reason, fix)
			}
		}
		passes[i] = p
	}
	// The passes run at once, one per core: each reads the model and the
	// shared index (whose lazily computed parts are computed once, see
	// tableIndex) and writes only its own findings. Their findings join in
	// the order of the rules, so the result does not depend on which ran
	// first.
	next := make(chan *Pass)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(passes)) {
		wg.Go(func() {
			for p := range next {
				if p.skip == nil && p.Rule.Check != nil {
					runCheck(p)
					// Findings on partitions fold into their root's.
					p.findings = foldPartitions(p, p.findings)
				}
			}
		})
	}
	for _, p := range passes {
		next <- p
	}
	close(next)
	wg.Wait()
	n := 0
	for _, p := range passes {
		n += len(p.findings)
	}
	res.Findings = make([]Finding, 0, n)
	for _, p := range passes {
		res.Findings = append(res.Findings, p.findings...)
		p.findings = nil // each pass's list can go while the next is copied
		if p.skip != nil {
			res.Skipped = append(res.Skipped, *p.skip)
		} else {
			res.RulesRun++
		}
	}
	SortFindings(res.Findings)
	return res
}

// runCheck runs a pass's rule; a rule that panics leaves no findings and
// is skipped.
func runCheck(p *Pass) {
	defer func() {
		if v := recover(); v != nil {
			p.findings = nil
			p.Skip(fmt.Sprintf("internal error in rule: %v", v), "report this as a bug with the input that caused it")
		}
	}()
	p.Rule.Check(p)
}

// SortFindings orders findings by severity (highest first), rule ID,
// object and message.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Severity != b.Severity {
			return int(b.Severity) - int(a.Severity)
		}
		if c := strings.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		if c := strings.Compare(a.Object, b.Object); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
}

// Lookup finds a rule by ID or name, case-insensitively.
func Lookup(idOrName string) (*Rule, bool) {
	s := strings.TrimSpace(idOrName)
	for _, r := range All() {
		if strings.EqualFold(r.ID, s) || strings.EqualFold(r.Name, s) {
			return r, true
		}
	}
	return nil, false
}

// Filter returns rs without the rules named in disabled (IDs or names, any
// case). An unknown name is an error.
func Filter(rs []*Rule, disabled []string) ([]*Rule, error) {
	off := map[string]bool{}
	var unknown []string
	for _, d := range disabled {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		r, ok := Lookup(d)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", d))
			continue
		}
		off[r.ID] = true
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("disable rules: unknown rule %s (see 'aadvisor rules')", strings.Join(unknown, ", "))
	}
	out := make([]*Rule, 0, len(rs))
	for _, r := range rs {
		if !off[r.ID] {
			out = append(out, r)
		}
	}
	return out, nil
}
