package decide

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/templates"
)

// TestMeasuredFailover: a failover time measured by aadvisor drill
// replaces the platform's assumed one in the budget arithmetic, and says
// so, in the recommendation and on the report page.
func TestMeasuredFailover(t *testing.T) {
	ans, err := ReadAnswers(filepath.Join("testdata", "profiles", "5.3-bank-rac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	assumed, err := Recommend(ans, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	m := &MeasuredFailover{Seconds: 12.5, Source: "measured by aadvisor drill: kill-primary, worst of 3 run(s)"}
	rec, err := Recommend(ans, Inputs{Measured: m})
	if err != nil {
		t.Fatal(err)
	}
	d := rec.Derived
	if !d.Platform.Measured || d.Platform.Failover != 12.5 || d.Platform.Source != m.Source {
		t.Fatalf("platform %+v", d.Platform)
	}
	if want := FailoversThatFit(d.BudgetYearMin, 12.5); d.FailoversFit != want || d.FailoversFit <= assumed.Derived.FailoversFit {
		t.Errorf("failovers that fit: %v (assumed %v), want %v", d.FailoversFit, assumed.Derived.FailoversFit, want)
	}
	wantIn := ans.Number("expected_failovers_per_year")*12.5/60 + ans.Number("planned_switchovers_per_year")*d.Platform.Switchover/60
	if !ans.Bool("maintenance_counts") {
		wantIn = ans.Number("expected_failovers_per_year") * 12.5 / 60
	}
	if math.Abs(d.InRegionMin-wantIn) > 1e-9 {
		t.Errorf("in-region minutes %v, want %v", d.InRegionMin, wantIn)
	}
	found := false
	for _, c := range rec.Arithmetic {
		if c.Name == "failovers_fit" {
			found = true
			if !strings.Contains(c.Text, "measured") || c.Source != m.Source {
				t.Errorf("arithmetic line %+v does not say measured", c)
			}
		}
	}
	if !found {
		t.Error("no failovers_fit line")
	}
	// The page: the budget says measured, the drill section is there.
	in := HTMLInputs{Recommendation: rec, Answers: &ans, Drill: &DrillView{Fault: "kill-primary", Kind: "streaming", Met: true, MeasuredFailoverS: 12.5,
		Items:  []DrillItem{{Measure: "write outage (RTO)", Target: "≤ 40 s", Measured: "12.5 s", Class: "good"}},
		Runs:   []DrillRunRow{{N: 1, Broken: "primary", RTO: "12.5 s", Class: "good"}},
		Charts: []templates.LineChart{{ID: "chart-drill-1", Title: "Run 1", Series: []templates.Series{{Name: "acknowledged", Points: []templates.Point{{X: 0, Y: 20}, {X: 0.1, Y: 0}}}}}}}}
	page := renderReport(t, in)
	for _, want := range []string{`<section id="drill">`, "12.5 s, measured", `id="chart-drill-1"`, "Failover drill (kill-primary)"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
