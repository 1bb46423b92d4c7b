package decide

import (
	"math"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v (±%v)", name, got, want, tol)
	}
}

// Hand-worked: (1 − A) × 525 960 min; month = year / 12.
func TestBudgetMinutes(t *testing.T) {
	for _, tc := range []struct {
		a      float64
		window string
		want   float64
	}{
		{99.9, "year", 525.96},     // 8.77 h
		{99.9, "month", 43.83},     // 43.8 min
		{99.95, "year", 262.98},    // 4.38 h
		{99.99, "year", 52.596},    // 52.6 min
		{99.99, "month", 4.383},    // 4.38 min
		{99.99, "quarter", 13.149}, // 52.596 / 4
		{99.995, "year", 26.298},   // 26.3 min
		{99.999, "year", 5.2596},   // 5.26 min
		{99.999, "month", 0.4383},  // 26.3 s
		{99.9999, "year", 0.52596},
	} {
		near(t, tc.window, BudgetMinutes(tc.a, tc.window), tc.want, 1e-6)
	}
}

// decision.md §4.1 table: per-event downtime → failovers per year.
func TestFailoversThatFit(t *testing.T) {
	for _, tc := range []struct {
		a, perEvent float64
		want        string
	}{
		{99.99, 60, "52"},  // 52.596 → 52 whole events
		{99.99, 40, "78"},  // 78.9
		{99.99, 30, "105"}, // 105.2
		{99.999, 40, "7"},  // 7.889: a partial failover does not fit
		{99.999, 120, "2"}, // 2.63
		{99.9, 120, "262"}, // 262.98
		{99.99, 900, "3"},  // 15 min manual promotion: 3.5
		{99.999, 900, "0"}, // 0.35
	} {
		got := fmtCount(FailoversThatFit(BudgetMinutes(tc.a, "year"), tc.perEvent))
		if got != tc.want {
			t.Errorf("%v%% / %v s: %s fit, want %s", tc.a, tc.perEvent, got, tc.want)
		}
	}
	if !math.IsInf(FailoversThatFit(1, 0), 1) {
		t.Error("zero-length events should fit without limit")
	}
}

func TestGreatCircle(t *testing.T) {
	// A quarter of the equator: π/2 × 6 371 km.
	near(t, "quarter equator", GreatCircleKm(Coord{0, 0}, Coord{0, 90}), math.Pi/2*6371, 1e-6)
	near(t, "same point", GreatCircleKm(Coord{45, 7}, Coord{45, 7}), 0, 1e-9)
	// The region coordinates reproduce decision.md §4.3's great-circle column within 3%.
	for _, tc := range []struct {
		a, b string
		km   float64
	}{
		{"us-east-1", "eu-west-1", 5460},
		{"us-east-1", "us-west-2", 3500},
		{"us-east-1", "ap-southeast-2", 15670},
		{"eu-west-1", "ap-southeast-2", 17220},
		{"us-west-2", "ap-southeast-2", 12560},
		{"eu-west-1", "eu-central-1", 1090},
		{"ap-northeast-1", "ap-southeast-2", 7830},
		{"us-east-1", "ap-northeast-1", 10870},
		{"us-east-1", "sa-east-1", 7660},
	} {
		got := GreatCircleKm(regionLocations[tc.a], regionLocations[tc.b])
		near(t, tc.a+"/"+tc.b, got, tc.km, tc.km*0.03)
	}
}

func TestRTT(t *testing.T) {
	th := DefaultThresholds()
	a := NewAnswers()
	if err := a.Set("rtt_ms", map[string]float64{"eu-central-1/us-east-1": 92}); err != nil {
		t.Fatal(err)
	}
	if err := a.Set("region_distance_km", map[string]float64{"dc-a/dc-b": 25}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		a, b   string
		ok     bool
		ms     float64
		source string
	}{
		{"us-east-1", "eu-west-1", true, 80.5, RTTTable}, // [R25]
		{"eu-west-1", "us-east-1", true, 80.5, RTTTable}, // symmetric
		{"EU-West-1", "us-east-1", true, 80.5, RTTTable}, // case-insensitive
		{"DC-A", "dc-b", true, 0.375, RTTEstimated},
		{"us-east-1", "eu-central-1", true, 92, RTTUser},        // the user's measurement wins
		{"dc-b", "dc-a", true, 0.375, RTTEstimated},             // 25 km → 0.25 ms floor × 1.5
		{"us-east-1", "us-east-1", true, 1, RTTIntra},           // same region
		{"eu-west-2", "eu-west-3", true, 344 / 100.0 * 1.5, ""}, // London–Paris ≈ 344 km
		{"mars-1", "us-east-1", false, 0, ""},
	} {
		got, ok := RTT(tc.a, tc.b, a, th)
		if ok != tc.ok {
			t.Errorf("%s/%s: ok = %v", tc.a, tc.b, ok)
			continue
		}
		if !ok {
			continue
		}
		tol := 1e-9
		if tc.source == "" {
			tol = 0.1 // coordinates are approximate
		} else if got.Source != tc.source {
			t.Errorf("%s/%s: source %q, want %q", tc.a, tc.b, got.Source, tc.source)
		}
		near(t, tc.a+"/"+tc.b, got.Ms, tc.ms, tol)
	}
	floor, _ := RTT("dc-a", "dc-b", a, th)
	near(t, "floor", floor.FloorMs, 0.25, 1e-9)
}

func TestLatencyAndHotRow(t *testing.T) {
	near(t, "penalty", LatencyPenaltyMs(3, 80.5), 241.5, 1e-9)
	near(t, "ceiling 80 ms", HotRowCeiling(80), 12.5, 1e-9)
	near(t, "ceiling 230 ms", HotRowCeiling(230), 4.3478, 1e-4)
	if !math.IsInf(HotRowCeiling(0), 1) {
		t.Error("no wait should mean no ceiling")
	}
}

// decision.md's examples, worked by hand. A mesh logs conflicting
// applies: λ·Σᵢ sᵢ·Σ_{k≠i}(1 − e^(−W·λ'·(1 − sᵢ + s_k))), never more than
// λ·(N − 1), where the pair rate Σ 2W·λᵢ·λⱼ has no bound.
func TestConflictModel(t *testing.T) {
	// top merchant: 150 updates/s split 90/60, W = 100 ms: nearly every
	// write, 150/s, where the pair rate 2·0.1·90·60 says 1 080/s
	near(t, "key 2 nodes", forecast.RowConflictingApplies(0.1, 150, 150, []float64{0.6, 0.4}),
		150*(1-0.6*math.Exp(-12)-0.4*math.Exp(-18)), 1e-9)
	// three nodes at 10/s each: 30·3·⅓·2·(1 − e^−3) ≈ 57/s of at most 60/s
	near(t, "key 3 nodes", forecast.RowConflictingApplies(0.1, 30, 30, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}), 60*(1-math.Exp(-3)), 1e-9)
	// 1 000 writes/s uniform over 10 M rows, 2 regions: 0.1·10⁶·1/(2·10⁷) = 0.005/s = 432/day
	u := UniformConflictRate(0.1, 1000, 2, 1e7)
	near(t, "uniform", u, 0.005, 1e-12)
	near(t, "uniform/day", u*86400, 432, 1e-6)
	// a counter taking 1% of those writes (10/s, 5 per region): each write
	// meets one from the other region within ±W with 1 − e^(−2·0.1·5)
	near(t, "counter", forecast.RowConflictingApplies(0.1, 10, 10, []float64{0.5, 0.5}), 10*(1-math.Exp(-1)), 1e-9)
	near(t, "counter p", forecast.RowPConflict(0.1, 10, []float64{0.5, 0.5}), 1-math.Exp(-1), 1e-12)
	// home routing: f = 0 → 0; f = 0.5: 2·0.1·0.25·100 = 5 pairs/s
	near(t, "home f=0", HomeRoutedConflictRate(0.1, 0, 150), 0, 0)
	near(t, "home f=0.5", HomeRoutedConflictRate(0.1, 0.5, 10), 5, 1e-9)
	// offline store: 48 h window, another store writes once a week: 1 − e^(−96/168) ≈ 0.435
	near(t, "offline", PConflictPerWrite(48*3600, 1.0/(7*24*3600)), 1-math.Exp(-96.0/168), 1e-12)
	near(t, "offline value", PConflictPerWrite(48*3600, 1.0/(7*24*3600)), 0.4353, 1e-4)
	if UniformConflictRate(0.1, 1000, 1, 1e7) != 0 {
		t.Error("one region cannot conflict")
	}
}

func TestDerive(t *testing.T) {
	a := loadProfile(t, "5.4-payments-five-nines.yaml")
	d := Derive(a, DefaultThresholds())
	near(t, "budget", d.BudgetYearMin, 5.2596, 1e-9)
	// 4 × 40 s + 4 × 10 s = 200 s = 3.333 min
	near(t, "in-region", d.InRegionMin, 200.0/60, 1e-9)
	if d.Primary != "us-east-1" || len(d.Remote) != 1 || d.Remote[0].Region != "eu-west-1" || !d.Remote[0].Over {
		t.Fatalf("remote = %+v", d.Remote)
	}
	near(t, "penalty", d.Remote[0].PenaltyMs, 80.5, 1e-9)
	// the hottest row, 150 updates/s split 90/60, W = 100 ms: the conflicts
	// a mesh logs, as the forecast counts them, at most one per remote
	// change (150/s), not the pair rate 2W·λA·λB = 1 080/s
	near(t, "hot row", d.HotRowConflictsPerS, forecast.RowConflictingApplies(0.1, 150, 150, []float64{0.6, 0.4}), 1e-9)
	if d.HotRowConflictsPerS > 150 {
		t.Errorf("hot row: %g conflicts/s, above the 150/s a node applies", d.HotRowConflictsPerS)
	}
	near(t, "p conflict", d.HotRowPConflict, forecast.RowPConflict(0.1, 150, []float64{0.6, 0.4}), 1e-12)
	near(t, "ceiling", d.HotRowCeiling, 1000/80.5, 1e-9)
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtMin(52.596), "52.6 min"},
		{fmtMin(525.96), "8.77 h"},
		{fmtMin(0.4383), "26.3 s"},
		{fmtMin(5.2596), "5.26 min"},
		{fmtSec(40), "40 s"},
		{fmtMs(0.375), "0.38 ms"},
		{fmtMs(80.5), "80.5 ms"},
		{fmtPct(779.3), "779%"},
		{fmtPct(4.07), "4.1%"},
		{fmtNum(12.5000), "12.5"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestRPO(t *testing.T) {
	for _, c := range []struct {
		answer string
		want   time.Duration
		ok     bool
	}{
		{"", 0, false}, {RPOZero, 0, true}, {RPOSecond, time.Second, true}, {RPOMinute, time.Minute, true},
		{RPO15Min, 15 * time.Minute, true}, {RPOHours, time.Hour, true},
	} {
		a := NewAnswers()
		if c.answer != "" {
			if err := a.Set("rpo_region", c.answer); err != nil {
				t.Fatal(err)
			}
		}
		if got, ok := RPO(a); got != c.want || ok != c.ok {
			t.Errorf("RPO(%q) = %s, %v; want %s, %v", c.answer, got, ok, c.want, c.ok)
		}
	}
}
