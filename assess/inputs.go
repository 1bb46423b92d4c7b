package assess

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Assessment is the JSON report of `aadvisor assess` as this package reads
// it. Unknown fields are ignored so the report may grow.
type Assessment struct {
	SchemaVersion int       `json:"schema_version"`
	Verdict       string    `json:"verdict"`
	Findings      []Finding `json:"findings"`
	Skipped       []Skipped `json:"skipped"`
	// Tables is the per-table write advice (absent in reports that predate
	// it: the warnings are then read one by one).
	Tables []TableAdvice `json:"tables,omitempty"`
}

// Finding is one schema or workload finding of an assessment.
type Finding struct {
	Rule     string   `json:"rule"`
	Name     string   `json:"name"`
	Severity string   `json:"severity"` // error, warning, info
	Object   string   `json:"object"`
	Table    string   `json:"table,omitempty"` // the table the finding concerns, if any
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
	FixSQL   string   `json:"fix_sql,omitempty"`
	Engines  []string `json:"engines,omitempty"`
}

// Skipped is a check that could not run; it may be a string or an object.
type Skipped struct {
	Rule   string `json:"rule,omitempty"`
	Name   string `json:"name,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// UnmarshalJSON accepts "reason" strings as well as objects.
func (s *Skipped) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		s.Reason = str
		return nil
	}
	type plain Skipped
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = Skipped(p)
	return nil
}

// ForecastInput is the JSON output of `aadvisor observe` as the decision
// procedure reads it (ReadForecast): expected conflicts per table at the
// chosen replication lag, and rows hot enough to matter.
type ForecastInput struct {
	SchemaVersion        int             `json:"schema_version"`
	LagMs                float64         `json:"lag_ms"`
	Regions              int             `json:"regions"`
	Route                string          `json:"route"` // how the replay routed writes: hash (any node), column:…, a map
	Tables               []TableForecast `json:"tables"`
	TotalConflictsPerDay float64         `json:"total_conflicts_per_day"`
	HotRows              []HotRow        `json:"hot_rows"`
	// DurationS is how long the replayed capture ran (its counters'
	// changes and losses happened in it).
	DurationS float64 `json:"duration_s,omitempty"`
}

// TableForecast is one table's forecast.
type TableForecast struct {
	Schema          string  `json:"schema"`
	Name            string  `json:"name"`
	Table           string  `json:"table"` // quoted schema.name
	WritesPerSec    float64 `json:"writes_per_sec"`
	ConflictsPerDay float64 `json:"conflicts_per_day"`
	// Counters are the numeric columns updates changed, with the
	// increments the replay lost (allocatorDups reads them).
	Counters []ForecastCounter `json:"counter_columns,omitempty"`
}

// HotRow is a row with a high probability of conflict per write.
type HotRow struct {
	Schema       string  `json:"schema"`
	Name         string  `json:"name"`
	Table        string  `json:"table"` // quoted schema.name
	Key          string  `json:"key"`
	WritesPerSec float64 `json:"writes_per_sec"`
	PConflict    float64 `json:"p_conflict"`
}

// ReadAssessment reads an assessment JSON file.
func ReadAssessment(path string) (*Assessment, error) {
	var a Assessment
	if err := readJSON(path, &a); err != nil {
		return nil, fmt.Errorf("read assessment: %w", err)
	}
	if a.SchemaVersion != 1 {
		return nil, fmt.Errorf("read assessment: %s: schema_version %d not supported (want 1)", path, a.SchemaVersion)
	}
	for i, f := range a.Findings {
		switch strings.ToLower(f.Severity) {
		case "error", "warning", "info":
			a.Findings[i].Severity = strings.ToLower(f.Severity)
		default:
			return nil, fmt.Errorf("read assessment: %s: findings[%d] (%s): unknown severity %q (want error, warning, info)", path, i, f.Rule, f.Severity)
		}
	}
	return &a, nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return fmt.Errorf("%s: empty file", path)
	}
	if err := json.Unmarshal(data, v); err != nil {
		var se *json.SyntaxError
		if ok := asSyntax(err, &se); ok {
			line := 1 + strings.Count(string(data[:min(int(se.Offset), len(data))]), "\n")
			return fmt.Errorf("%s:%d: invalid JSON: %v", path, line, err)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func asSyntax(err error, se **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	if ok {
		*se = s
	}
	return ok
}

// AssessmentFromReport converts an in-process assessment report to the
// shape the decision procedure reads (the same as its JSON form).
func AssessmentFromReport(r *Report) *Assessment {
	if r == nil {
		return nil
	}
	a := &Assessment{SchemaVersion: 1, Verdict: r.Verdict}
	for _, f := range r.Findings {
		a.Findings = append(a.Findings, Finding{Rule: f.Rule, Name: f.Name, Severity: strings.ToLower(f.Severity),
			Object: f.Object, Table: f.Table, Message: f.Message, Fix: f.Fix, FixSQL: f.FixSQL, Engines: f.Engines})
	}
	a.Tables = append(a.Tables, r.Tables...)
	for _, s := range r.Skipped {
		a.Skipped = append(a.Skipped, Skipped{Rule: s.Rule, Name: s.Name, Reason: s.Reason})
	}
	return a
}
