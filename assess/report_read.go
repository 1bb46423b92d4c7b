package assess

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// ReadReport reads the JSON report of `aadvisor assess --format json`: the
// one reader of assessment files, for recommend, ask and report. Unknown
// fields are ignored so that the report may grow; severities are read in
// any case ("ERROR") and an unknown one is an error; a skipped check may
// be a plain string (its reason), as early reports wrote it.
func ReadReport(path string) (*Report, error) {
	var r Report
	if err := inspect.ReadJSONFile(path, &r); err != nil {
		return nil, fmt.Errorf("read assessment: %w", err)
	}
	if r.SchemaVersion != ReportSchemaVersion {
		return nil, fmt.Errorf("read assessment: %s: schema_version %d not supported (want %d)", path, r.SchemaVersion, ReportSchemaVersion)
	}
	for i, f := range r.Findings {
		switch strings.ToLower(f.Severity) {
		case "error", "warning", "info":
			r.Findings[i].Severity = strings.ToLower(f.Severity)
		default:
			return nil, fmt.Errorf("read assessment: %s: findings[%d] (%s): unknown severity %q (want error, warning, info)", path, i, f.Rule, f.Severity)
		}
	}
	return &r, nil
}

// UnmarshalJSON reads a skipped check as an object, or as a string that
// is its reason.
func (s *ReportSkipped) UnmarshalJSON(b []byte) error {
	var str string
	if json.Unmarshal(b, &str) == nil {
		*s = ReportSkipped{Reason: str}
		return nil
	}
	type plain ReportSkipped
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = ReportSkipped(p)
	return nil
}
