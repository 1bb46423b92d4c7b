package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/google/go-cmp/cmp"
)

var wantRE = regexp.MustCompile(`(?m)^# want: (\S+)$`)

func loadProfile(t *testing.T, name string) Answers {
	t.Helper()
	a, err := ReadAnswers(filepath.Join("testdata", "profiles", name))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func recommendProfile(t *testing.T, name string, in Inputs) *Recommendation {
	t.Helper()
	r, err := Recommend(loadProfile(t, name), in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Every profile names the design it must produce in a "# want:" comment.
func TestProfiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "profiles", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no profiles: %v", err)
	}
	seen := map[DesignID]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m := wantRE.FindSubmatch(data)
			if m == nil {
				t.Fatal("profile has no '# want: DESIGN' line")
			}
			want := DesignID(m[1])
			r := recommendProfile(t, filepath.Base(f), Inputs{})
			if r.Design != want {
				var b bytes.Buffer
				_ = r.WriteText(&b)
				t.Fatalf("design = %s, want %s\n%s", r.Design, want, b.String())
			}
			if r.Family != DesignByID(want).Family {
				t.Errorf("family = %s, want %s", r.Family, DesignByID(want).Family)
			}
			seen[r.Design] = true
		})
	}
	for _, d := range Designs {
		if !seen[d.ID] {
			t.Errorf("no profile produces %s", d.ID)
		}
	}
}

func reasonIDs(r *Recommendation) []string {
	var ids []string
	for _, x := range r.Reasons {
		ids = append(ids, x.ID)
	}
	return ids
}

func alsoIDs(r *Recommendation) []DesignID {
	var ids []DesignID
	for _, c := range r.Also {
		ids = append(ids, c.Design)
	}
	return ids
}

func rejectedIDs(r *Recommendation) []DesignID {
	var ids []DesignID
	for _, c := range r.Rejected {
		ids = append(ids, c.Design)
	}
	return ids
}

func calcValue(t *testing.T, r *Recommendation, name string) float64 {
	t.Helper()
	for _, c := range r.Arithmetic {
		if c.Name == name {
			return c.Value
		}
	}
	t.Fatalf("no arithmetic line %q", name)
	return 0
}

func calcText(r *Recommendation, name string) string {
	for _, c := range r.Arithmetic {
		if c.Name == name {
			return c.Text
		}
	}
	return ""
}

// decision.md §5.1: SP-1, bad reasons B1/B5 (and B4), a read replica in us-east-1.
func TestWorkedSaaS(t *testing.T) {
	r := recommendProfile(t, "5.1-saas-cool.yaml", Inputs{})
	if diff := cmp.Diff([]string{"B1", "B4", "B5"}, reasonIDs(r)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(r.Advice, "\n"), "read replicas (optional: one in us-east-1") {
		t.Errorf("advice lacks the us-east-1 read replica: %q", r.Advice)
	}
	// B_month = 43.8 min; RDS instance failover 60–120 s.
	if got := calcText(r, "budget_year"); got != "99.9% leaves 8.77 h/year (43.8 min/month)." {
		t.Errorf("budget line = %q", got)
	}
	if len(r.Avoided) == 0 || len(r.Costs) != 0 {
		t.Errorf("SP-1 should list avoided costs only: costs=%d avoided=%d", len(r.Costs), len(r.Avoided))
	}
}

// decision.md §5.2: WP-SITE + SP-1 at HQ, AA-ANY only for shared tables; P ≈ 0.43 per outage.
func TestWorkedRetail(t *testing.T) {
	r := recommendProfile(t, "5.2-retail-edge.yaml", Inputs{})
	if diff := cmp.Diff([]DesignID{AAAny, SP1}, alsoIDs(r)); diff != "" {
		t.Errorf("also (-want +got):\n%s", diff)
	}
	if !strings.Contains(calcText(r, "offline_window"), "= 0.44 per outage") {
		t.Errorf("offline window line = %q", calcText(r, "offline_window"))
	}
	// A star of sites around HQ; site rows keyed with store_id need no
	// sequence offsets.
	if r.Engine != "native" || r.OwnerColumn != "store_id" || r.Sequences != "none" || r.Topology != TopologyHubSpoke || r.Hub != "us-east-1" {
		t.Errorf("engine/owner/sequences/topology/hub = %s/%s/%s/%s/%s", r.Engine, r.OwnerColumn, r.Sequences, r.Topology, r.Hub)
	}
	if !strings.Contains(strings.Join(r.Advice, "\n"), "max_slot_wal_keep_size and the disk under pg_wal for each node's WAL rate × 48 h") {
		t.Errorf("advice does not size the WAL for the 48 h window: %q", r.Advice)
	}
}

// decision.md §5.3: SP-SYNC across the metro DCs + SP-2 replacing GoldenGate.
func TestWorkedBank(t *testing.T) {
	r := recommendProfile(t, "5.3-bank-rac.yaml", Inputs{})
	if diff := cmp.Diff([]DesignID{SP2}, alsoIDs(r)); diff != "" {
		t.Errorf("also (-want +got):\n%s", diff)
	}
	// metro: 25 km → floor 0.25 ms, estimate 0.375 ms.
	if got := calcValue(t, r, "sync_commit"); got != 0.375 {
		t.Errorf("sync commit = %v ms, want 0.375", got)
	}
	if diff := cmp.Diff([]string{"G3", "B4"}, reasonIDs(r)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if r.Engine != "physical" {
		t.Errorf("engine = %s", r.Engine)
	}
}

// decision.md §5.4: AA-HOME; SP-3/SP-2 rejected; the top merchant's row
// (150 updates/s) conflicts on nearly every write: ≈ 150 conflicts/s a
// mesh logs, never the pair rate 2W·λA·λB = 1 080/s.
func TestWorkedPayments(t *testing.T) {
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{})
	if diff := cmp.Diff([]DesignID{SP1, SP2, SP3, WPGeo}, rejectedIDs(r)); diff != "" {
		t.Errorf("rejected (-want +got):\n%s", diff)
	}
	if got := calcValue(t, r, "hot_row_conflicts"); math.Abs(got-150) > 0.01 {
		t.Errorf("hot row conflicts = %v/s, want ≈ 150 (one per write)", got)
	}
	if got := calcValue(t, r, "budget_year"); got != 5.2596 {
		t.Errorf("budget = %v min, want 5.2596", got)
	}
	if diff := cmp.Diff([]string{"G1", "G2", "G4"}, reasonIDs(r)); diff != "" {
		t.Errorf("reasons (-want +got):\n%s", diff)
	}
	if len(r.Costs) < 7 {
		t.Errorf("want the full §3.4 cost list, got %d", len(r.Costs))
	}
	if !strings.Contains(strings.Join(stepsText(r), "\n"), "RPO 0 would cost 80.5 ms per commit, above your 50 ms budget") {
		t.Errorf("steps do not explain why RPO 0 is infeasible: %q", stepsText(r))
	}
	// "detect, log and repair later" on PostgreSQL 17: native logical
	// replication logs no UPDATE conflict before 18, pglogical logs each.
	if r.Engine != "pglogical" || r.Sequences != "uuid" || r.OwnerColumn != "merchant_id" {
		t.Errorf("engine/sequences/owner = %s/%s/%s", r.Engine, r.Sequences, r.OwnerColumn)
	}
}

// The engine of a mesh follows the conflict resolution the answers ask
// for and the PostgreSQL version, for every active-active design: native
// logical replication resolves nothing by commit time [R30], pglogical
// keeps the newest commit [R29] and is bootstrapped on ≤ 17 only; with no
// installable engine for last writer wins (18), a blocker says so.
func TestEngineFollowsConflictPolicy(t *testing.T) {
	for _, tc := range []struct {
		profile string
		policy  string
		pg      float64
		engine  string
		blocked bool
	}{
		{"aa-home-lww.yaml", PolicyLWW, 17, "pglogical", false},
		{"aa-home-lww.yaml", PolicyLWW, 16, "pglogical", false},
		{"aa-home-lww.yaml", PolicyLWW, 18, "native", true},
		{"aa-home-lww.yaml", PolicyRepair, 17, "pglogical", false},
		{"aa-home-lww.yaml", PolicyRepair, 18, "native", false},
		{"aa-home-lww.yaml", PolicyNever, 17, "native", false},
		{"aa-home-lww.yaml", PolicyNever, 15, "pglogical", false},
		{"aa-any-last-resort.yaml", PolicyLWW, 16, "pglogical", false},
		{"aa-any-last-resort.yaml", PolicyLWW, 18, "native", true},
	} {
		t.Run(fmt.Sprintf("%s/%s/%g", tc.profile, tc.policy, tc.pg), func(t *testing.T) {
			a := loadProfile(t, tc.profile)
			for id, v := range map[string]any{"conflict_policy": tc.policy, "pg_version": tc.pg} {
				if err := a.Set(id, v); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Recommend(a, Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Family != ActiveActive {
				t.Fatalf("design %s, want a mesh", r.Design)
			}
			if r.Engine != tc.engine {
				t.Errorf("engine = %s, want %s; notes %q", r.Engine, tc.engine, r.EngineNotes)
			}
			var b *Blocker
			for i := range r.Blockers {
				if r.Blockers[i].Gate == "engine" {
					b = &r.Blockers[i]
				}
			}
			switch {
			case tc.blocked && b == nil:
				t.Errorf("no engine blocker: %+v", r.Blockers)
			case tc.blocked && (!strings.Contains(b.Message, "last writer wins on PostgreSQL 18") || !strings.Contains(b.Fix, "pgactive") || !strings.Contains(b.Fix, "Spock")):
				t.Errorf("engine blocker does not say which engines give it: %+v", *b)
			case !tc.blocked && b != nil:
				t.Errorf("engine blocker %+v", *b)
			}
		})
	}
}

func stepsText(r *Recommendation) []string {
	var s []string
	for _, x := range r.Steps {
		s = append(s, x.Step+" "+x.Outcome)
	}
	return s
}

func TestIssueExampleArithmetic(t *testing.T) {
	// "99.99% leaves 52.6 min/year; your platform's failover takes ~60 s; 52 fit"
	a := loadProfile(t, "sp2-manual-dr.yaml") // CloudNativePG: 60 s
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if got := calcText(r, "budget_year"); !strings.HasPrefix(got, "99.99% leaves 52.6 min/year") {
		t.Errorf("budget line = %q", got)
	}
	if got := calcText(r, "failovers_fit"); !strings.Contains(got, "takes ~60 s") || !strings.HasSuffix(got, ": 52 fit in a year.") {
		t.Errorf("failovers line = %q", got)
	}
}

func TestThresholdOverrideChangesOutcome(t *testing.T) {
	th := DefaultThresholds()
	// With a 60-minute manual promotion the 99.99% budget no longer covers SP-2.
	if err := th.Override([]string{"manual_region_promotion_min=60"}); err != nil {
		t.Fatal(err)
	}
	r := recommendProfile(t, "sp2-manual-dr.yaml", Inputs{Thresholds: th})
	if r.Design != SP3 {
		t.Fatalf("design = %s, want SP-3", r.Design)
	}
	if len(r.Thresholds) != 1 || r.Thresholds[0].Name != "manual_region_promotion_min" {
		t.Errorf("overridden thresholds = %+v", r.Thresholds)
	}
}

func TestThresholdErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"manual_region_promotion=3", `unknown threshold "manual_region_promotion" (did you mean manual_region_promotion_min?)`},
		{"nonsense_name=1", `unknown threshold "nonsense_name" (known: `},
		{"far_writer_share_pct", `want name=value`},
		{"far_writer_share_pct=abc", `want a number`},
		{"far_writer_share_pct=-1", `must be > 0`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			th := DefaultThresholds()
			err := th.Override([]string{tc.in})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestAssessmentFindingsBlockDistributedDesigns(t *testing.T) {
	as := &assess.Report{SchemaVersion: 1, Verdict: "not ready", Findings: []assess.ReportFinding{
		{Rule: "AR101", Name: "missing-primary-key", Severity: "error", Object: "public.events", Message: "table has no primary key", Fix: "ALTER TABLE …"},
		{Rule: "AR110", Name: "extra-unique", Severity: "warning", Object: "public.users", Message: "2 unique indexes"},
	}, Skipped: []assess.ReportSkipped{{Rule: "AR200", Reason: "pg_stat_statements not installed"}}}
	aa := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{Assessment: as})
	if len(aa.Blockers) != 1 || aa.Blockers[0].Object != "public.events" || aa.Verdict != "not ready" {
		t.Errorf("AA blockers = %+v verdict %q", aa.Blockers, aa.Verdict)
	}
	if !strings.Contains(strings.Join(aa.Risks, "\n"), "pg_stat_statements not installed") {
		t.Errorf("skipped check not reported: %q", aa.Risks)
	}
	sp := recommendProfile(t, "5.1-saas-cool.yaml", Inputs{Assessment: as})
	if len(sp.Blockers) != 0 {
		t.Errorf("physical replication should not be blocked: %+v", sp.Blockers)
	}
}

func TestForecastGateF3(t *testing.T) {
	a := loadProfile(t, "aa-any-last-resort.yaml")
	if err := a.Set("conflict_policy", PolicyRepair); err != nil {
		t.Fatal(err)
	}
	fc := &forecast.Report{SchemaVersion: 1, LagMs: 100, TotalConflictsPerDay: 0.5,
		HotRows: []forecast.HotRow{{Table: "public.stock", Key: "id=7", WritesPerSec: 20, PConflict: 0.2}}}
	r, err := Recommend(a, Inputs{Forecast: fc})
	if err != nil {
		t.Fatal(err)
	}
	// A row hot above hot_row_p_conflict makes its table home-routed: no
	// any-node writes; without an owner column the table gets one home.
	if r.Design != AAHome {
		t.Fatalf("design = %s, want AA-HOME (the forecast's hot row must be home-routed)", r.Design)
	}
	want := []TableMode{{Table: "public.stock", Mode: ModeHome, Home: "us-east-1",
		Why: []string{"forecast: hot row id=7, P(conflict per write) 20% at 20 writes/s (above 1%)"}}}
	if diff := cmp.Diff(want, r.Tables); diff != "" {
		t.Errorf("tables (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(stepsText(r), "\n"), "public.stock: forecast: hot row id=7") {
		t.Errorf("steps do not name the table in the forecast's words: %q", stepsText(r))
	}
	// Below the threshold the row does not weigh in.
	cool := &forecast.Report{SchemaVersion: 1, LagMs: 100, HotRows: []forecast.HotRow{{Table: "stock", Key: "id=7", WritesPerSec: 1, PConflict: 0.005}}}
	if r, err := Recommend(a, Inputs{Forecast: cool}); err != nil || r.Design != AAAny || len(r.Tables) != 0 {
		t.Errorf("cool row: design %s, tables %+v, err %v", r.Design, r.Tables, err)
	}
	// "never" with more than 0.01 conflicts/day fails F3 as well.
	if err := a.Set("conflict_policy", PolicyNever); err != nil {
		t.Fatal(err)
	}
	if err := a.Set("partition_key", PartitionYes); err != nil {
		t.Fatal(err)
	}
	r, err = Recommend(a, Inputs{Forecast: fc})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design != AAHome || !strings.Contains(calcText(r, "forecast_conflicts"), "0.5 conflicts/day") {
		t.Errorf("design %s, forecast line %q", r.Design, calcText(r, "forecast_conflicts"))
	}
}

func TestRenderFormats(t *testing.T) {
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{})
	for _, f := range Formats {
		t.Run(f, func(t *testing.T) {
			var b bytes.Buffer
			if err := r.Write(&b, f); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "AA-HOME") || !strings.Contains(b.String(), "150 conflicts/s") {
				t.Errorf("%s output lacks the design or the arithmetic:\n%s", f, b.String())
			}
			if f == "json" {
				var back Recommendation
				if err := json.Unmarshal(b.Bytes(), &back); err != nil {
					t.Fatal(err)
				}
				if back.SchemaVersion != 1 || back.Design != AAHome {
					t.Errorf("json round trip: %+v", back.Design)
				}
			}
		})
	}
	if err := r.Write(&bytes.Buffer{}, "sarif"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestResidencyAndDDLAndHotRowCeiling(t *testing.T) {
	a := loadProfile(t, "5.4-payments-five-nines.yaml")
	for id, v := range map[string]any{"residency": true, "residency_regions": []string{"eu-west-1"}, "ddl_cadence": DDLWeekly} {
		if err := a.Set(id, v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	// A mesh would copy the EU rows to us-east-1: residency moves the design
	// to geo-partitioning, and what it cannot give (region loss for the EU
	// owners, who have no second region inside eu-west-1) is a blocker.
	if r.Design != WPGeo {
		t.Fatalf("design = %s, want WP-GEO", r.Design)
	}
	for _, c := range r.Copies {
		if c.Region != "eu-west-1" && (c.HomeOf == "" || c.HomeOf == "eu-west-1") {
			t.Errorf("copy %+v holds EU rows outside eu-west-1", c)
		}
	}
	if q := requirement(r, ReqResidency); q == nil || !q.Met {
		t.Errorf("residency requirement = %+v", q)
	}
	if !hasBlocker(r, "region loss", "owners homed in eu-west-1 have no copy outside it") {
		t.Errorf("no region-loss blocker for the EU owners: %+v", r.Blockers)
	}
	// DDL is not replicated by logical replication: a weekly cadence rolls
	// out on every primary.
	var ops string
	for _, c := range r.Costs {
		if c.Title == "Operations" {
			ops = c.Detail
		}
	}
	if !strings.Contains(ops, "weekly schema changes roll out on every primary") {
		t.Errorf("operations cost = %q", ops)
	}
	// SP-SYNC across sites 0.375 ms apart caps a row at ≈ 2 667 updates/s.
	b := loadProfile(t, "5.3-bank-rac.yaml")
	for id, v := range map[string]any{"hot_rows": true, "hot_row_updates_per_sec": 3000.0} {
		if err := b.Set(id, v); err != nil {
			t.Fatal(err)
		}
	}
	r, err = Recommend(b, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(r.Risks, "\n"), "Your hottest row takes 3000 updates/s, above the ≈ 2667 updates/s") {
		t.Errorf("no hot-row ceiling risk: %q", r.Risks)
	}
}

// Extreme but valid answers still give a recommendation every format can write.
func TestExtremeAnswersRender(t *testing.T) {
	for name, extra := range map[string]map[string]any{
		"tiny rtt":    {"rtt_ms": map[string]float64{"us-east-1/us-west-2": 0.01}, "rpo_region": RPOZero, "hot_rows": true, "hot_row_updates_per_sec": 1e7},
		"six nines":   {"slo_target": 99.99999, "write_tps_peak": 1e9, "slo_window": "month"},
		"year apart":  {"disconnected_sites": DisconnectDays, "disconnect_hours": 8760.0, "hot_rows": true, "hot_row_updates_per_sec": 1e7},
		"90 percent":  {"slo_target": 90.0, "expected_failovers_per_year": 10000.0, "planned_switchovers_per_year": 10000.0},
		"tiny window": {"replication_window_ms": 0.1, "region_distance_km": map[string]float64{"a/b": 0.1}},
	} {
		t.Run(name, func(t *testing.T) {
			a := loadProfile(t, "aa-any-last-resort.yaml")
			for id, v := range extra {
				if err := a.Set(id, v); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Recommend(a, Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range Formats {
				var b bytes.Buffer
				if err := r.Write(&b, f); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
			}
		})
	}
}

// A write region under far_writer_share_pct that breaks the latency
// budget is never silent: it proposes no local writes by itself, but the
// far-writers requirement names it with its numbers, and a design that
// leaves it crossing lists it as a blocker.
func TestMinorFarWriters(t *testing.T) {
	r := recommendProfile(t, "minor-far-writers.yaml", Inputs{})
	q := requirement(r, ReqFarWriters)
	if q == nil || !q.Met || !strings.Contains(q.Text, "ap-southeast-2 (10% of writes, 435 ms per action) stay within the 100 ms write latency budget") {
		t.Fatalf("far-writers requirement = %+v", q)
	}
	if !strings.Contains(strings.Join(stepsText(r), "\n"), "under 20% of writes (far_writer_share_pct) they propose no local writes") {
		t.Errorf("steps do not say why STEP 4 moved nothing: %q", stepsText(r))
	}
	if len(r.Derived.Remote) != 1 || r.Derived.Remote[0].Matters || !r.Derived.Remote[0].Over {
		t.Errorf("remote writers %+v, want Sydney under far_writer_share_pct and over budget", r.Derived.Remote)
	}
	// Conflicts that must never happen without owners: any-node writes are
	// out, the single primary keeps Sydney crossing, as a blocker.
	a := loadProfile(t, "minor-far-writers.yaml")
	for id, v := range map[string]any{"partition_key": PartitionNo, "conflict_policy": PolicyNever} {
		if err := a.Set(id, v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Family != SinglePrimary || !hasBlocker(r, "far writers", "Writers in ap-southeast-2 (10% of writes, 435 ms per action) pay more than your 100 ms budget") {
		t.Errorf("design %s, blockers %+v", r.Design, r.Blockers)
	}
	// Under 1% of writes the p99 holds: no requirement, and the step says why.
	if err := a.Set("write_regions", []RegionShare{{Region: "us-east-1", Share: 99.5}, {Region: "ap-southeast-2", Share: 0.5}}); err != nil {
		t.Fatal(err)
	}
	if r, err = Recommend(a, Inputs{}); err != nil {
		t.Fatal(err)
	}
	if q := requirement(r, ReqFarWriters); q != nil || !strings.Contains(strings.Join(stepsText(r), "\n"), "0.5% of writes fit in the 1% a p99 leaves above it") {
		t.Errorf("0.5%% of writes: requirement %+v, steps %q", q, stepsText(r))
	}
}

// A site that writes while cut off holds writes nobody else has: with an
// RPO shorter than the offline window, losing its server must lose none
// of them (a synchronous standby at the site) or be a blocker; what the
// standby cannot keep, a site lost whole, is a risk line. Never silent.
func TestSiteRPO(t *testing.T) {
	r := recommendProfile(t, "wp-site-rpo.yaml", Inputs{})
	q := requirement(r, ReqSiteRPO)
	if q == nil || !q.Met || !strings.Contains(q.Text, "Site RPO (≤ 1 min): a site that writes while cut off (up to 12 h)") {
		t.Fatalf("site RPO requirement = %+v", q)
	}
	standby := false
	for _, c := range r.Copies {
		if c.Role == "site-standby" && c.Sync && c.Region == "us-east-1" {
			standby = true
		}
	}
	if !standby {
		t.Errorf("no synchronous standby at the sites: %+v", r.Copies)
	}
	if !strings.Contains(strings.Join(r.Risks, "\n"), "A site lost whole (fire, flood, theft) while cut off loses what it wrote since the cut (up to 12 h)") {
		t.Errorf("risks do not say what a site lost whole loses: %q", r.Risks)
	}
	if strings.Contains(strings.Join(r.HATooling, "\n"), "or none") {
		t.Errorf("HA tooling still offers no HA at a site: %q", r.HATooling)
	}
	for _, tc := range []struct {
		rpo   string
		hours float64
		want  bool
	}{
		{RPOHours, 12, true},   // an hour against 12 h offline
		{RPOHours, 0.5, false}, // half an hour offline fits an RPO of an hour
		{RPO15Min, 0.2, false},
		{RPOSecond, 0, true}, // "hours" without a length: at least an hour
	} {
		a := loadProfile(t, "wp-site-rpo.yaml")
		if err := a.Set("rpo_region", tc.rpo); err != nil {
			t.Fatal(err)
		}
		if err := a.Set("disconnect_hours", tc.hours); err != nil {
			t.Fatal(err)
		}
		r, err := Recommend(a, Inputs{})
		if err != nil {
			t.Fatal(err)
		}
		if got := requirement(r, ReqSiteRPO) != nil; got != tc.want || r.Design != WPSite {
			t.Errorf("RPO %s, %g h offline: site RPO requirement %v, want %v (design %s)", tc.rpo, tc.hours, got, tc.want, r.Design)
		}
	}
}

// An id allocator (AR206) whose rows carry the owner column is resolved
// by a write-partitioned design: each counter row is written only in its
// owner's home. Shared across owners, or under a mesh that takes a lost
// region's owners over, it stays a blocker.
func TestAllocatorHomedByPartitioning(t *testing.T) {
	allocator := func(cols ...string) *assess.Report {
		return &assess.Report{SchemaVersion: 1, Verdict: assess.VerdictNotReady,
			Findings: []assess.ReportFinding{{Rule: "AR206", Name: "id-allocator", Severity: "error", Object: "public.district.d_next_o_id", Table: "public.district",
				Message: "public.district.d_next_o_id hands out key values", Fix: "Give each of the 2 nodes its own counter rows"}},
			Tables: []assess.TableAdvice{
				{Table: "public.district", Advice: assess.AdviceHome, Reasons: []string{"id-allocator"}, Errors: 1, Columns: cols},
				{Table: "public.orders", Advice: assess.AdviceHome, Reasons: []string{"id-allocator"}, Columns: []string{"o_id", "tenant_id"}},
			}}
	}
	owned := allocator("tenant_id", "d_id", "d_next_o_id")
	r := recommendProfile(t, "wp-geo-far-users.yaml", Inputs{Assessment: owned})
	if r.Design != WPGeo {
		t.Fatalf("design = %s", r.Design)
	}
	for _, b := range r.Blockers {
		if strings.Contains(b.Gate, "id-allocator") {
			t.Errorf("the allocator homed by the partitioning is still a blocker: %+v", b)
		}
	}
	var why []string
	for _, tm := range r.Tables {
		if tm.Table == "public.district" {
			why = tm.Why
		}
	}
	if !strings.Contains(strings.Join(why, "\n"), "id-allocator resolved by the design: every public.district row carries the owner column tenant_id") {
		t.Errorf("reasons of public.district = %q", why)
	}
	if !strings.Contains(strings.Join(stepsText(r), "\n"), "1 id allocator(s) resolved by the partitioning") {
		t.Errorf("steps = %q", stepsText(r))
	}
	for _, tc := range []struct {
		name, profile string
		as            *assess.Report
		want          string
	}{
		{"shared row", "wp-geo-far-users.yaml", allocator("d_id", "d_next_o_id"), "the allocating rows are shared across owners (public.district has no owner column tenant_id)"},
		{"no columns", "wp-geo-far-users.yaml", allocator(), "the assessment lists no columns of public.district"},
		{"mesh", "5.4-payments-five-nines.yaml", allocator("merchant_id", "d_next_o_id"), "hands out key values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := recommendProfile(t, tc.profile, Inputs{Assessment: tc.as})
			found := false
			for _, b := range r.Blockers {
				if strings.Contains(b.Gate, "id-allocator") && strings.Contains(b.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: no id-allocator blocker saying %q: %+v", r.Design, tc.want, r.Blockers)
			}
		})
	}
}
