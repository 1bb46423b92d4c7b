package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate"
)

const profiles = "../../assess/decide/testdata/profiles/"

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestRecommendCLI(t *testing.T) {
	dir := t.TempDir()
	plan := filepath.Join(dir, "plan.yaml")
	code, out, errs := runCLI(t, "", "recommend", "--answers", profiles+"5.4-payments-five-nines.yaml", "--output", plan)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "Recommendation: AA-HOME") || !strings.Contains(out, "≈ 150 conflicts/s") {
		t.Errorf("stdout:\n%s", out)
	}
	if !strings.Contains(errs, "plan written to "+plan) {
		t.Errorf("stderr: %s", errs)
	}
	p, err := replicate.ReadPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	if p.Topology.Kind != replicate.TopologyActiveActive || p.Topology.Engine != replicate.EnginePglogical ||
		len(p.Topology.Nodes) != 2 || p.Topology.OwnerColumn != "merchant_id" || p.Topology.Sequences != replicate.SequencesUUID {
		t.Errorf("plan topology = %+v", p.Topology)
	}
	if p.Recommendation.Design != "AA-HOME" || p.Answers == nil {
		t.Errorf("plan recommendation = %+v", p.Recommendation)
	}
	// the answers saved in the plan are an answers file again
	code, out, errs = runCLI(t, "", "recommend", "--answers", profiles+"5.4-payments-five-nines.yaml", "--format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d %s", code, errs)
	}
	var rec struct {
		SchemaVersion int    `json:"schema_version"`
		Design        string `json:"design"`
	}
	if err := json.Unmarshal([]byte(out), &rec); err != nil || rec.SchemaVersion != 1 || rec.Design != "AA-HOME" {
		t.Errorf("json: %v %+v", err, rec)
	}
}

// Every profile converts into a valid plan of the right kind.
func TestRecommendHTML(t *testing.T) {
	code, out, errs := runCLI(t, "", "recommend", "--answers", profiles+"5.3-bank-rac.yaml", "--format", "html")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(strings.TrimSpace(out), "<!DOCTYPE html") && !strings.HasPrefix(strings.TrimSpace(out), "<!doctype html") {
		t.Errorf("not an HTML page: %.200s", out)
	}
	if !strings.Contains(out, "SP-SYNC") {
		t.Error("page does not name the design")
	}
}

func TestPlanFromEveryProfile(t *testing.T) {
	files, _ := filepath.Glob(profiles + "*.yaml")
	kind := map[string]string{"SP": replicate.TopologyStreaming, "WP": replicate.TopologyPartitioned, "AA": replicate.TopologyActiveActive}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			plan := filepath.Join(t.TempDir(), "plan.yaml")
			code, out, errs := runCLI(t, "", "recommend", "--answers", f, "--output", plan)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			p, err := replicate.ReadPlan(plan)
			if err != nil {
				t.Fatal(err)
			}
			design := strings.TrimPrefix(strings.SplitN(out, " ", 3)[1], "")
			want := kind[design[:2]]
			if design == "WP-SITE" {
				want = replicate.TopologyHubSpoke // sites: a star, never a mesh
			}
			if p.Topology.Kind != want {
				t.Errorf("%s: kind %s, want %s", design, p.Topology.Kind, want)
			}
			if len(p.Placeholders()) == 0 {
				t.Error("skeleton DSNs should be placeholders")
			}
		})
	}
}

func TestRecommendBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	typo := write("typo.yaml", "slo_target: 99.99\nplatfrom: rds\n")
	empty := write("empty.yaml", "")
	rng := write("range.yaml", "slo_target: 120\n")
	partial := write("partial.yaml", "slo_target: 99.99\nplatform: rds\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--answers", typo}, typo + ":2: platfrom: unknown question (did you mean platform?)"},
		{"empty", []string{"--answers", empty}, empty + ": empty file"},
		{"out of range", []string{"--answers", rng}, rng + ":1: slo_target: 120 out of range [90, 99.99999]"},
		{"missing", []string{"--answers", partial}, partial + ": missing required answers: failure_domain, rpo_region, write_regions, write_tps_peak, partition_key, invariants, conflict_policy, motivations, team"},
		{"no file", []string{"--answers", filepath.Join(dir, "nope.yaml")}, "read answers: open "},
		{"threshold", []string{"--answers", profiles + "5.1-saas-cool.yaml", "--threshold", "far_writer_share=10"}, `--threshold: unknown threshold "far_writer_share" (did you mean far_writer_share_pct?)`},
		{"format", []string{"--answers", profiles + "5.1-saas-cool.yaml", "--format", "sarif"}, `--format: unknown format "sarif"`},
		{"assessment", []string{"--answers", profiles + "5.1-saas-cool.yaml", "--assessment", write("a.json", "{")}, "read assessment: "},
		{"no answers flag", nil, `required flag(s) "answers" not set`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"recommend"}, tc.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout should be empty: %q", out)
			}
			if !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("stderr = %q\nwant one line containing %q", errs, tc.want)
			}
		})
	}
}

func TestAskNonInteractive(t *testing.T) {
	// no terminal, no answers: one error listing every missing required answer
	code, out, errs := runCLI(t, "", "ask")
	if code != 2 || out != "" || !strings.Contains(errs, "missing required answers: slo_target, failure_domain") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI(t, "", "ask", "--no-input", "--answers", profiles+"5.2-retail-edge.yaml", "--format", "markdown")
	if code != 0 || !strings.HasPrefix(out, "# Recommendation: WP-SITE") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
}

func TestAskAccessibleCLI(t *testing.T) {
	// Accessible mode prompts on stderr even without a terminal; input that
	// ends early leaves required answers missing, reported in one error.
	code, out, errs := runCLI(t, "1\n", "ask", "--accessible")
	if code != 2 || out != "" {
		t.Errorf("exit %d stdout %q", code, out)
	}
	for _, want := range []string{"Why it matters", "1. 99.9% (8.77 h/year)", "missing required answers: failure_domain"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
}

// The plan carries the per-table write modes of the assessment, with the
// home node of tables that have no owner column.
func TestRecommendPlanWriteModes(t *testing.T) {
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	code, out, errs := runCLI(t, "", "recommend", "--answers", profiles+"aa-any-last-resort.yaml",
		"--assessment", "../../assess/decide/testdata/evidence/shop-assessment.json", "--out", plan)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.HasPrefix(out, "Recommendation: AA-HOME") {
		t.Fatalf("the audit says home-route, yet:\n%s", out)
	}
	p, err := replicate.ReadPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != replicate.PlanVersion {
		t.Errorf("version = %d", p.Version)
	}
	modes := map[string]replicate.WriteMode{}
	for _, wm := range p.Topology.WriteModes {
		modes[wm.Table] = wm
	}
	if m := modes["public.inventory"]; m.Mode != replicate.WriteHome || m.Home != "us_east_1" || len(m.Why) == 0 {
		t.Errorf("inventory = %+v", m)
	}
	if m := modes["public.sessions"]; m.Mode != replicate.WriteLocal {
		t.Errorf("sessions = %+v", m)
	}
	if !p.Topology.ExcludedTables()["public.sessions"] {
		t.Error("sessions not excluded from bootstrap")
	}
	// A single primary has one writer: no write modes in its plan.
	code, _, errs = runCLI(t, "", "recommend", "--answers", profiles+"5.1-saas-cool.yaml",
		"--assessment", "../../assess/decide/testdata/evidence/shop-assessment.json", "--out", plan)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if p, err := replicate.ReadPlan(plan); err != nil || len(p.Topology.WriteModes) != 0 {
		t.Errorf("streaming plan: %v, write modes %v", err, p.Topology.WriteModes)
	}
}
