package decide

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
)

// chooser draws the choices of one generated answers file: from a seeded
// random source (the property test) or from fuzz bytes (the fuzz target).
type chooser interface{ next(n int) int }

type randChooser struct{ r *rand.Rand }

func (c randChooser) next(n int) int { return c.r.IntN(n) }

type byteChooser struct {
	data []byte
	i    int
}

func (c *byteChooser) next(n int) int {
	if c.i >= len(c.data) {
		return 0
	}
	b := int(c.data[c.i])
	c.i++
	return b % n
}

// regionNames mixes regions with coordinates, measured pairs, sites of
// one's own and case variants; residencyNames regions, jurisdictions and
// what is neither (a prefix such as ap).
var regionNames = []string{"us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-2",
	"ap-southeast-2", "ap-northeast-1", "sa-east-1", "dc-north", "dc-south", "store-17", "EU-West-1"}

var residencyNames = []string{"eu", "us", "eu-west-1", "eu-central-1", "us-east-1", "ap-southeast-2", "Germany", "dc-north", "ap"}

func pick[T any](c chooser, xs []T) T { return xs[c.next(len(xs))] }

// genNumber draws a value of a number question: its bounds, its default,
// a preset, or something in between.
func genNumber(c chooser, q Question) float64 {
	hi := q.Max
	if hi == 0 {
		hi = q.Min + 1e6
	}
	vals := []float64{q.Min, hi, q.Min + (hi-q.Min)/2, q.Min + (hi-q.Min)*float64(c.next(1000))/1000}
	if d, ok := q.Default.(float64); ok {
		vals = append(vals, d)
	}
	for _, o := range q.Options {
		if f, err := parseNumber(o.Value); err == nil {
			vals = append(vals, f)
		}
	}
	switch q.ID {
	case "write_latency_budget_ms":
		vals = append(vals, 5, 50, 100)
	case "hot_row_updates_per_sec":
		vals = append(vals, 0.5, 150, 3000)
	case "site_count":
		vals = append(vals, 300)
	}
	return pick(c, vals)
}

func genRegions(c chooser) []RegionShare {
	n := 1 + c.next(4)
	var out []RegionShare
	left := 100.0
	for i := 0; i < n; i++ {
		r := pick(c, regionNames)
		dup := false
		for _, x := range out {
			if strings.EqualFold(x.Region, r) {
				dup = true
			}
		}
		if dup {
			continue
		}
		share := left
		if i < n-1 {
			share = float64(c.next(int(left) + 1))
		}
		out = append(out, RegionShare{Region: r, Share: share})
		left -= share
	}
	if left > 0 {
		out[len(out)-1].Share += left
	}
	return out
}

func genPairs(c chooser, lo, hi float64) map[string]float64 {
	m := map[string]float64{}
	for i := c.next(3); i > 0; i-- {
		a, b := pick(c, regionNames), pick(c, regionNames)
		if a == b {
			continue
		}
		m[pairKey(a+"/"+b)] = lo + (hi-lo)*float64(c.next(1000))/1000
	}
	return m
}

// genAnswers draws a complete answers file from the whole answers space:
// every question, optional ones answered or left to their defaults.
func genAnswers(c chooser) Answers {
	a := NewAnswers()
	for _, q := range Bank {
		if !q.Required && c.next(3) == 0 {
			continue
		}
		var v any
		switch q.Kind {
		case KindSelect:
			v = pick(c, q.Options).Value
		case KindMultiSelect:
			var l []string
			for _, o := range q.Options {
				if c.next(3) == 0 {
					l = append(l, o.Value)
				}
			}
			if len(l) == 0 || (q.ID == "invariants" && slices.Contains(l, InvNone)) {
				l = []string{pick(c, q.Options).Value}
			}
			v = l
		case KindNumber:
			v = genNumber(c, q)
		case KindBool:
			v = c.next(2) == 1
		case KindText:
			switch q.ID {
			case "partition_key_name":
				v = pick(c, []string{"tenant_id", "store_id", ""})
			default:
				v = pick(c, append([]string{""}, regionNames...))
			}
		case KindTextList:
			var l []string
			for i := c.next(4); i > 0; i-- {
				l = append(l, pick(c, residencyNames))
			}
			v = dedupe(l)
		case KindRegions:
			v = genRegions(c)
		case KindNumberMap:
			if q.ID == "rtt_ms" {
				v = genPairs(c, 0.01, 400)
			} else {
				v = genPairs(c, 0.1, 20000)
			}
		}
		if err := a.Set(q.ID, v); err != nil && q.Required {
			_ = a.Set(q.ID, provisional[q.ID])
		}
	}
	return a
}

// genInputs draws evidence: an assessment with per-table advice, errors,
// warnings and skipped checks, and a forecast with hot rows.
func genInputs(c chooser) Inputs {
	var in Inputs
	if c.next(2) == 1 {
		as := &assess.Report{SchemaVersion: 1, Verdict: assess.VerdictReadyConditions}
		advice := []string{assess.AdviceAnywhere, assess.AdviceHome, assess.AdviceKeepLocal, assess.AdviceInsertOnly, "add a key, then home-route"}
		for i := c.next(4); i > 0; i-- {
			t := fmt.Sprintf("public.t%d", c.next(5))
			as.Tables = append(as.Tables, assess.TableAdvice{Table: t, Advice: pick(c, advice), Reasons: []string{"counter-update"}})
			as.Findings = append(as.Findings, assess.ReportFinding{Rule: "AR602", Name: "counter-update", Severity: pick(c, []string{"error", "warning", "info"}), Object: t, Table: t, Message: "m"})
		}
		as.Findings = append(as.Findings, assess.ReportFinding{Rule: "AR604", Name: "advisory-lock", Severity: "warning", Object: "statement q.sql:1", Message: "m"})
		as.Skipped = append(as.Skipped, assess.ReportSkipped{Rule: "AR601", Name: "hot-row", Reason: "no stats"}, assess.ReportSkipped{Reason: "settings: none"})
		in.Assessment = as
	}
	if c.next(2) == 1 {
		f := &forecast.Report{SchemaVersion: 1, LagMs: 100}
		for i := c.next(3); i > 0; i-- {
			f.HotRows = append(f.HotRows, forecast.HotRow{Table: pick(c, []string{"t0", "public.t1", "public.t2"}), Key: "id=1", WritesPerSec: 10, PConflict: pick(c, []float64{0, 0.005, 0.2, 1})})
		}
		f.TotalConflictsPerDay = float64(c.next(3))
		in.Forecast = f
	}
	return in
}

var personPromotes = regexp.MustCompile(`promoted by (a person|hand|runbook)`)

// checkRecommendation holds one recommendation to the rules every answers
// file must meet: no panic, a documented design, and every hard requirement
// met or listed as a blocker (checked here from the answers and the copies,
// not from the procedure's own verdict).
func checkRecommendation(t *testing.T, a Answers, in Inputs) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		y, _ := a.YAML()
		t.Fatalf("%s\nanswers:\n%s", fmt.Sprintf(format, args...), y)
	}
	var r *Recommendation
	func() {
		defer func() {
			if p := recover(); p != nil {
				fail("panic: %v", p)
			}
		}()
		var err error
		if r, err = Recommend(a, in); err != nil {
			fail("complete answers rejected: %v", err)
		}
	}()
	des := DesignByID(r.Design)
	if des.Title == "" || des.Family != r.Family {
		fail("design %q (family %q) is not a documented outcome", r.Design, r.Family)
	}
	blocked := func(id string) bool {
		for _, b := range r.Blockers {
			if b.Gate == RequirementGate(id) {
				return true
			}
		}
		return false
	}
	for _, q := range r.Requirements {
		if !q.Met && !blocked(q.ID) {
			fail("requirement %s broken without a blocker: %s", q.ID, q.Why)
		}
	}
	primary := a.PrimaryRegion()
	regionFD := a.Has("failure_domain", DomainRegion) || a.Has("failure_domain", DomainProvider)
	// Residency: a copy of every row lies inside each residency region that
	// has writers; a copy of one home's rows inside that home's region.
	if a.Bool("residency") {
		entries := a.List("residency_regions")
		if len(entries) == 0 {
			for _, w := range a.Regions() {
				entries = append(entries, w.Region)
			}
		}
		// The jurisdictions residencyNames uses, written out here: the
		// European Union's regions are its member states' (not London's).
		jurisdiction := map[string][]string{
			"eu":      {"eu-west-1", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1"},
			"us":      {"us-east-1", "us-east-2", "us-west-1", "us-west-2"},
			"germany": {"eu-central-1"},
		}
		in := func(e, region string) bool {
			e, region = strings.ToLower(e), strings.ToLower(region)
			return region != "" && (region == e || slices.Contains(jurisdiction[e], region))
		}
		withRows := func(e string) bool {
			if in(e, primary) {
				return true
			}
			for _, w := range a.Regions() {
				if in(e, w.Region) {
					return true
				}
			}
			return false
		}
		for _, c := range r.Copies {
			for _, e := range entries {
				if !withRows(e) {
					continue
				}
				holds := c.HomeOf == "" || in(e, c.HomeOf)
				if holds && !in(e, c.Region) && !blocked(ReqResidency) {
					fail("%s: the %s in %q holds rows that must stay in %s, and no residency blocker", r.Design, c.Role, c.Region, e)
				}
			}
		}
	}
	// RPO 0: a synchronous copy outside the failure domain of every writer.
	if a.String("rpo_region") == RPOZero && regionFD && !blocked(ReqRPO0) {
		if r.Family == ActiveActive {
			fail("RPO 0 under asynchronous %s without a blocker", r.Design)
		}
		sync := false
		for _, c := range r.Copies {
			if c.Sync && c.Region != "" && !strings.EqualFold(c.Region, primary) {
				sync = true
			}
		}
		if !sync {
			fail("RPO 0 across regions met by %s without a synchronous copy in another region: %+v", r.Design, r.Copies)
		}
	}
	// Region loss: a copy outside the region, automated when the RTO asks.
	if regionFD && !blocked(ReqRegionLoss) {
		rto := a.String("rto_region")
		switch {
		case r.Design == SP1:
			fail("region loss in the failure domain met by SP-1")
		case rto == RTOZero && r.Family != ActiveActive:
			fail("region RTO ~0 met by %s", r.Design)
		}
		for _, c := range r.Copies {
			if c.Promotion == "manual" && (rto == RTOAuto || rto == RTOZero) {
				fail("region RTO %s met by a manual promotion", rto)
			}
		}
	}
	// Far writers: every write region over the latency budget (beyond what
	// colocating the app tier fixes), whatever its share, is held to it once
	// they add up to more than the 1% of writes a p99 leaves above it.
	over, trips, budget := 0.0, a.Number("db_round_trips_per_action"), a.Number("write_latency_budget_ms")
	var farRegions []string
	for _, w := range r.Derived.Remote {
		if w.KnownRTT && w.Over && !(trips > 1 && w.RTT.Ms <= budget) {
			over += w.Share
			farRegions = append(farRegions, w.Region)
		}
	}
	if over > 1 {
		var far *Requirement
		for i := range r.Requirements {
			if r.Requirements[i].ID == ReqFarWriters {
				far = &r.Requirements[i]
			}
		}
		for _, region := range farRegions {
			if far == nil || !strings.Contains(far.Text, region+" (") {
				fail("writers in %s break the %g ms budget, but the far-writers requirement does not name them: %+v", region, budget, far)
			}
		}
		if r.Family == SinglePrimary && !blocked(ReqFarWriters) {
			fail("%s leaves writers in %v over the budget without a blocker", r.Design, farRegions)
		}
	}
	// Site RPO: a site that writes while cut off for longer than the RPO
	// keeps a synchronous standby, or the design lists a blocker.
	if dis := a.String("disconnected_sites"); dis != DisconnectNo && (r.Design == WPSite || r.Design == AAAny || (r.Design == AAHome && a.String("partition_key") != PartitionNo)) {
		window := a.Number("disconnect_hours") * 3600
		if window <= 0 {
			window = map[string]float64{DisconnectMin: 60, DisconnectHours: 3600, DisconnectDays: 86400}[dis]
		}
		rpo := map[string]float64{RPOSecond: 1, RPOMinute: 60, RPO15Min: 900, RPOHours: 3600}[a.String("rpo_region")]
		standby := false
		for _, c := range r.Copies {
			standby = standby || (c.Role == "site-standby" && c.Sync)
		}
		if rpo > 0 && window > rpo && !standby && !blocked(ReqSiteRPO) {
			fail("%s lets sites write cut off for %gs against an RPO of %gs, with no standby at the sites and no blocker", r.Design, window, rpo)
		}
	}
	if a.String("conflict_policy") == PolicyNever && r.Design == AAAny && !blocked(ReqNever) {
		fail("AA-ANY for conflicts that must never happen, without a blocker")
	}
	for _, tm := range r.Tables {
		if tm.Mode == ModeHome && r.Design == AAAny {
			fail("AA-ANY although %s must be home-routed", tm.Table)
		}
	}
	for _, f := range Formats {
		var b bytes.Buffer
		if err := r.Write(&b, f); err != nil {
			fail("%s: %v", f, err)
		}
		s := b.String()
		for _, bad := range []string{"%!", "NaN", "+Inf"} {
			if strings.Contains(s, bad) {
				fail("%s output holds %q:\n%s", f, bad, s)
			}
		}
		if f == "text" {
			if strings.Contains(s, "without a human") && personPromotes.MatchString(s) {
				fail("\"without a human\" next to a person promoting:\n%s", s)
			}
			if strings.Contains(s, "research/") || !strings.Contains(s, "docs/references.md") {
				fail("sources do not point at docs/references.md")
			}
		}
	}
}

// Answers drawn across the whole answers space never crash recommend, and
// every recommendation meets its hard requirements or lists them.
func TestRecommendProperties(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	for seed := range n {
		c := randChooser{rand.New(rand.NewPCG(uint64(seed), 12))}
		a := genAnswers(c)
		in := genInputs(c)
		checkRecommendation(t, a, in)
	}
}

func FuzzRecommend(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("region loss, RPO 0, one region, hot rows"))
	f.Add(bytes.Repeat([]byte{1, 2, 3, 250, 7}, 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &byteChooser{data: data}
		a := genAnswers(c)
		checkRecommendation(t, a, genInputs(c))
	})
}
