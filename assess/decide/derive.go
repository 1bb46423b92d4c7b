package decide

import (
	"math"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
)

// Minutes in a 365.25-day year (docs/decision.md).
const minutesPerYear = 525960.0

// BudgetMinutes is the downtime allowed by availability a (percent) over a
// window: "year", "quarter" or "month" (year/4, year/12).
func BudgetMinutes(a float64, window string) float64 {
	b := (1 - a/100) * minutesPerYear
	switch window {
	case "month":
		return b / 12
	case "quarter":
		return b / 4
	}
	return b
}

// FailoversThatFit is how many events of perEventSeconds fit in budgetMinutes.
func FailoversThatFit(budgetMinutes, perEventSeconds float64) float64 {
	if perEventSeconds <= 0 {
		return math.Inf(1)
	}
	return budgetMinutes * 60 / perEventSeconds
}

// PlatformInfo describes a platform's in-region failover.
type PlatformInfo struct {
	ID          string
	Name        string
	FailoverLow float64 // seconds, low end of the documented range
	Failover    float64 // seconds, upper end: what the budget uses
	Switchover  float64 // seconds per planned switchover
	Source      string
	HATool      string
	Managed     bool
	// Measured: Failover comes from aadvisor drill, not the documentation.
	Measured bool `json:",omitempty"`
}

var platforms = map[string]PlatformInfo{
	PlatformPatroni:    {ID: PlatformPatroni, Name: "Patroni", FailoverLow: 30, Source: "[R5] ttl 30 s + loop_wait 10 s", HATool: "Patroni (etcd/Consul DCS)"},
	PlatformCNPG:       {ID: PlatformCNPG, Name: "CloudNativePG", FailoverLow: 40, Source: "[R6] primary unready after 40–55 s", HATool: "CloudNativePG"},
	PlatformPAF:        {ID: PlatformPAF, Name: "pg_auto_failover", FailoverLow: 20, Source: "[R7] node_considered_unhealthy_timeout 20 s", HATool: "pg_auto_failover (monitor + 2 data nodes)"},
	PlatformRDS:        {ID: PlatformRDS, Name: "RDS Multi-AZ DB instance", FailoverLow: 60, Source: "[R8] \"typically 60–120 seconds\"", HATool: "RDS Multi-AZ", Managed: true},
	PlatformRDSCluster: {ID: PlatformRDSCluster, Name: "RDS Multi-AZ DB cluster", FailoverLow: 20, Source: "[R9] \"typically under 35 seconds\"", HATool: "RDS Multi-AZ DB cluster", Managed: true},
	PlatformAurora:     {ID: PlatformAurora, Name: "Aurora", FailoverLow: 10, Source: "[R10] \"within 30 seconds\", measured 10–16 s", HATool: "Aurora (6-way storage replication)", Managed: true},
	PlatformManaged:    {ID: PlatformManaged, Name: "managed PostgreSQL", FailoverLow: 60, Source: "assumption: like RDS Multi-AZ instance", HATool: "the provider's HA", Managed: true},
	PlatformEdge:       {ID: PlatformEdge, Name: "edge hardware", FailoverLow: 30, Source: "assumption: Patroni defaults on site hardware", HATool: "Patroni per site (or none: site-local restore)"},
}

// Platform returns the failover figures for a platform id, with the upper
// end and switchover time taken from thresholds.
func Platform(id string, t Thresholds) (PlatformInfo, bool) {
	p, ok := platforms[id]
	if !ok {
		return PlatformInfo{}, false
	}
	p.Failover = t.Get("failover_s_" + id)
	if p.Managed {
		p.Switchover = t.Get("switchover_s_managed")
	} else {
		p.Switchover = t.Get("switchover_s_selfmanaged")
	}
	return p, true
}

// Coord is an approximate metro coordinate of a cloud region.
type Coord struct{ Lat, Lon float64 }

// regionLocations are approximate metro coordinates of AWS regions, used for
// great-circle distances when no measured RTT exists (docs/decision.md).
var regionLocations = map[string]Coord{
	"us-east-1":      {39.04, -77.49},  // Ashburn
	"us-east-2":      {39.96, -83.00},  // Columbus
	"us-west-1":      {37.34, -121.89}, // San Jose
	"us-west-2":      {45.84, -119.70}, // Boardman
	"ca-central-1":   {45.50, -73.57},  // Montreal
	"sa-east-1":      {-23.55, -46.63}, // São Paulo
	"eu-west-1":      {53.35, -6.26},   // Dublin
	"eu-west-2":      {51.51, -0.13},   // London
	"eu-west-3":      {48.86, 2.35},    // Paris
	"eu-central-1":   {50.11, 8.68},    // Frankfurt
	"eu-north-1":     {59.33, 18.07},   // Stockholm
	"eu-south-1":     {45.46, 9.19},    // Milan
	"ap-northeast-1": {35.68, 139.69},  // Tokyo
	"ap-northeast-2": {37.57, 126.98},  // Seoul
	"ap-southeast-1": {1.35, 103.82},   // Singapore
	"ap-southeast-2": {-33.87, 151.21}, // Sydney
	"ap-south-1":     {19.08, 72.88},   // Mumbai
}

// measuredRTT is the AWS inter-region average latency matrix (2017) [R25],
// as quoted in docs/decision.md Keys are sorted pairs.
var measuredRTT = map[string]float64{
	"eu-west-1/us-east-1":           80.5,
	"us-east-1/us-west-2":           87.0,
	"ap-southeast-2/us-east-1":      230,
	"ap-southeast-2/eu-west-1":      310,
	"ap-southeast-2/us-west-2":      162,
	"eu-central-1/eu-west-1":        19.6,
	"ap-northeast-1/ap-southeast-2": 104,
	"ap-northeast-1/us-east-1":      145,
	"sa-east-1/us-east-1":           120,
}

// GreatCircleKm is the haversine distance on a 6 371 km sphere.
func GreatCircleKm(a, b Coord) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// RTT sources.
const (
	RTTUser      = "measured (your answers)"
	RTTTable     = "measured 2017 AWS matrix [R25]"
	RTTEstimated = "estimate: 1.5 × floor (1 ms per 100 km) [R26]"
	RTTIntra     = "same region (AZ to AZ, assumption)"
)

// RTTEstimate is a round-trip time with where it came from.
type RTTEstimate struct {
	A, B    string
	Ms      float64
	FloorMs float64 // physical floor, 0 if the distance is unknown
	Km      float64 // great-circle distance, 0 if unknown
	Source  string
}

// RTT returns the round trip between two regions or sites: the user's
// measurement, else the measured matrix, else rtt_estimate_factor × the
// distance floor. ok is false when nothing is known about the pair.
func RTT(a, b string, ans Answers, t Thresholds) (RTTEstimate, bool) {
	e := RTTEstimate{A: a, B: b}
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	if a == b {
		e.Ms, e.Source = t.Get("intra_region_rtt_ms"), RTTIntra
		return e, true
	}
	key := pairKey(a + "/" + b)
	km, haveKm := lowerPairs(ans.Pairs("region_distance_km"))[key]
	if !haveKm {
		la, oka := regionLocations[a]
		lb, okb := regionLocations[b]
		if oka && okb {
			km, haveKm = GreatCircleKm(la, lb), true
		}
	}
	if haveKm {
		e.Km = km
		e.FloorMs = km / t.Get("km_per_ms_rtt")
	}
	if ms, ok := lowerPairs(ans.Pairs("rtt_ms"))[key]; ok {
		e.Ms, e.Source = ms, RTTUser
		return e, true
	}
	if ms, ok := measuredRTT[key]; ok {
		e.Ms, e.Source = ms, RTTTable
		return e, true
	}
	if haveKm {
		e.Ms, e.Source = e.FloorMs*t.Get("rtt_estimate_factor"), RTTEstimated
		return e, true
	}
	return e, false
}

// lowerPairs returns m with lower-cased, re-sorted pair keys.
func lowerPairs(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[pairKey(strings.ToLower(k))] = v
	}
	return out
}

// LatencyPenaltyMs is what a far writer pays: sequential round trips × RTT.
func LatencyPenaltyMs(roundTrips, rttMs float64) float64 { return roundTrips * rttMs }

// HotRowCeiling is the most updates/s one row can take when each commit
// holds the row lock for one synchronous round trip (derived from [R19]).
func HotRowCeiling(commitWaitMs float64) float64 {
	if commitWaitMs <= 0 {
		return math.Inf(1)
	}
	return 1000 / commitWaitMs
}

// PConflictPerWrite is the probability that one write on a key conflicts,
// given the other nodes write it at lOther/s: 1 − exp(−2·W·λ_other).
func PConflictPerWrite(w, lOther float64) float64 { return 1 - math.Exp(-2*w*lOther) }

// UniformConflictRate is conflicts/s for total rate T spread uniformly over
// D keys and N equal regions: W·T²·(N−1)/(N·D).
func UniformConflictRate(w, t float64, n int, d float64) float64 {
	if n < 2 || d <= 0 {
		return 0
	}
	return w * t * t * float64(n-1) / (float64(n) * d)
}

// HomeRoutedConflictRate is conflicts/s on a key of rate λ when a share f of
// its writes is made outside its home region: 2·W·f(1−f)·λ².
func HomeRoutedConflictRate(w, f, lambda float64) float64 {
	return 2 * w * f * (1 - f) * lambda * lambda
}

// RemoteWriter is a write region other than the primary's.
type RemoteWriter struct {
	Region    string      `json:"region"`
	Share     float64     `json:"share_pct"`
	RTT       RTTEstimate `json:"rtt"`
	KnownRTT  bool        `json:"known_rtt"`
	PenaltyMs float64     `json:"penalty_ms"`
	Over      bool        `json:"over_budget"`
	Matters   bool        `json:"matters"` // share ≥ far_writer_share_pct
}

// Derived holds the quantities computed from the answers before any rule
// fires (docs/decision.md).
type Derived struct {
	Availability    float64      `json:"availability_pct"`
	Window          string       `json:"window"`
	BudgetYearMin   float64      `json:"budget_year_min"`
	BudgetMonthMin  float64      `json:"budget_month_min"`
	BudgetWindowMin float64      `json:"budget_window_min"`
	Platform        PlatformInfo `json:"platform"`
	FailoversFit    float64      `json:"failovers_fit_per_year"`
	// InRegionMin is the yearly downtime in-region HA is expected to spend:
	// failovers × failover time (+ switchovers if maintenance counts).
	InRegionMin   float64        `json:"in_region_min_per_year"`
	Primary       string         `json:"primary_region"`
	Remote        []RemoteWriter `json:"remote_writers,omitempty"`
	Nearest       *RTTEstimate   `json:"nearest_region_rtt,omitempty"` // nearest other write region to the primary
	HotRowCeiling float64        `json:"hot_row_ceiling_per_s,omitempty"`
	WindowS       float64        `json:"replication_window_s"`
	// HotRow: the conflicts a mesh would log on the hottest row if every
	// region wrote it at its share (any-node): conflicting applies, at
	// most one per remote change applied, and P(a write conflicts), as the
	// forecast computes them for a hot row (RowConflictingApplies,
	// RowPConflict).
	HotRowConflictsPerS float64 `json:"hot_row_conflicts_per_s,omitempty"`
	HotRowPConflict     float64 `json:"hot_row_p_conflict,omitempty"`
}

// Derive computes the derived quantities.
func Derive(a Answers, t Thresholds) Derived {
	d := Derived{Availability: a.Number("slo_target"), Window: a.String("slo_window")}
	d.BudgetYearMin = BudgetMinutes(d.Availability, "year")
	d.BudgetMonthMin = BudgetMinutes(d.Availability, "month")
	d.BudgetWindowMin = BudgetMinutes(d.Availability, d.Window)
	if p, ok := Platform(a.String("platform"), t); ok {
		d.Platform = p
		d.FailoversFit = FailoversThatFit(d.BudgetYearMin, p.Failover)
		d.InRegionMin = a.Number("expected_failovers_per_year") * p.Failover / 60
		if a.Bool("maintenance_counts") {
			d.InRegionMin += a.Number("planned_switchovers_per_year") * p.Switchover / 60
		}
	}
	d.Primary = a.PrimaryRegion()
	budget := a.Number("write_latency_budget_ms")
	trips := a.Number("db_round_trips_per_action")
	for _, r := range a.Regions() {
		if r.Region == d.Primary {
			continue
		}
		rw := RemoteWriter{Region: r.Region, Share: r.Share, Matters: r.Share >= t.Get("far_writer_share_pct")}
		rw.RTT, rw.KnownRTT = RTT(d.Primary, r.Region, a, t)
		if rw.KnownRTT {
			rw.PenaltyMs = LatencyPenaltyMs(trips, rw.RTT.Ms)
			rw.Over = rw.PenaltyMs > budget
			if d.Nearest == nil || rw.RTT.Ms < d.Nearest.Ms {
				e := rw.RTT
				d.Nearest = &e
			}
		}
		d.Remote = append(d.Remote, rw)
	}
	if d.Nearest != nil {
		d.HotRowCeiling = HotRowCeiling(d.Nearest.Ms)
	}
	d.WindowS = a.Number("replication_window_ms") / 1000
	if a.String("disconnected_sites") != DisconnectNo && a.Number("disconnect_hours") > 0 {
		// offline sites: the window is the disconnection (docs/decision.md)
		d.WindowS = a.Number("disconnect_hours") * 3600
	}
	if a.Bool("hot_rows") && a.Number("hot_row_updates_per_sec") > 0 {
		// An answered rate is the row's rate λ, and the rate λ' of its
		// other writes is λ too (a forecast estimates both from a trace).
		lambda := a.Number("hot_row_updates_per_sec")
		var shares []float64
		for _, r := range a.Regions() {
			shares = append(shares, r.Share/100)
		}
		d.HotRowConflictsPerS = forecast.RowConflictingApplies(d.WindowS, lambda, lambda, shares)
		d.HotRowPConflict = forecast.RowPConflict(d.WindowS, lambda, shares)
	}
	return d
}

// RPO is the most data the rpo_region answer allows a region loss to lose,
// as the replication lag that loses it: 0 for RPO 0, one hour for "hours".
// ok is false when the question was not answered.
func RPO(a Answers) (rpo time.Duration, ok bool) {
	switch a.String("rpo_region") {
	case RPOZero:
		return 0, true
	case RPOSecond:
		return time.Second, true
	case RPOMinute:
		return time.Minute, true
	case RPO15Min:
		return 15 * time.Minute, true
	case RPOHours:
		return time.Hour, true
	}
	return 0, false
}
