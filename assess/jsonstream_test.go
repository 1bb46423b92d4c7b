package assess

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/rules"
)

// encodeWhole is how reports were written before they were streamed: the
// whole document through one json.Encoder.
func encodeWhole(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func streamTestReport(findings int) *Report {
	r := &Report{SchemaVersion: ReportSchemaVersion, Tool: "aadvisor test", Generated: time.Unix(1767225600, 0).UTC(),
		Source: Source{Kind: "sql", Name: "a.sql", Files: []string{"a.sql"}}, Nodes: 3, Verdict: VerdictNotReady,
		Findings: []ReportFinding{}, Skipped: []ReportSkipped{{Reason: "no <stats> & no settings"}}, Tables: []TableAdvice{}}
	for i := range findings {
		r.Findings = append(r.Findings, ReportFinding{Rule: "AR201", Name: "sequence-key", Severity: "error",
			Object: fmt.Sprintf(`public."t<%d>".id`, i), ObjectKind: "column", Message: "a \"quoted\" & <escaped> message\twith a tab",
			FixSQL: "ALTER TABLE x;\nSELECT 1;\n", Engines: []string{"native"}, Location: &Location{File: "a.sql", Line: i + 1, Col: 2},
			Fingerprint: fmt.Sprint(i)})
		r.Tables = append(r.Tables, TableAdvice{Table: fmt.Sprintf("public.t%d", i), Advice: AdviceHome, Reasons: []string{"hot-row"}})
	}
	r.InputErrors = []ReportInputError{{Message: "last field after the streamed arrays"}}
	return r
}

// TestJSONStreamedSameAsWhole holds the streamed JSON and SARIF reports to
// the bytes one json.Encoder writes for the whole document.
func TestJSONStreamedSameAsWhole(t *testing.T) {
	nilArrays := streamTestReport(0)
	nilArrays.Findings, nilArrays.Tables = nil, nil
	for name, r := range map[string]*Report{"none": streamTestReport(0), "one": streamTestReport(1), "many": streamTestReport(25), "nil arrays": nilArrays} {
		t.Run(name, func(t *testing.T) {
			var got bytes.Buffer
			if err := WriteReport(&got, r, "json", nil); err != nil {
				t.Fatal(err)
			}
			if want := encodeWhole(t, r); got.String() != want {
				t.Errorf("json: streamed\n%s\nwant\n%s", got.String(), want)
			}
			// SARIF: the log built whole, results and all.
			got.Reset()
			if err := WriteReport(&got, r, "sarif", nil); err != nil {
				t.Fatal(err)
			}
			var whole sarifLog
			if err := json.Unmarshal(got.Bytes(), &whole); err != nil {
				t.Fatalf("sarif does not parse: %v", err)
			}
			ruleIndex := map[string]int{}
			for i, rule := range rules.All() {
				ruleIndex[rule.ID] = i
			}
			whole.Runs[0].Results = []sarifResult{}
			for _, f := range r.Findings {
				whole.Runs[0].Results = append(whole.Runs[0].Results, sarifResultOf(f, ruleIndex))
			}
			if want := encodeWhole(t, whole); got.String() != want {
				t.Errorf("sarif: streamed\n%s\nwant\n%s", got.String(), want)
			}
		})
	}
}

// failAfter fails every write after the first n bytes.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestJSONStreamedWriteError: a writer that fails makes the report fail,
// with its error, and encoding stops.
func TestJSONStreamedWriteError(t *testing.T) {
	for _, format := range []string{"json", "sarif", "text"} {
		err := WriteReport(&failAfter{n: 100}, streamTestReport(20000), format, nil)
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: got %v, want the writer's error", format, err)
		}
	}
}

// writeSizes records how much each Write was given.
type writeSizes struct{ total, largest int }

func (w *writeSizes) Write(p []byte) (int, error) {
	w.total += len(p)
	w.largest = max(w.largest, len(p))
	return len(p), nil
}

// TestReportsStreamed: the formats that get big (text, JSON, SARIF) reach
// the writer in pieces as they are produced, not as one document built in
// memory first.
func TestReportsStreamed(t *testing.T) {
	r := streamTestReport(20000)
	for _, format := range []string{"text", "json", "sarif"} {
		var w writeSizes
		if err := WriteReport(&w, r, format, nil); err != nil {
			t.Fatal(err)
		}
		if w.total < 1<<20 || w.largest > 128<<10 {
			t.Errorf("%s: %d bytes in writes of up to %d bytes, want pieces of at most 128 KiB", format, w.total, w.largest)
		}
	}
}
