package decide

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess"
)

func requirement(r *Recommendation, id string) *Requirement {
	for i := range r.Requirements {
		if r.Requirements[i].ID == id {
			return &r.Requirements[i]
		}
	}
	return nil
}

func hasBlocker(r *Recommendation, gate, text string) bool {
	for _, b := range r.Blockers {
		if b.Gate == gate && strings.Contains(b.Message, text) {
			return true
		}
	}
	return false
}

func renderText(t *testing.T, r *Recommendation) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The answers that once crashed recommend (one write region, standby_region
// set, RPO 0, region in the failure domain, hot rows) give SP-SYNC with the
// hot-row ceiling priced at the standby's round trip.
func TestRPO0OneWriteRegionHotRowsNoPanic(t *testing.T) {
	r := recommendProfile(t, "rpo0-one-region-hot.yaml", Inputs{})
	if r.Design != SPSync {
		t.Fatalf("design = %s", r.Design)
	}
	if q := requirement(r, ReqRPO0); q == nil || !q.Met || !strings.Contains(q.Why, "us-east-2") {
		t.Errorf("RPO 0 = %+v", q)
	}
	if !strings.Contains(strings.Join(r.Risks, "\n"), "Your hottest row takes 500 updates/s, above the ≈ 138 updates/s") {
		t.Errorf("no hot-row ceiling risk: %q", r.Risks)
	}
}

// Whether standby_region is given does not decide RPO 0: without it the
// nearest region stands in, and the outcome is the same.
func TestRPO0DoesNotDependOnStandbyRegion(t *testing.T) {
	with := recommendProfile(t, "rpo0-one-region-hot.yaml", Inputs{})
	without := recommendProfile(t, "rpo0-no-standby-region.yaml", Inputs{})
	if with.Design != without.Design {
		t.Errorf("design with standby_region %s, without %s", with.Design, without.Design)
	}
	if q := requirement(without, ReqRPO0); q == nil || !q.Met {
		t.Errorf("RPO 0 without standby_region = %+v", q)
	}
	if got := without.Copies[len(without.Copies)-1]; got.Region != "us-east-2" || !got.Sync || !strings.Contains(got.Why, "standby_region not given") {
		t.Errorf("synchronous copy = %+v", got)
	}
}

// RPO 0 is met or a blocker, never a risk line, and never under an
// asynchronous design without a blocker.
func TestRPO0MetOrBlocker(t *testing.T) {
	for _, name := range []string{"rpo0-infeasible.yaml", "rpo0-mesh-wanted.yaml", "rpo0-one-region-hot.yaml", "rpo0-no-standby-region.yaml", "5.3-bank-rac.yaml"} {
		t.Run(name, func(t *testing.T) {
			r := recommendProfile(t, name, Inputs{})
			for _, s := range r.Risks {
				if strings.Contains(s, "RPO 0") {
					t.Errorf("RPO 0 as a risk line: %q", s)
				}
			}
			q := requirement(r, ReqRPO0)
			if q == nil {
				t.Fatal("no RPO 0 requirement")
			}
			if q.Met != !hasBlocker(r, "RPO 0", "") {
				t.Errorf("met %v but blockers %+v", q.Met, r.Blockers)
			}
			if q.Met && r.Design != SPSync {
				t.Errorf("RPO 0 met by %s", r.Design)
			}
		})
	}
	r := recommendProfile(t, "rpo0-mesh-wanted.yaml", Inputs{})
	if r.Design != SPSync || !hasBlocker(r, "region loss", "RTO is ~0") {
		t.Errorf("RTO ~0 with RPO 0: design %s, blockers %+v", r.Design, r.Blockers)
	}
	for _, b := range r.Blockers {
		if strings.HasPrefix(b.Gate, "F") {
			t.Errorf("an active-active gate outlived the move to %s: %+v", r.Design, b)
		}
	}
}

// Residency: no node outside a residency region holds its rows; otherwise
// a blocker says why.
func TestResidencyProfiles(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    DesignID
		copies  []string // region:role
	}{
		// eu is the European Union: London (eu-west-2) is outside it, Paris inside.
		{"residency-eu.yaml", SP2, []string{"eu-west-1:primary", "eu-west-3:dr-standby"}},
		{"residency-two-jurisdictions.yaml", WPGeo, []string{"eu-west-1:owner", "eu-west-3:dr-standby", "us-east-1:owner", "us-east-2:dr-standby"}},
		{"residency-one-region.yaml", SP1, []string{"eu-central-1:primary"}},
		{"wp-geo-far-users.yaml", WPGeo, []string{"us-east-1:owner", "ap-southeast-2:owner"}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			r := recommendProfile(t, tc.profile, Inputs{})
			if r.Design != tc.want {
				t.Errorf("design = %s, want %s", r.Design, tc.want)
			}
			var got []string
			for _, c := range r.Copies {
				got = append(got, c.Region+":"+c.Role)
			}
			if strings.Join(got, " ") != strings.Join(tc.copies, " ") {
				t.Errorf("copies = %v, want %v", got, tc.copies)
			}
			if q := requirement(r, ReqResidency); q == nil || !q.Met {
				t.Errorf("residency = %+v", q)
			}
		})
	}
	// eu-central-1 alone may hold the rows: the standby_region us-east-1 is
	// refused and region loss is the blocker, with the way out.
	r := recommendProfile(t, "residency-one-region.yaml", Inputs{})
	if !hasBlocker(r, "region loss", "keeps no copy outside eu-central-1") {
		t.Errorf("blockers = %+v", r.Blockers)
	}
	if !strings.Contains(r.Blockers[0].Fix, "if the rows may live anywhere in the European Union, name the jurisdiction (residency_regions: [eu]: eu-north-1, eu-south-1, eu-west-1, eu-west-3)") {
		t.Errorf("fix = %q", r.Blockers[0].Fix)
	}
	var sp2 *DesignCheck
	for i := range r.Compared {
		if r.Compared[i].Design == SP2 {
			sp2 = &r.Compared[i]
		}
	}
	if sp2 == nil || !strings.Contains(strings.Join(sp2.Breaks, ";"), "the DR standby in us-east-1 would hold every row, including those that must stay in eu-central-1") {
		t.Errorf("SP-2 in the comparison = %+v", sp2)
	}
}

// When nothing meets every requirement the fallback breaks the least: an
// automated promotion at 104% of what is left beats a manual one at 779%.
func TestFallbackBreaksTheLeast(t *testing.T) {
	r := recommendProfile(t, "rto0-never-five-nines.yaml", Inputs{})
	if r.Design != SP3 {
		t.Fatalf("design = %s, want SP-3", r.Design)
	}
	pcts := map[DesignID]float64{}
	for _, c := range r.Compared {
		pcts[c.Design] = c.BudgetPct
	}
	if pcts[SP3] != 103.8 || pcts[SP2] != 778.7 || !r.Compared[0].Chosen || r.Compared[0].Design != SP3 {
		t.Errorf("compared = %+v", r.Compared)
	}
	text := renderText(t, r)
	for _, want := range []string{"Nothing meets every requirement: the designs compared", "▶ SP-3", "(a region loss uses 104% of the budget left)", "(a region loss uses 779% of the budget left)"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

// "Without a human" never stands next to a person promoting the standby.
func TestNoHumanNeverNextToAPerson(t *testing.T) {
	th := DefaultThresholds()
	// an automated promotion slower than a manual one makes SP-2 the fallback
	if err := th.Override([]string{"auto_region_promotion_min=40"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		profile string
		in      Inputs
	}{
		{"sp2-manual-dr.yaml", Inputs{}},
		{"rpo0-infeasible.yaml", Inputs{}},
		{"rto0-never-five-nines.yaml", Inputs{Thresholds: th}},
	} {
		r := recommendProfile(t, tc.profile, tc.in)
		text := renderText(t, r)
		if strings.Contains(text, "without a human") && regexp.MustCompile(`promoted by (a person|hand|runbook)`).MatchString(text) {
			t.Errorf("%s (%s): \"without a human\" next to a person promoting:\n%s", tc.profile, r.Design, text)
		}
	}
}

// The HA engine named is the user's platform's.
func TestWordsNameTheUsersPlatform(t *testing.T) {
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{}) // Patroni
	text := renderText(t, r)
	if strings.Contains(text, "CloudNativePG's scope") || !strings.Contains(text, "Patroni fails over automatically inside one cluster only") {
		t.Errorf("SP-1 rejection for Patroni:\n%s", text)
	}
	r = recommendProfile(t, "sp2-manual-dr.yaml", Inputs{}) // CloudNativePG
	if !strings.Contains(renderText(t, r), "not within CloudNativePG's scope") {
		t.Error("CloudNativePG's own words are missing for CloudNativePG")
	}
	// Too many failovers for the budget: the fix named is the platform's own.
	a := loadProfile(t, "sp2-manual-dr.yaml")
	if err := a.Set("expected_failovers_per_year", 100.0); err != nil {
		t.Fatal(err)
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	advice := strings.Join(r.Advice, "\n")
	if !strings.Contains(advice, "Shorten failovers: CloudNativePG") || strings.Contains(advice, "Patroni") || strings.Contains(advice, "RDS") {
		t.Errorf("advice for CloudNativePG: %q", r.Advice)
	}
}

// Region counts and peers come from the answers.
func TestRegionCountsFromAnswers(t *testing.T) {
	one := renderText(t, recommendProfile(t, "one-region.yaml", Inputs{}))
	stores := renderText(t, recommendProfile(t, "stores-300.yaml", Inputs{}))
	for name, text := range map[string]string{"one region": one, "300 stores": stores} {
		if strings.Contains(text, "each of 2 regions") {
			t.Errorf("%s: invented region count:\n%s", name, text)
		}
	}
	if strings.Contains(stores, "(1 peer(s) each") {
		t.Errorf("300 stores with one peer:\n%s", stores)
	}
	if !strings.Contains(one, "eu-central-1 and a second region (your writers sit in eu-central-1 only; a mesh needs two)") {
		t.Errorf("one region:\n%s", one)
	}
	if !strings.Contains(stores, "us-east-1 and at each of 300 sites") || !strings.Contains(stores, "300 peer(s) each") || !strings.Contains(stores, "rollout on 301 writers") {
		t.Errorf("300 stores:\n%s", stores)
	}
}

// Defaults the user did not give are marked, and "fit in a year" counts
// whole failovers.
func TestDefaultsMarkedAndWholeFailovers(t *testing.T) {
	r := recommendProfile(t, "one-region.yaml", Inputs{})
	if !slices.Contains(r.Advice, `Reads outnumber writes 10:1 (default): add async read replicas; "that's what read replicas are for" [R2].`) {
		t.Errorf("advice = %q", r.Advice)
	}
	if got := calcText(r, "in_region_need"); !strings.HasPrefix(got, "Expected in-region downtime: 4 failovers (default) × 60 s + 4 switchovers (default) × 10 s") {
		t.Errorf("in-region line = %q", got)
	}
	r = recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{}) // 99.999%, Patroni 40 s: 7.89
	if got := calcText(r, "failovers_fit"); !strings.HasSuffix(got, ": 7 fit in a year.") {
		t.Errorf("failovers line = %q", got)
	}
}

func shopAssessment(t *testing.T) *assess.Report {
	t.Helper()
	as, err := assess.ReadReport(filepath.Join("testdata", "evidence", "shop-assessment.json"))
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// A schema whose own audit says tables must be home-routed never gets
// AA-ANY: the tables are named in the audit's words.
func TestAuditHomeRoutedRulesOutAnyNode(t *testing.T) {
	as := shopAssessment(t)
	r := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: as})
	if r.Design != AAHome {
		t.Fatalf("design = %s, want AA-HOME", r.Design)
	}
	steps := strings.Join(stepsText(r), "\n")
	if !strings.Contains(steps, "public.inventory: assessment: home-routed writes only (") {
		t.Errorf("steps do not give the audit's words:\n%s", steps)
	}
	modes := map[string]TableMode{}
	for _, tm := range r.Tables {
		modes[tm.Table] = tm
	}
	for table, want := range map[string]string{"public.inventory": ModeHome, "public.sessions": ModeLocal, "public.audit_log": ModeInsertOnly} {
		if modes[table].Mode != want {
			t.Errorf("%s mode = %q, want %q", table, modes[table].Mode, want)
		}
	}
	if modes["public.inventory"].Home != "us-east-1" {
		t.Errorf("no owner column: inventory's home = %q, want the primary region", modes["public.inventory"].Home)
	}
	// Errors on tables kept local are not blockers: they are not replicated.
	for _, b := range r.Blockers {
		if strings.HasPrefix(b.Object, "public.sessions") || strings.HasPrefix(b.Object, "public.jobs") {
			t.Errorf("blocker on a local table: %+v", b)
		}
	}
	// The same from a report converted in process.
	if got := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: &assess.Report{SchemaVersion: 1, Tables: []assess.TableAdvice{{Table: "public.t", Advice: assess.AdviceHome, Reasons: []string{"counter-update"}}}}}); got.Design != AAHome {
		t.Errorf("one home-routed table: design %s", got.Design)
	}
	if got := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: &assess.Report{SchemaVersion: 1, Tables: []assess.TableAdvice{{Table: "public.t", Advice: assess.AdviceAnywhere}}}}); got.Design != AAAny {
		t.Errorf("only anywhere tables: design %s", got.Design)
	}
}

// Warnings are read: a table's warnings set its write mode, the others are
// listed; skipped checks always name their rules.
func TestAssessmentWarningsAndSkipped(t *testing.T) {
	as := shopAssessment(t)
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{Assessment: as})
	risks := strings.Join(r.Risks, "\n")
	for _, want := range []string{"Assessment warning AR604 advisory-lock on statement queries.sql:21", "Assessment warning AR605 listen-notify"} {
		if !strings.Contains(risks, want) {
			t.Errorf("risks lack %q:\n%s", want, risks)
		}
	}
	if strings.Contains(risks, "AR602 counter-update") {
		t.Errorf("a table's warning is repeated as a risk:\n%s", risks)
	}
	named := regexp.MustCompile(`^Assessment skipped AR\d+ [a-z-]+`)
	n := 0
	for _, s := range r.Risks {
		if strings.HasPrefix(s, "Assessment skipped") {
			n++
			if !named.MatchString(s) {
				t.Errorf("skipped line without its rule: %q", s)
			}
		}
	}
	if n == 0 || !strings.Contains(risks, "Assessment skipped AR901 wal-level, AR902 track-commit-timestamp, AR903 replication-capacity, AR904 slot-wal-retention, AR907 freeze-settings: offline input has no server settings; run assess --dsn") {
		t.Errorf("skipped lines:\n%s", risks)
	}
}

// Every design the procedure can choose is documented in docs/decision.md.
func TestDesignsDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "decision.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Designs {
		if !strings.Contains(string(doc), "**"+string(d.ID)+"**") {
			t.Errorf("docs/decision.md does not document %s", d.ID)
		}
	}
}

// JSON keeps the requirements, the comparison, the copies and the tables.
func TestRecommendationJSONCarriesEvidence(t *testing.T) {
	r := recommendProfile(t, "rto0-never-five-nines.yaml", Inputs{Assessment: shopAssessment(t)})
	var b bytes.Buffer
	if err := r.Write(&b, "json"); err != nil {
		t.Fatal(err)
	}
	var back Recommendation
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Requirements) == 0 || len(back.Compared) == 0 || len(back.Copies) == 0 || len(back.Tables) == 0 {
		t.Errorf("json lost evidence: %d requirements, %d compared, %d copies, %d tables", len(back.Requirements), len(back.Compared), len(back.Copies), len(back.Tables))
	}
}

// Residency groups regions by jurisdiction [R31, R32]: the way out of a
// region-loss blocker names a jurisdiction only where aadvisor knows
// another region inside it, and never suggests "eu" for Canada or
// Australia, which no name prefix can express.
func TestResidencyByJurisdiction(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		set     map[string]any
		design  DesignID
		fix     string // in the region-loss blocker's fix
	}{
		{"canada", "residency-one-region.yaml", map[string]any{"write_regions": []RegionShare{{Region: "ca-central-1", Share: 100}}, "residency_regions": []string{"ca-central-1"}, "standby_region": "us-east-1"},
			SP1, "no other region aadvisor knows lies in Canada (ca-central-1 is its only one in aadvisor's region table): name your other region there in residency_regions"},
		{"canada by name", "residency-one-region.yaml", map[string]any{"write_regions": []RegionShare{{Region: "ca-central-1", Share: 100}}, "residency_regions": []string{"Canada"}, "standby_region": ""},
			SP1, "no other region aadvisor knows lies in Canada"},
		{"australia", "wp-geo-far-users.yaml", map[string]any{"failure_domain": []string{DomainNode, DomainAZ, DomainRegion}, "rto_region": RTOManual, "slo_target": 99.9},
			WPGeo, "no other region aadvisor knows lies in Australia (ap-southeast-2 is its only one"},
		{"us region", "residency-one-region.yaml", map[string]any{"write_regions": []RegionShare{{Region: "us-west-2", Share: 100}}, "residency_regions": []string{"us-west-2"}, "standby_region": "eu-west-1"},
			SP1, "if the rows may live anywhere in the United States, name the jurisdiction (residency_regions: [us]: us-east-1, us-east-2, us-west-1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := loadProfile(t, tc.profile)
			for id, v := range tc.set {
				if err := a.Set(id, v); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Recommend(a, Inputs{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Design != tc.design {
				t.Errorf("design = %s, want %s", r.Design, tc.design)
			}
			var fixes []string
			for _, b := range r.Blockers {
				if b.Gate == RequirementGate(ReqRegionLoss) {
					fixes = append(fixes, b.Fix)
				}
			}
			all := strings.ToLower(strings.Join(fixes, "\n"))
			if !strings.Contains(all, strings.ToLower(tc.fix)) {
				t.Errorf("region-loss fixes = %q, want %q", all, tc.fix)
			}
			if strings.Contains(all, "eu") && !strings.Contains(tc.fix, "eu") {
				t.Errorf("the fix suggests eu for a region outside the EU: %q", all)
			}
			if q := requirement(r, ReqResidency); q == nil || !q.Met {
				t.Errorf("residency = %+v", q)
			}
		})
	}
	// Nested jurisdictions: Germany inside the EU holds; the DR standby of
	// Frankfurt's rows may not leave Germany, where aadvisor knows no other
	// region.
	a := loadProfile(t, "residency-eu.yaml")
	for id, v := range map[string]any{"write_regions": []RegionShare{{Region: "eu-central-1", Share: 60}, {Region: "us-east-1", Share: 40}}, "residency_regions": []string{"eu", "de"}} {
		if err := a.Set(id, v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Copies {
		if c.Region != "eu-central-1" && (c.HomeOf == "" || c.HomeOf == "eu-central-1") {
			t.Errorf("copy %+v holds German rows outside Germany", c)
		}
	}
	if q := requirement(r, ReqResidency); q == nil || !q.Met || !strings.Contains(q.Text, "de (Germany)") {
		t.Errorf("residency = %+v", q)
	}
}

// A rule that skipped some tables and judged others (hot-row with a
// statistics window too short for some of them) is said to have checked
// in part, not to have been skipped: the demo's page listed "Assessment
// skipped AR601 hot-row" beside tables home-routed for hot-row.
func TestAssessmentPartlySkipped(t *testing.T) {
	as := shopAssessment(t)
	why := "the table statistics cover 17s, too short to judge the update rate of public.orders"
	as.Skipped = append(as.Skipped, assess.ReportSkipped{Rule: "AR601", Name: "hot-row", Reason: why})
	as.Findings = append(as.Findings, assess.ReportFinding{Rule: "AR601", Name: "hot-row", Severity: "warning", Table: "public.inventory"})
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{Assessment: as})
	risks := strings.Join(r.Risks, "\n")
	if !strings.Contains(risks, "Assessment checked AR601 hot-row only in part (its findings on the other objects stand): "+why) ||
		strings.Contains(risks, "Assessment skipped AR601 hot-row: "+why) {
		t.Errorf("risks:\n%s", risks)
	}
}

// A warning that concerns some engines only (AR909: the server's
// output_plugin_libraries leaves out pglogical_output) is a risk of a
// design on one of them, and not of a design on another engine.
func TestEngineSpecificWarnings(t *testing.T) {
	warn := func(engine, plugin string) assess.ReportFinding {
		return assess.ReportFinding{Rule: "AR909", Name: "output-plugin-libraries", Severity: "warning", Category: "server",
			Object: "setting output_plugin_libraries", ObjectKind: "setting", Engines: []string{engine},
			Message: "output_plugin_libraries is \"pgoutput, test_decoding\", without " + plugin}
	}
	as := &assess.Report{SchemaVersion: 1, Findings: []assess.ReportFinding{warn("pglogical", "pglogical_output"), warn("native", "pgoutput")}}
	for _, c := range []struct{ profile, engine, want, not string }{
		{"aa-home-lww.yaml", "pglogical", "without pglogical_output", "without pgoutput"},
		{"wp-geo-far-users.yaml", "native", "without pgoutput", "without pglogical_output"},
	} {
		r := recommendProfile(t, c.profile, Inputs{Assessment: as})
		if r.Engine != c.engine {
			t.Fatalf("%s: engine %s, want %s", c.profile, r.Engine, c.engine)
		}
		risks := strings.Join(r.Risks, "\n")
		if !strings.Contains(risks, "Assessment warning AR909 output-plugin-libraries on setting output_plugin_libraries: output_plugin_libraries is \"pgoutput, test_decoding\", "+c.want) {
			t.Errorf("%s (%s): risks lack the warning %q:\n%s", c.profile, c.engine, c.want, risks)
		}
		if strings.Contains(risks, c.not) {
			t.Errorf("%s (%s): risks hold the other engine's warning %q:\n%s", c.profile, c.engine, c.not, risks)
		}
	}
}
