package assess

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The JSON that `aadvisor observe` and `aadvisor assess` write is what
// --forecast and --assessment read.
func TestInputsReadWhatTheToolsWrite(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fr := &forecast.Report{SchemaVersion: forecast.SchemaVersion, LagMs: 200, Regions: 2, TotalConflictsPerDay: 3.5,
		Tables:  []forecast.Table{{Schema: "public", Name: "stock", Table: "public.stock", WritesPerSec: 12, ConflictsPerDay: 3.5}},
		HotRows: []forecast.HotRow{{Schema: "public", Name: "stock", Table: "public.stock", Key: "id=7", WritesPerSec: 4, PConflict: 0.2}}}
	fc, err := forecast.ReadReport(write("forecast.json", fr))
	if err != nil {
		t.Fatal(err)
	}
	fr.Sequences = forecast.SequencesShared // what a file that names none means
	// the curves are the sums of the tables' (none here)
	if diff := cmp.Diff(fr, fc, cmp.AllowUnexported(forecast.Table{}, forecast.Report{}), cmpopts.IgnoreFields(forecast.Report{}, "CurveLag", "CurveRegions")); diff != "" {
		t.Errorf("forecast (-wrote +read):\n%s", diff)
	}
	rep := &Report{SchemaVersion: 1, Verdict: VerdictNotReady,
		Findings: []ReportFinding{{Rule: "AR101", Name: "missing-primary-key", Severity: "error", Object: "public.t", Message: "m", Fix: "f"}},
		Skipped:  []ReportSkipped{{Rule: "AR200", Reason: "no stats"}}}
	as, err := ReadReport(write("report.json", rep))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rep, as); diff != "" {
		t.Errorf("assessment (-wrote +read):\n%s", diff)
	}
}
