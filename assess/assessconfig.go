package assess

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
	"go.yaml.in/yaml/v3"
)

// AssessConfig is aadvisor.yaml: which rules run and which findings are
// accepted.
//
//	nodes: 3
//	disable: [generated-column, AR907]
//	ignore:
//	  - rule: sequence-key
//	    object: public.legacy_*
//	    reason: converted to UUIDv7 in Q3
type AssessConfig struct {
	Nodes   int      `yaml:"nodes"`
	Disable []string `yaml:"disable"`
	Ignore  []Ignore `yaml:"ignore"`

	file string
}

// Ignore accepts findings of a rule (or any rule, when empty) on objects
// matching a glob (path.Match syntax; empty matches all).
type Ignore struct {
	Rule   string `yaml:"rule"`
	Object string `yaml:"object"`
	Reason string `yaml:"reason"`
}

// ReadAssessConfig reads and validates a config file. Unknown keys and
// unknown rule names are errors naming the line.
func ReadAssessConfig(file string) (*AssessConfig, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return ParseAssessConfig(file, data)
}

// ParseAssessConfig parses config file content; name is used in errors.
func ParseAssessConfig(name string, data []byte) (*AssessConfig, error) {
	c := &AssessConfig{file: name}
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", "; "), "yaml: "))
	}
	c.file = name
	lineOf := func(key string, i int) int { return seqItemLine(&doc, key, i) }
	if c.Nodes < 0 || c.Nodes > 64 {
		return nil, fmt.Errorf("%s:%d: nodes: %d is out of range (want 2 to 64)", name, keyLine(&doc, "nodes"), c.Nodes)
	}
	for i, d := range c.Disable {
		if _, ok := rules.Lookup(d); !ok {
			return nil, fmt.Errorf("%s:%d: disable: unknown rule %q (see 'aadvisor rules')", name, lineOf("disable", i), d)
		}
	}
	for i, ig := range c.Ignore {
		if ig.Rule != "" {
			if _, ok := rules.Lookup(ig.Rule); !ok {
				return nil, fmt.Errorf("%s:%d: ignore[%d].rule: unknown rule %q (see 'aadvisor rules')", name, lineOf("ignore", i), i, ig.Rule)
			}
		}
		if ig.Object != "" {
			if _, err := path.Match(ig.Object, ""); err != nil {
				return nil, fmt.Errorf("%s:%d: ignore[%d].object: bad pattern %q: %v", name, lineOf("ignore", i), i, ig.Object, err)
			}
		}
		if ig.Rule == "" && ig.Object == "" {
			return nil, fmt.Errorf("%s:%d: ignore[%d]: give a rule, an object pattern, or both", name, lineOf("ignore", i), i)
		}
	}
	return c, nil
}

func keyLine(doc *yaml.Node, key string) int {
	if doc == nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 0
}

func seqItemLine(doc *yaml.Node, key string, idx int) int {
	if doc == nil || len(doc.Content) == 0 {
		return 0
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			seq := m.Content[i+1]
			if idx < len(seq.Content) {
				return seq.Content[idx].Line
			}
			return seq.Line
		}
	}
	return 0
}

// Rules returns the rules to run: all, less the disabled ones.
func (c *AssessConfig) Rules() ([]*rules.Rule, error) {
	if c == nil {
		return rules.All(), nil
	}
	return rules.Filter(rules.All(), c.Disable)
}

func (ig Ignore) matches(f ReportFinding) bool {
	if ig.Rule != "" {
		r, ok := rules.Lookup(ig.Rule)
		if !ok || r.ID != f.Rule {
			return false
		}
	}
	if ig.Object != "" {
		ok1, _ := path.Match(ig.Object, f.Object)
		ok2, _ := path.Match(ig.Object, f.Table)
		if !ok1 && !(ok2 && f.Table != "") {
			return false
		}
	}
	return true
}

// Baseline is the set of findings already accepted: the fingerprints of
// an earlier JSON report.
type Baseline map[string]bool

// ReadBaseline reads a JSON report written by 'assess --format json'.
func ReadBaseline(file string) (Baseline, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var r struct {
		SchemaVersion int `json:"schema_version"`
		Findings      []struct {
			Rule        string `json:"rule"`
			Object      string `json:"object"`
			Table       string `json:"table"`
			Fingerprint string `json:"fingerprint"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read baseline: %s: not an assess JSON report: %v", file, err)
	}
	if r.SchemaVersion != ReportSchemaVersion {
		return nil, fmt.Errorf("read baseline: %s: schema_version %d, want %d (write it with 'aadvisor assess --format json')", file, r.SchemaVersion, ReportSchemaVersion)
	}
	b := Baseline{}
	for _, f := range r.Findings {
		fp := f.Fingerprint
		if fp == "" {
			fp = f.Rule + "|" + f.Object + "|" + f.Table
		}
		b[fp] = true
	}
	return b, nil
}

// Filter hides findings that the config ignores or the baseline already
// holds, and recomputes the verdict.
func (r *Report) Filter(db *inspect.Database, c *AssessConfig, base Baseline) {
	// A baseline hides what is already known from the list and the
	// verdict, but the hazard is still there: the per-table advice (what
	// recommend and bootstrap route by) keeps those findings. What the
	// config ignores is a judgement that the finding does not apply, so
	// it leaves the advice too.
	kept := make([]ReportFinding, 0, len(r.Findings))
	advise := make([]ReportFinding, 0, len(r.Findings))
	for _, f := range r.Findings {
		ignored := false
		if c != nil {
			for _, ig := range c.Ignore {
				if ig.matches(f) {
					ignored = true
					break
				}
			}
		}
		if !ignored {
			advise = append(advise, f)
		}
		if ignored || base[f.Fingerprint] {
			r.Hidden++
			continue
		}
		kept = append(kept, f)
	}
	r.Findings = kept
	r.finish(nil)
	if db != nil {
		r.Tables = tableAdvice(db, advise)
	}
}
