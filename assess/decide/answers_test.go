package decide

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/google/go-cmp/cmp"
)

const goodHead = "slo_target: 99.99\nfailure_domain: [node, az]\nrpo_region: 1m\n"

func TestParseAnswersErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", `answers.yaml: empty file`},
		{"blank", "\n  \n# only a comment\n", `answers.yaml: empty document`},
		{"not a mapping", "- slo_target\n", `answers.yaml:1: want a mapping of question ids to answers, got a list`},
		{"unknown key", goodHead + "slo_tagret: 99.9\n", `answers.yaml:4: slo_tagret: unknown question (did you mean slo_target?)`},
		{"unknown far", goodHead + "colour: blue\n", `answers.yaml:4: colour: unknown question`},
		{"out of range", "slo_target: 100.5\n", `answers.yaml:1: slo_target: 100.5 out of range [90, 99.99999]`},
		{"negative tps", "write_tps_peak: -3\n", `answers.yaml:1: write_tps_peak: -3 out of range [0, 1e+09]`},
		{"not a number", "write_tps_peak: lots\n", `answers.yaml:1: write_tps_peak: want a number, got "lots"`},
		{"bad option", "platform: heroku\n", `answers.yaml:1: platform: "heroku" is not one of rds, rds_cluster, aurora, managed, cloudnativepg, patroni, pg_auto_failover, edge`},
		{"bad multi option", "failure_domain: [node, planet]\n", `answers.yaml:1: failure_domain: "planet" is not one of node, az, region, provider, wan_cut`},
		{"list for scalar", "platform: [rds]\n", `answers.yaml:1: platform: want a single value, got a list`},
		{"bool", "hot_rows: maybe\n", `answers.yaml:1: hot_rows: want yes or no, got "maybe"`},
		{"duplicate", "platform: rds\nplatform: aurora\n", `answers.yaml:2: platform: answered twice (first on line 1)`},
		{"shares", "write_regions: {us-east-1: 60, eu-west-1: 30}\n", `answers.yaml:1: write_regions: shares add up to 90%, want 100%`},
		{"region share range", "write_regions:\n  - {region: a, share: 160}\n", `answers.yaml:2: write_regions: region a: share 160 out of range [0, 100]`},
		{"region field", "write_regions:\n  - region: a\n    percent: 100\n", `answers.yaml:3: write_regions: unknown field "percent" (want region, share)`},
		{"invariants none+", "invariants: [none, unique]\n", `answers.yaml:1: invariants: "none" cannot be combined with other invariants`},
		{"pair key", "rtt_ms: {us-east-1: 80}\n", `answers.yaml:1: rtt_ms: key "us-east-1": want regionA/regionB`},
		{"owner column", "partition_key_name: Tenant-ID\n", `answers.yaml:1: partition_key_name: "Tenant-ID" is not a column name`},
		{"yaml syntax", "slo_target: [99.9\n", `answers.yaml:1: invalid YAML: did not find expected`},
		{"two problems", "slo_target: 1\nplatform: x\n", `answers.yaml:1: slo_target: 1 out of range [90, 99.99999]; answers.yaml:2: platform: "x" is not one of`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAnswers("answers.yaml", []byte(tc.in))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %q\nwant prefix %q", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error is %T, want *InputError", err)
			}
		})
	}
}

func TestMissingRequiredListedTogether(t *testing.T) {
	a, err := ParseAnswers("a.yaml", []byte("slo_target: 99.9\nplatform: rds\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Recommend(a, Inputs{})
	want := "a.yaml: missing required answers: failure_domain, rpo_region, write_regions, write_tps_peak, partition_key, invariants, conflict_policy, motivations, team"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

func TestConditionalQuestionsNotRequired(t *testing.T) {
	a := loadProfile(t, "5.1-saas-cool.yaml")
	if m := a.Missing(); len(m) != 0 {
		t.Fatalf("missing = %v", m)
	}
	q, _ := Lookup("rto_region")
	if q.Ask(a) {
		t.Error("rto_region asked without region loss in the failure domain")
	}
	if a.String("rto_region") != RTOHours {
		t.Errorf("default rto_region = %q", a.String("rto_region"))
	}
}

func TestAnswersForms(t *testing.T) {
	// The same answers in list, mapping and string forms.
	forms := []string{
		"write_regions:\n  - region: us-east-1\n    share: 60\n  - {region: eu-west-1, share: 40}\n",
		"write_regions: {us-east-1: 60, eu-west-1: 40}\n",
		"write_regions: us-east-1=60, eu-west-1=40\n",
	}
	want := []RegionShare{{"us-east-1", 60}, {"eu-west-1", 40}}
	for _, f := range forms {
		a, err := ParseAnswers("f.yaml", []byte(f))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, a.Regions()); diff != "" {
			t.Errorf("%q (-want +got):\n%s", f, diff)
		}
	}
	a, err := ParseAnswers("f.yaml", []byte("write_regions: us-east-1\nmotivations: scale_writes, load_balancing\nslo_target: 99.95%\nrpo_region: 0\npartition_key: no\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]RegionShare{{"us-east-1", 100}}, a.Regions()); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff([]string{MotScaleWrites, MotLoadBalancing}, a.List("motivations")); diff != "" {
		t.Error(diff)
	}
	if a.Number("slo_target") != 99.95 || a.String("rpo_region") != RPOZero || a.String("partition_key") != PartitionNo {
		t.Errorf("slo %v rpo %q pk %q", a.Number("slo_target"), a.String("rpo_region"), a.String("partition_key"))
	}
}

// Every profile survives Node → YAML → ParseAnswers unchanged.
func TestAnswersRoundTrip(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "profiles", "*.yaml"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			a, err := ReadAnswers(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := a.YAML()
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseAnswers("round.yaml", out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if diff := cmp.Diff(a.Map(), b.Map()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetText(t *testing.T) {
	a := NewAnswers()
	for _, tc := range []struct{ id, text, err string }{
		{"slo_target", "99.99", ""},
		{"write_regions", "us-east-1=60, eu-west-1=40", ""},
		{"write_regions", "us-east-1=60, eu-west-1", "missing share"},
		{"failure_domain", "node, region", ""},
		{"failure_domain", "", "pick at least one"},
		{"hot_rows", "yes", ""},
		{"rtt_ms", "us-east-1/eu-west-1=75", ""},
		{"rtt_ms", "us-east-1=75", "want regionA/regionB"},
		{"nope", "1", "unknown question"},
	} {
		err := a.SetText(tc.id, tc.text)
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s=%q: err = %v, want %q", tc.id, tc.text, err, tc.err)
		}
	}
	if a.Pairs("rtt_ms")["eu-west-1/us-east-1"] != 75 {
		t.Errorf("pair key not normalised: %v", a.Pairs("rtt_ms"))
	}
}

func TestQuestionBank(t *testing.T) {
	ids := map[string]bool{}
	for _, q := range Bank {
		if ids[q.ID] {
			t.Errorf("duplicate id %s", q.ID)
		}
		ids[q.ID] = true
		if q.Prompt == "" || q.Help == "" || !slices.Contains(Sections, q.Section) {
			t.Errorf("%s: prompt, help and a known section are required", q.ID)
		}
		if (q.Kind == KindSelect || q.Kind == KindMultiSelect) && len(q.Options) == 0 {
			t.Errorf("%s: select without options", q.ID)
		}
		if q.Default != nil {
			if err := checkValue(q, q.Default); err != nil {
				t.Errorf("%s: default invalid: %v", q.ID, err)
			}
		}
	}
	// decision.md §1's twenty questions are all in the bank (composites split).
	for _, id := range []string{"slo_target", "slo_window", "failure_domain", "rto_region", "rpo_region", "write_regions",
		"write_latency_budget_ms", "db_round_trips_per_action", "write_tps_peak", "primary_headroom", "read_write_ratio",
		"partition_key", "cross_owner_txns", "invariants", "conflict_policy", "hot_rows", "disconnected_sites",
		"motivations", "residency", "platform"} {
		if !ids[id] {
			t.Errorf("question %s missing", id)
		}
	}
}

func TestReadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	as, err := assess.ReadReport(write("a.json", `{"schema_version":1,"verdict":"blocked","extra":{"x":1},
 "findings":[{"rule":"AR101","name":"missing-primary-key","severity":"ERROR","object":"public.t","message":"m","fix":"f","new_field":3}],
 "skipped":["pg_stat_statements not installed", {"rule":"AR300","reason":"no stats"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if as.Findings[0].Severity != "error" || len(as.Skipped) != 2 || as.Skipped[1].Rule != "AR300" || as.Skipped[0].Reason == "" {
		t.Errorf("assessment = %+v", as)
	}
	for _, tc := range []struct{ body, want string }{
		{``, "empty file"},
		{`{"schema_version":2}`, "schema_version 2 not supported"},
		{"{\n\"schema_version\":1,\n\"findings\":[}", "b.json:3: invalid JSON"},
		{`{"schema_version":1,"findings":[{"rule":"X","severity":"fatal"}]}`, `unknown severity "fatal"`},
	} {
		_, err := assess.ReadReport(write("b.json", tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.body, err, tc.want)
		}
	}
	fc, err := forecast.ReadReport(write("f.json", `{"schema_version":1,"lag_ms":100,"tables":[{"table":"a","conflicts_per_day":2},{"table":"b","conflicts_per_day":3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if fc.TotalConflictsPerDay != 5 {
		t.Errorf("total = %v, want 5", fc.TotalConflictsPerDay)
	}
}

func FuzzParseAnswers(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "profiles", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("slo_target: [\n"))
	f.Add([]byte("write_regions: {a: 1e400}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAnswers("fuzz.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		// Whatever parses must be usable: recommend (if complete) and round-trip.
		if a.Complete() == nil {
			r, err := Recommend(a, Inputs{})
			if err != nil {
				t.Fatalf("complete answers rejected: %v", err)
			}
			for _, f := range Formats {
				if err := r.Write(io.Discard, f); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
		}
		out, err := a.YAML()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseAnswers("again.yaml", out); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
	})
}

func TestProvisionalIsComplete(t *testing.T) {
	a := NewAnswers()
	p, n := Provisional(a)
	if err := p.Complete(); err != nil {
		t.Fatal(err)
	}
	if n != len(a.Missing()) {
		t.Errorf("filled %d, missing %d", n, len(a.Missing()))
	}
	for _, q := range Bank {
		if v, ok := provisional[q.ID]; ok {
			if err := checkValue(q, v); err != nil {
				t.Errorf("%s: provisional value invalid: %v", q.ID, err)
			}
		}
	}
	if _, err := Recommend(p, Inputs{}); err != nil {
		t.Fatal(err)
	}
}

func TestFormatValueRoundTrip(t *testing.T) {
	a := loadProfile(t, "5.3-bank-rac.yaml")
	for _, q := range Bank {
		v, ok := a.Get(q.ID)
		if !ok {
			continue
		}
		b := NewAnswers()
		if err := b.SetText(q.ID, FormatValue(q, v)); err != nil {
			t.Errorf("%s: %v", q.ID, err)
			continue
		}
		got, _ := b.Get(q.ID)
		if diff := cmp.Diff(v, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", q.ID, diff)
		}
	}
}

// docs/decision.md documents every question and every threshold.
func TestDecisionDocCoversBankAndThresholds(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "decision.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range Bank {
		if !strings.Contains(string(doc), "`"+q.ID+"`") {
			t.Errorf("docs/decision.md does not document question %s", q.ID)
		}
	}
	for _, th := range DefaultThresholds().List() {
		name := th.Name
		if strings.HasPrefix(name, "failover_s_") {
			name = "failover_s_<platform>"
		}
		if !strings.Contains(string(doc), name) {
			t.Errorf("docs/decision.md does not document threshold %s", th.Name)
		}
	}
}
