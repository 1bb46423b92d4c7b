package decide

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/assess/forecast/forecasttest"
)

// The hot-row line of recommend prints the conflicts a mesh would log with
// their digits, also for a lukewarm row: 0.2 updates/s split 60/40 at
// W = 100 ms is ≈ 0.0038 conflicts/s (328/day), never "≈ 0".
func TestHotRowLineSmallRate(t *testing.T) {
	a := loadProfile(t, "5.4-payments-five-nines.yaml")
	if err := a.Set("hot_row_updates_per_sec", 0.2); err != nil {
		t.Fatal(err)
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	got := calcText(r, "hot_row_conflicts")
	if !strings.Contains(got, "≈ 0.0038 conflicts/s (328/day), at most 0.2/s") || strings.Contains(got, "≈ 0 conflicts") {
		t.Errorf("hot-row line = %q", got)
	}
}

// A managed platform has no synchronous copy in another region: RPO 0
// across regions is a blocker on every design (never met by an SP-SYNC
// Aurora cannot build), and the HA line names no setting it cannot set.
// With the budget already overrun the shorter regional outage wins, and
// no time "left" is negative.
func TestManagedPlatformRPO0AcrossRegions(t *testing.T) {
	r := recommendProfile(t, "rpo0-aurora-two-regions.yaml", Inputs{})
	if r.Design != SP3 {
		t.Fatalf("design = %s, want SP-3", r.Design)
	}
	if q := requirement(r, ReqRPO0); q == nil || q.Met || !strings.Contains(q.Why, "Global Database) is asynchronous") {
		t.Errorf("RPO 0 = %+v", q)
	}
	if !hasBlocker(r, "RPO 0", "[R11]") {
		t.Errorf("no RPO 0 blocker citing [R11]: %+v", r.Blockers)
	}
	for _, c := range r.Copies {
		if c.Sync && c.Region != "us-east-1" {
			t.Errorf("a synchronous copy in %s on Aurora: %+v", c.Region, c)
		}
	}
	for _, d := range r.Compared {
		if d.Design == SPSync {
			t.Errorf("SP-SYNC across regions weighed on Aurora: %+v", d)
		}
	}
	text := renderText(t, r)
	if strings.Contains(text, "synchronous_standby_names") {
		t.Errorf("a setting Aurora does not have:\n%s", text)
	}
	if m := regexp.MustCompile(`-\d[\d.]* (s|min|h)\b`).FindString(text); m != "" {
		t.Errorf("a negative time (%q):\n%s", m, text)
	}
	if !strings.Contains(text, "nothing is left for it (in-region failovers already overrun the budget by 44.4 s per year)") {
		t.Errorf("the overrun is not said:\n%s", text)
	}
}

// RPO 0 for node and AZ loss on a managed platform prices no commit wait to
// another region.
func TestRPO0InRegionPricesNoRemoteCommit(t *testing.T) {
	r := recommendProfile(t, "rpo0-managed-az.yaml", Inputs{})
	for _, c := range r.Arithmetic {
		if c.Name == "sync_commit" {
			t.Errorf("a synchronous commit to another region priced: %q", c.Text)
		}
	}
	if q := requirement(r, ReqRPO0); q == nil || !q.Met {
		t.Errorf("RPO 0 = %+v", q)
	}
}

// SP-SYNC with its standby in another region says so, and a region RTO
// that lets a person promote is not turned into "without a human".
func TestSPSyncAcrossRegionsWords(t *testing.T) {
	r := recommendProfile(t, "rpo0-one-region-hot.yaml", Inputs{}) // rto_region 15m
	if r.Design != SPSync || !strings.Contains(r.What, "us-east-2, another region") || strings.Contains(r.What, "inside a region or metro") {
		t.Errorf("%s: %q", r.Design, r.What)
	}
	for _, d := range r.Drivers {
		if d.Question == "failure_domain" && strings.Contains(d.Effect, "without a human") {
			t.Errorf("driver %q, with a region RTO that lets a person promote", d.Effect)
		}
	}
}

// Invariants and a hot row without an owner column make "one writer" a
// hard requirement: any-node writes break it, so AA-ANY is never chosen
// for them, and the trace never speaks of owners that do not exist.
func TestOneWriterWithoutOwners(t *testing.T) {
	a := loadProfile(t, "aa-any-last-resort.yaml")
	if err := a.Set("invariants", []string{InvUnique}); err != nil {
		t.Fatal(err)
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design == AAAny {
		t.Fatalf("AA-ANY with invariants and no owner:\n%s", renderText(t, r))
	}
	if q := requirement(r, ReqOneWriter); q == nil || !q.Met {
		t.Errorf("one writer = %+v", q)
	}
	steps := strings.Join(stepsText(r), "\n")
	if strings.Contains(steps, "owner's home region") {
		t.Errorf("owners named where there are none:\n%s", steps)
	}
	for _, d := range r.Compared {
		if d.Design == AAAny && !strings.Contains(strings.Join(d.Breaks, "\n"), "one writer: any node writes any row") {
			t.Errorf("AA-ANY breaks %q", d.Breaks)
		}
	}
}

// Without an owner column the home-routed tables live in the primary
// region: far writers still pay the round trip for them, which is a broken
// requirement (not a met one next to a risk line).
func TestFarWritersAndHomeTablesWithoutOwner(t *testing.T) {
	a := loadProfile(t, "aa-any-last-resort.yaml") // us-east-1 / us-west-2, 87 ms
	if err := a.Set("write_latency_budget_ms", 50.0); err != nil {
		t.Fatal(err)
	}
	r, err := Recommend(a, Inputs{Assessment: shopAssessment(t)})
	if err != nil {
		t.Fatal(err)
	}
	q := requirement(r, ReqFarWriters)
	if q == nil || q.Met || !strings.Contains(q.Why, "homed in us-east-1 (no owner column") {
		t.Errorf("far writers = %+v (design %s)", q, r.Design)
	}
	if !hasBlocker(r, "far writers", "public.customers") {
		t.Errorf("no far-writers blocker naming the tables: %+v", r.Blockers)
	}
	// When a standby meets the region RTO too, the mesh buys nothing over
	// it: breaking the same, the less distributed design wins.
	if err := a.Set("rto_region", RTOManual); err != nil {
		t.Fatal(err)
	}
	r, err = Recommend(a, Inputs{Assessment: shopAssessment(t)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design != SP2 {
		t.Errorf("design = %s, want SP-2:\n%s", r.Design, renderText(t, r))
	}
	for _, d := range r.Compared {
		if d.Design == AAHome && !strings.Contains(strings.Join(d.Breaks, "\n"), "homed in us-east-1") {
			t.Errorf("AA-HOME breaks %q", d.Breaks)
		}
	}
}

// A blocker's fix SQL is a block of its own that copies back exactly: in
// the text indented line by line, in markdown fenced, in JSON apart from
// the fix sentence.
func TestBlockerFixSQL(t *testing.T) {
	r := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: shopAssessment(t)})
	var b *Blocker
	for i := range r.Blockers {
		if strings.Contains(r.Blockers[i].FixSQL, "\n") {
			b = &r.Blockers[i]
			break
		}
	}
	if b == nil {
		t.Fatalf("no blocker with multi-line fix SQL: %+v", r.Blockers)
	}
	if strings.Contains(b.Fix, b.FixSQL) || strings.Contains(b.Fix, "\n") {
		t.Errorf("fix sentence holds the SQL: %q", b.Fix)
	}
	text := renderText(t, r)
	if !strings.Contains(text, b.Object+": ") || strings.Contains(text, b.Object+" "+b.Object) {
		t.Errorf("object not set apart from the message:\n%s", text)
	}
	for _, l := range strings.Split(b.FixSQL, "\n") {
		if !strings.Contains(text, "\n        "+l+"\n") {
			t.Errorf("text lacks the SQL line %q indented", l)
		}
	}
	var md bytes.Buffer
	if err := r.Write(&md, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "  ```sql\n  "+strings.ReplaceAll(b.FixSQL, "\n", "\n  ")+"\n  ```") {
		t.Errorf("markdown lacks the fenced SQL:\n%s", md.String())
	}
}

// The rejected designs are not all cheaper: the heading says
// alternatives. Under a single primary the per-table modes say they are
// for logical replication.
func TestSinglePrimaryWords(t *testing.T) {
	r := recommendProfile(t, "one-region.yaml", Inputs{Assessment: shopAssessment(t)})
	text := renderText(t, r)
	if r.Family != SinglePrimary || strings.Contains(text, "Cheaper alternatives") || !strings.Contains(text, "\nAlternatives rejected\n  • AA-ANY: not needed") {
		t.Errorf("%s:\n%s", r.Design, text)
	}
	if !strings.Contains(text, "one primary writes every row, so these apply only to logical replication") {
		t.Errorf("per-table modes under a single primary:\n%s", text)
	}
}

// Under a mesh that home-routes tables, a forecast replayed with any node
// writing (route hash) is not the design's conflict rate: the risk line
// says which share the routing removes, with the number written out.
func TestLWWRiskUnderHomeRouting(t *testing.T) {
	as := &assess.Report{SchemaVersion: 1, Tables: []assess.TableAdvice{{Table: "public.a", Advice: assess.AdviceHome, Reasons: []string{"counter-update"}}}}
	fc := &forecast.Report{SchemaVersion: 3, LagMs: 100, Regions: 2, Route: "hash", TotalConflictsPerDay: 5e6,
		Tables: []forecast.Table{{Schema: "public", Name: "a", Table: "public.a", ConflictsPerDay: 4e6}, {Schema: "public", Name: "b", Table: "public.b", ConflictsPerDay: 1e6}}}
	r := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: as, Forecast: fc})
	if r.Design != AAHome {
		t.Fatalf("design = %s", r.Design)
	}
	risks := strings.Join(r.Risks, "\n")
	if !strings.Contains(risks, "with any node writing any row (route hash), expects 5,000,000 last-writer-wins conflicts/day: 4,000,000 of them are on rows this design home-routes") {
		t.Errorf("risks:\n%s", risks)
	}
}

// A forecast file read for recommend keeps the route its replay used: a
// replay routed by the owner column is the design's conflict rate, not
// any-node writes. (The decision once read files into a second type that
// dropped the route, and said "route hash" of every file.)
func TestLWWRiskRouteFromFile(t *testing.T) {
	as := &assess.Report{SchemaVersion: 1, Tables: []assess.TableAdvice{{Table: "public.a", Advice: assess.AdviceHome, Reasons: []string{"counter-update"}}}}
	path := forecasttest.Save(t, &forecast.Report{SchemaVersion: forecast.SchemaVersion, LagMs: 100, Regions: 2, Route: "column:owner_id",
		Tables: []forecast.Table{{Schema: "public", Name: "a", Table: "public.a", ConflictsPerDay: 4e6}, {Schema: "public", Name: "b", Table: "public.b", ConflictsPerDay: 1e6}}})
	fc, err := forecast.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	r := recommendProfile(t, "aa-any-last-resort.yaml", Inputs{Assessment: as, Forecast: fc})
	risks := strings.Join(r.Risks, "\n")
	if !strings.Contains(risks, "Expect silent lost updates at this rate: 5,000,000 last-writer-wins conflicts/day (the forecast, route column:owner_id).") {
		t.Errorf("risks:\n%s", risks)
	}
}

// The advice on enforcing invariants gives the reason of the invariants
// answered: no "unique value" for a non-negative balance.
func TestInvariantAdviceWords(t *testing.T) {
	a := loadProfile(t, "5.4-payments-five-nines.yaml")
	if err := a.Set("invariants", []string{InvNonNegative}); err != nil {
		t.Fatal(err)
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	advice := strings.Join(r.Advice, "\n")
	if !strings.Contains(advice, "Enforce non-negative balances or stock in the owner's home region only; two withdrawals approved on two nodes can together overdraw a balance [R13].") || strings.Contains(advice, "unique value") {
		t.Errorf("advice:\n%s", advice)
	}
}
