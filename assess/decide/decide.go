package decide

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect"
)

// Inputs are the optional evidence folded into a recommendation.
type Inputs struct {
	Thresholds Thresholds
	Assessment *assess.Report
	Forecast   *forecast.Report
	// Measured replaces the platform's assumed failover time (measured.go).
	Measured *MeasuredFailover
}

// decider carries the state of one run of the procedure.
type decider struct {
	a   Answers
	t   Thresholds
	in  Inputs
	d   Derived
	r   *Recommendation
	sp  DesignID // best single-primary variant so far
	wp  DesignID // write-partitioned candidate ("" = none)
	wps []Companion
	aa  DesignID // active-active candidate ("" = none)

	rejected   map[DesignID]string
	triggered  map[string]string // good reason id → why
	remoteSync bool              // SP-SYNC spans regions/sites
	syncCost   *Cost

	res       residency
	drs       map[string]drChoice // copy outside each home region
	modes     []TableMode         // per-table write modes from the evidence
	needLocal []RemoteWriter      // far writers over the latency budget (STEP 4)
	farMinor  []RemoteWriter      // far writers over it under far_writer_share_pct (minorFar)
	saturated bool                // the primary is saturated after tuning (STEP 0)
	ranStep7  bool
	pre7      mark // what the recommendation held before the active-active gates
	fdDriver  int  // index of the failure_domain driver, -1 if none
	// engineRisks are assessment warnings that concern some engines only
	// (AR909 for pglogical): listed once the engine is chosen, if it is one.
	engineRisks []engineRisk
}

type engineRisk struct {
	engines []string
	text    string
}

// mark counts the lists of a recommendation at one moment.
type mark struct{ blockers, risks, advice, drivers, notes int }

// Recommend runs the decision procedure of docs/decision.md and explains
// the result. Answers must be complete (see Answers.Complete).
func Recommend(a Answers, in Inputs) (*Recommendation, error) {
	if err := a.Complete(); err != nil {
		return nil, err
	}
	if in.Thresholds.values == nil {
		in.Thresholds = DefaultThresholds()
	}
	x := &decider{a: a, t: in.Thresholds, in: in, sp: SP1, rejected: map[DesignID]string{}, triggered: map[string]string{}, fdDriver: -1}
	x.d = Derive(a, x.t)
	x.res = residencyOf(a)
	x.d.applyMeasured(in.Measured, a)
	x.r = &Recommendation{SchemaVersion: 1, Derived: x.d}
	x.modes = x.tableModes()
	x.step0()
	x.step1()
	x.step2()
	x.step3()
	x.step4()
	x.step5()
	x.step6()
	x.choose()
	if x.r.Family == ActiveActive {
		x.step7()
	}
	x.requirements()
	x.schemaGate()
	x.finish()
	return x.r, nil
}

func (x *decider) step(name, format string, args ...any) {
	x.r.Steps = append(x.r.Steps, Step{Step: name, Outcome: fmt.Sprintf(format, args...)})
}

func (x *decider) drive(id, effect string) {
	x.r.Drivers = append(x.r.Drivers, Driver{Question: id, Answer: x.answerText(id), Effect: effect})
}

func (x *decider) calc(name string, v float64, unit, source, format string, args ...any) {
	x.r.Arithmetic = append(x.r.Arithmetic, Calc{Name: name, Value: round(v, 4), Unit: unit, Text: fmt.Sprintf(format, args...), Source: source})
}

func (x *decider) advise(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !slices.Contains(x.r.Advice, s) {
		x.r.Advice = append(x.r.Advice, s)
	}
}

func (x *decider) reject(id DesignID, format string, args ...any) {
	if _, ok := x.rejected[id]; !ok {
		x.rejected[id] = fmt.Sprintf(format, args...)
	}
}

// answerText renders an answer for people; an answer the user did not
// give is marked "(default)".
func (x *decider) answerText(id string) string {
	s := x.answerValue(id)
	if s != "(not answered)" {
		s += x.dflt(id)
	}
	return s
}

// dflt is " (default)" when the question was not answered.
func (x *decider) dflt(id string) string {
	if x.a.IsSet(id) {
		return ""
	}
	if _, ok := x.a.Get(id); !ok {
		return ""
	}
	return " (default)"
}

// answerValue renders an answer without the default marker.
func (x *decider) answerValue(id string) string {
	q, _ := Lookup(id)
	v, ok := x.a.Get(id)
	if !ok {
		return "(not answered)"
	}
	switch t := v.(type) {
	case string:
		if len(q.Options) > 0 {
			return q.OptionLabel(t)
		}
		return t
	case float64:
		return fmtNum(t)
	case bool:
		if t {
			return "yes"
		}
		return "no"
	case []string:
		ls := make([]string, len(t))
		for i, s := range t {
			ls[i] = q.OptionLabel(s)
		}
		return strings.Join(ls, ", ")
	case []RegionShare:
		var ps []string
		for _, r := range t {
			ps = append(ps, fmt.Sprintf("%s %s%%", r.Region, fmtNum(r.Share)))
		}
		return strings.Join(ps, ", ")
	case map[string]float64:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var ps []string
		for _, k := range keys {
			ps = append(ps, fmt.Sprintf("%s=%s", k, fmtNum(t[k])))
		}
		return strings.Join(ps, ", ")
	}
	return fmt.Sprint(v)
}

// STEP 0: bad-reason screen.
func (x *decider) step0() {
	var bad, good []string
	for _, m := range x.a.List("motivations") {
		id := motivationReason[m]
		if strings.HasPrefix(id, "B") {
			bad = append(bad, id)
		} else {
			good = append(good, id)
		}
	}
	sort.Strings(bad)
	for _, id := range bad {
		rt := badReasons[id]
		x.r.Reasons = append(x.r.Reasons, Reason{ID: id, Title: rt.title, Quote: rt.quote, Source: rt.source, Instead: rt.instead, Listed: true})
	}
	if len(bad) > 0 {
		x.drive("motivations", fmt.Sprintf("%d of %d motivations are bad reasons (%s)", len(bad), len(bad)+len(good), strings.Join(bad, ", ")))
	}
	if x.a.Has("motivations", MotScaleWrites) {
		if x.a.String("primary_headroom") == HeadroomHigh {
			x.saturated = true
			x.wp = WPShard
			x.reject(SP1, "the primary is over 80%% busy after tuning: one primary cannot take the writes, and more primaries of the same data would not help (every node applies every write)")
			x.drive("primary_headroom", "primary saturated after tuning: a real write-scale need → sharding, not active-active")
			x.step("STEP 0", "write throughput is a real need (primary > 80%% busy after tuning): WP-SHARD")
		} else {
			x.step("STEP 0", "scaling writes is a bad reason here (primary headroom: %s)", x.answerText("primary_headroom"))
		}
	}
	if len(bad) > 0 && len(good) == 0 {
		x.step("STEP 0", "every motivation is a bad reason; active-active only if a requirement below demands it")
	} else if len(bad) == 0 && len(good) == 0 {
		x.step("STEP 0", "no motivation given")
	} else {
		x.step("STEP 0", "%d good-reason motivation(s) to check against your answers", len(good))
	}
	ratio := x.a.Number("read_write_ratio")
	if ratio >= x.t.Get("read_replica_ratio") && (len(good) == 0 || x.a.Has("motivations", MotLoadBalancing) || x.a.Has("motivations", MotPerformance)) {
		where := ""
		var rs []string
		for _, r := range x.d.Remote {
			rs = append(rs, r.Region)
		}
		if len(rs) > 0 {
			where = " (optional: one in " + strings.Join(rs, ", ") + " for local reads)"
		}
		x.advise("Reads outnumber writes %s:1%s: add async read replicas%s; \"that's what read replicas are for\" [R2].", fmtNum(ratio), x.dflt("read_write_ratio"), where)
	}
}

// STEP 1: in-region availability.
func (x *decider) step1() {
	d := x.d
	a := d.Availability
	x.calc("budget_year", d.BudgetYearMin, "min", "derived (docs/decision.md)",
		"%s%% leaves %s/year (%s/month).", fmtNum(a), fmtMin(d.BudgetYearMin), fmtMin(d.BudgetMonthMin))
	if d.Window != "year" {
		x.calc("budget_window", d.BudgetWindowMin, "min", "derived (docs/decision.md)",
			"Measured per %s: %s per %s, and one event must fit in it.", d.Window, fmtMin(d.BudgetWindowMin), d.Window)
	}
	p := d.Platform
	if p.Measured {
		x.calc("failovers_fit", d.FailoversFit, "per year", p.Source,
			"Your platform's failover (%s) took %s, measured: %s.", p.Name, fmtSec(p.Failover), fitText(d.FailoversFit))
	} else {
		x.calc("failovers_fit", d.FailoversFit, "per year", p.Source,
			"Your platform's failover (%s) takes ~%s (upper end; %s–%s): %s.",
			p.Name, fmtSec(p.Failover), fmtSec(p.FailoverLow), fmtSec(p.Failover), fitText(d.FailoversFit))
	}
	nf := x.a.Number("expected_failovers_per_year")
	expl := fmt.Sprintf("%s failovers%s × %s", fmtNum(nf), x.dflt("expected_failovers_per_year"), fmtSec(p.Failover))
	if x.a.Bool("maintenance_counts") {
		expl += fmt.Sprintf(" + %s switchovers%s × %s", fmtNum(x.a.Number("planned_switchovers_per_year")), x.dflt("planned_switchovers_per_year"), fmtSec(p.Switchover))
	}
	share := pct(d.InRegionMin, d.BudgetYearMin)
	x.calc("in_region_need", d.InRegionMin, "min/year", "derived",
		"Expected in-region downtime: %s = %s/year, %s of the budget.", expl, fmtMin(d.InRegionMin), fmtPct(share))
	if d.InRegionMin > d.BudgetYearMin {
		x.r.Risks = append(x.r.Risks, fmt.Sprintf("In-region HA alone needs %s/year but the budget is %s: the target is not met even without region loss.", fmtMin(d.InRegionMin), fmtMin(d.BudgetYearMin)))
		x.advise("%s", x.fasterFailover())
		x.step("STEP 1", "in-region HA needs %s/year > budget %s: faster failover needed", fmtMin(d.InRegionMin), fmtMin(d.BudgetYearMin))
		x.drive("slo_target", "the budget does not cover the expected in-region failovers")
	} else {
		x.step("STEP 1", "in-region HA fits: %s of %s/year", fmtMin(d.InRegionMin), fmtMin(d.BudgetYearMin))
	}
	if x.a.String("platform") == PlatformRDS {
		x.advise("An RDS Multi-AZ DB cluster fails over in < 35 s instead of 60–120 s for a DB instance [R8, R9]: more room in the budget.")
	}
	if d.Window == "month" && p.Failover/60 > d.BudgetMonthMin {
		x.r.Risks = append(x.r.Risks, fmt.Sprintf("One failover (%s) exceeds the monthly budget (%s).", fmtSec(p.Failover), fmtMin(d.BudgetMonthMin)))
	}
}

// fasterFailover is the way to shorten failovers on the user's platform.
func (x *decider) fasterFailover() string {
	switch x.a.String("platform") {
	case PlatformRDS:
		return "Shorten failovers: an RDS Multi-AZ DB cluster fails over in < 35 s instead of 60–120 s for a DB instance [R8, R9]; Blue/Green upgrades switch over in < 1 min [R12]."
	case PlatformPatroni, PlatformEdge:
		return "Shorten failovers: tune Patroni's ttl and loop_wait (defaults 30 s + 10 s; keep loop_wait + 2 × retry_timeout ≤ ttl) [R5], and count fewer switchovers by patching in rolling windows."
	case PlatformCNPG:
		return "Shorten failovers: CloudNativePG sees a lost node's primary unready after about 40–55 s (the Kubernetes node-monitor grace period) and fails over after failoverDelay (0) [R6]; tune those, and count fewer switchovers."
	case PlatformPAF:
		return "Shorten failovers: pg_auto_failover declares a node unhealthy after node_considered_unhealthy_timeout (20 s) [R7]; tune it, and count fewer switchovers."
	}
	return fmt.Sprintf("Shorten failovers: %s takes ~%s per failover; fewer planned switchovers (Blue/Green upgrades switch over in < 1 min [R12]) leave more of the budget.", x.d.Platform.Name, fmtSec(x.d.Platform.Failover))
}

// remaining is the budget per window left for one regional event.
func (x *decider) remaining() float64 {
	d := x.d
	return d.BudgetWindowMin - d.InRegionMin*d.BudgetWindowMin/d.BudgetYearMin
}

// useText says what share of the budget left for a region loss an event
// uses: "uses 30% of the 49.9 min left per year for a region loss", or
// "does not fit: ..." when nothing is left.
func (x *decider) useText(p float64) string {
	if x.remaining() <= 0 {
		return "does not fit: " + x.leftText()
	}
	return fmt.Sprintf("uses %s of %s for a region loss", fmtPct(p), x.leftText())
}

// notFitText says an event does not fit what is left for a region loss.
func (x *decider) notFitText() string {
	if x.remaining() <= 0 {
		return "does not fit: " + x.leftText()
	}
	return "does not fit " + x.leftText()
}

// leftText names what is left for a region loss: "the 4.31 h left per
// year", or "a budget the in-region failovers already overrun by 44.4 s
// per year" (never a negative time).
func (x *decider) leftText() string {
	if left := x.remaining(); left > 0 {
		return fmt.Sprintf("the %s left per %s", fmtMin(left), x.d.Window)
	}
	return fmt.Sprintf("nothing is left for it (in-region failovers already overrun the budget by %s per %s)", fmtMin(-x.remaining()), x.d.Window)
}

// STEP 2: region loss.
func (x *decider) step2() {
	if !hasRegionDomain(x.a) {
		x.step("STEP 2", "region loss not in the failure domain: in-region HA is the scope")
		x.drive("failure_domain", "no region loss to survive automatically: in-region HA is the scope")
		return
	}
	rto := x.a.String("rto_region")
	left := x.remaining()
	dSP2 := x.t.Get("manual_region_promotion_min")
	dSP3 := x.t.Get("auto_region_promotion_min")
	dAA := x.t.Get("aa_reroute_s") / 60
	win := x.d.Window
	if left > 0 {
		x.calc("region_budget_left", left, "min", "derived",
			"After in-region failovers, %s per %s is left for a region loss.", fmtMin(left), win)
	} else {
		x.calc("region_budget_left", left, "min", "derived",
			"In-region failovers already overrun the budget by %s per %s: nothing is left for a region loss.", fmtMin(-left), win)
	}
	x.calc("sp2_event", dSP2, "min", "assumption (docs/decision.md)",
		"A manual cross-region promotion (~%s, assumption) would use %s of it.", fmtMin(dSP2), fmtPct(pct(dSP2, left)))
	x.calc("sp3_event", dSP3, "min", "[R11] + assumption",
		"An automated promotion (~%s: Aurora Global promotes in < 1 min, plus DNS) would use %s.", fmtMin(dSP3), fmtPct(pct(dSP3, left)))
	// What region loss asks of the design is said once the design is known
	// (finish): a person may promote only when the region RTO allows it.
	x.fdDriver = len(x.r.Drivers)
	x.drive("failure_domain", "")
	x.reject(SP1, "%s", x.inRegionOnly())
	switch {
	case left >= dSP2 && (rto == RTOHours || rto == RTOManual):
		x.sp = SP2
		x.step("STEP 2a", "budget covers one manual promotion and RTO allows it: SP-2")
		x.drive("rto_region", "a manual promotion is fast enough")
	case left >= dSP3 && rto != RTOZero:
		x.sp = SP3
		if rto == RTOAuto {
			x.reject(SP2, "your region RTO is ≤ 2 min; a manual promotion takes ~%s", fmtMin(dSP2))
		} else {
			x.reject(SP2, "a manual promotion (~%s) %s", fmtMin(dSP2), x.notFitText())
		}
		x.step("STEP 2b", "automated promotion fits (%s of %s): SP-3", fmtMin(dSP3), fmtMin(left))
		x.drive("rto_region", "needs automated cross-region promotion")
	default:
		x.aa = AAHome
		// fallback if the active-active gates reject it: the best promotion there is
		if left >= dSP3 {
			x.sp = SP3
		} else {
			x.sp = SP2
		}
		if rto == RTOZero {
			x.triggered["G2"] = "your region RTO is ~0: no visible write outage"
			x.reject(SP3, "your region RTO is ~0; an automated promotion is still a ~%s write outage", fmtMin(dSP3))
			x.drive("rto_region", "no visible write outage on region loss: only a mesh that needs no promotion")
		} else {
			x.reject(SP3, "an automated promotion (~%s) %s", fmtMin(dSP3), x.notFitText())
		}
		x.reject(SP2, "a manual promotion (~%s) %s", fmtMin(dSP2), x.useText(pct(dSP2, left)))
		if x.d.Availability >= 99.999 {
			x.triggered["G1"] = fmt.Sprintf("%s%% with region loss in the failure domain", fmtNum(x.d.Availability))
			x.drive("slo_target", fmt.Sprintf("%s/year cannot absorb a regional promotion", fmtMin(x.d.BudgetYearMin)))
		}
		x.reject(WPGeo, "with per-partition automated failover, the owners homed in the lost region still see a ~%s write outage; viable only if the SLO may exclude a provider-region outage or is measured per owner", fmtMin(dSP3))
		x.calc("aa_event", dAA, "min", "assumption (docs/decision.md)",
			"A home-routed mesh needs no promotion: clients re-route in ~%s (assumption, measure it), %s of what is left.", fmtSec(dAA*60), fmtPct(pct(dAA, left)))
		x.step("STEP 2c", "neither promotion fits the budget/RTO: AA-HOME candidate (G1/G2)")
	}
}

// inRegionOnly says, for the user's platform, why in-region HA does not
// cover a region loss.
func (x *decider) inRegionOnly() string {
	switch x.a.String("platform") {
	case PlatformCNPG:
		return "in-region HA cannot fail over across regions by itself (\"automated failover across Kubernetes clusters is not within CloudNativePG's scope\" [R6])"
	case PlatformPatroni, PlatformEdge:
		return "Patroni fails over automatically inside one cluster only (\"this is not the case when dealing with inter-datacentre failovers\" [R27])"
	case PlatformAurora:
		return "Aurora fails over inside one region; another region takes a Global Database and its own promotion [R11]"
	}
	name := x.d.Platform.Name
	if name == "" {
		name = "in-region HA"
	}
	return name + " fails over inside one region; a region loss needs a copy in another region and a promotion"
}

// STEP 3: RPO vs latency. Whether RPO 0 is met, or breaks, is settled by
// the hard requirements (requirements.go); this step picks the design that
// can meet it and prices the commit wait.
func (x *decider) step3() {
	rpo0 := x.a.String("rpo_region") == RPOZero
	budget := x.a.Number("write_latency_budget_ms")
	cross := hasRegionDomain(x.a)
	c := x.drFor(x.d.Primary)
	sb, known := c.RTT, c.Known && c.Region != ""
	if known && c.Inside && cross {
		where := ""
		if c.Why != "" {
			where = " (" + c.Why + ")"
		}
		x.calc("sync_commit", sb.Ms, "ms", sb.Source,
			"A synchronous commit %s↔%s%s waits ≥ %s (%s); one hot row then tops out at ≈ %s updates/s.",
			sb.A, sb.B, where, fmtMs(sb.Ms), sb.Source, sig3(HotRowCeiling(sb.Ms)))
	}
	if !rpo0 {
		if known && cross && sb.Ms > budget {
			x.step("STEP 3", "RPO > 0: async replication; RPO 0 would cost %s per commit, above your %s%s budget", fmtMs(sb.Ms), fmtMs(budget), x.dflt("write_latency_budget_ms"))
		} else {
			x.step("STEP 3", "RPO > 0: asynchronous cross-region replication is enough")
		}
		return
	}
	x.drive("rpo_region", "no acknowledged commit may be lost")
	if !cross {
		if x.d.Platform.Managed {
			x.step("STEP 3", "RPO 0 in-region: %s already replicates synchronously across AZs", x.d.Platform.Name)
		} else {
			x.sp = SPSync
			x.step("STEP 3", "RPO 0 in-region: synchronous quorum across AZs (SP-SYNC)")
		}
		return
	}
	if !known {
		x.sp = SPSync
		x.remoteSync = true
		x.step("STEP 3", "RPO 0 across regions needs a synchronous copy in another region, which is unknown: SP-SYNC, priced once you answer standby_region")
		return
	}
	if sb.Ms > budget {
		x.step("STEP 3", "RPO 0 infeasible: %s per commit > %s%s budget", fmtMs(sb.Ms), fmtMs(budget), x.dflt("write_latency_budget_ms"))
		return
	}
	if x.d.Platform.Managed {
		// no SP-SYNC across regions to propose: the design of STEP 2 stays
		x.step("STEP 3", "RPO 0 across regions needs a synchronous copy in another region, which %s does not offer (self-managed PostgreSQL does)", x.d.Platform.Name)
		return
	}
	x.sp = SPSync
	x.remoteSync = true
	x.syncCost = &Cost{Title: "Synchronous commit", Detail: fmt.Sprintf("Every commit waits ≥ %s (%s↔%s); hot rows capped at ≈ %s updates/s.", fmtMs(sb.Ms), sb.A, sb.B, sig3(HotRowCeiling(sb.Ms))), Source: "[R19] (derived)"}
	x.step("STEP 3", "RPO 0 across %s↔%s costs %s per commit, within the %s%s budget: SP-SYNC across sites", sb.A, sb.B, fmtMs(sb.Ms), fmtMs(budget), x.dflt("write_latency_budget_ms"))
}

// STEP 4: latency for far writers.
func (x *decider) step4() {
	budget := x.a.Number("write_latency_budget_ms")
	trips := x.a.Number("db_round_trips_per_action")
	var needLocal, minor []RemoteWriter
	for _, r := range x.d.Remote {
		if !r.KnownRTT {
			if r.Matters {
				x.r.Risks = append(x.r.Risks, fmt.Sprintf("RTT %s↔%s is unknown: give rtt_ms or region_distance_km to check the write latency of %s%% of your writes.", x.d.Primary, r.Region, fmtNum(r.Share)))
			}
			continue
		}
		x.calc("penalty_"+r.Region, r.PenaltyMs, "ms", r.RTT.Source,
			"Writers in %s (%s%% of writes) pay %s round trip(s)%s × %s = %s per action (budget %s%s).",
			r.Region, fmtNum(r.Share), fmtNum(trips), x.dflt("db_round_trips_per_action"), fmtMs(r.RTT.Ms), fmtMs(r.PenaltyMs), fmtMs(budget), x.dflt("write_latency_budget_ms"))
		if !r.Over {
			continue
		}
		if trips > 1 && r.RTT.Ms <= budget {
			x.advise("Colocate the app tier with the database: writers in %s then pay one %s round trip instead of %s.", r.Region, fmtMs(r.RTT.Ms), fmtMs(r.PenaltyMs))
			continue
		}
		if !r.Matters {
			minor = append(minor, r)
			continue
		}
		needLocal = append(needLocal, r)
	}
	x.needLocal = needLocal
	x.minorFar(minor, budget)
	if len(needLocal) == 0 {
		x.step("STEP 4", "no write region needs local writes")
		return
	}
	var names []string
	for _, r := range needLocal {
		names = append(names, r.Region)
	}
	x.advise("Before local writes for %s: read replicas there for reads, and queue writes for asynchronous delegation where the user need not wait [R2].", strings.Join(names, ", "))
	x.triggered["G4"] = fmt.Sprintf("writers in %s exceed the latency budget even with one round trip", strings.Join(names, ", "))
	x.drive("write_regions", fmt.Sprintf("writers in %s need local writes (%s > %s)", strings.Join(names, ", "), fmtMs(needLocal[0].RTT.Ms), fmtMs(budget)))
	x.reject(SP1, "writers in %s pay %s per action, above your %s budget", strings.Join(names, ", "), fmtMs(needLocal[0].PenaltyMs), fmtMs(budget))
	pk := x.a.String("partition_key")
	if pk != PartitionNo && x.a.String("cross_owner_txns") != CrossCommon {
		x.setWP(WPGeo, "far writers get local writes in their owners' home region")
		x.drive("partition_key", "owners can be homed per region: geo-partitioning")
		x.step("STEP 4", "writers in %s need local writes; rows have owners: WP-GEO", strings.Join(names, ", "))
	} else {
		if x.aa != AAHome {
			x.aa = AAAny
		}
		x.drive("partition_key", "no owner per row (or common cross-owner transactions): local writes need any-node writes")
		x.step("STEP 4", "writers in %s need local writes; no clean owner: AA-ANY candidate (last resort)", strings.Join(names, ", "))
	}
}

// minorFar weighs the write regions over the latency budget whose share
// is under far_writer_share_pct: too few writes to propose local writes
// for them (STEP 4 moves nothing, G4 stays untriggered), but the budget is
// a p99 for user-facing writes, and more than 1% of writes over it breaks
// it whatever region they come from. Those regions join the far-writers
// requirement (requirements.go), which says them with their numbers.
func (x *decider) minorFar(minor []RemoteWriter, budget float64) {
	if len(minor) == 0 {
		return
	}
	share := 0.0
	for _, r := range append(append([]RemoteWriter(nil), x.needLocal...), minor...) {
		share += r.Share
	}
	words := strings.Join(farWords(minor), ", ")
	if share <= 1 {
		x.step("STEP 4", "writers in %s pay more than your %s%s budget, but %s%% of writes fit in the 1%% a p99 leaves above it", words, fmtMs(budget), x.dflt("write_latency_budget_ms"), fmtNum(share))
		return
	}
	x.farMinor = minor
	var names []string
	for _, r := range minor {
		names = append(names, r.Region)
	}
	x.advise("Before local writes for %s: read replicas there for reads, and queue writes for asynchronous delegation where the user need not wait [R2].", strings.Join(names, ", "))
	x.step("STEP 4", "writers in %s pay more than your %s%s budget; under %s%% of writes (far_writer_share_pct) they propose no local writes, but the budget holds for them: a hard requirement, checked below",
		words, fmtMs(budget), x.dflt("write_latency_budget_ms"), fmtNum(x.t.Get("far_writer_share_pct")))
}

// farWords says far writers with their numbers: "ap-southeast-2 (10% of
// writes, 435 ms per action)".
func farWords(rs []RemoteWriter) []string {
	var out []string
	for _, r := range rs {
		out = append(out, fmt.Sprintf("%s (%s%% of writes, %s per action)", r.Region, fmtNum(r.Share), fmtMs(r.PenaltyMs)))
	}
	return out
}

func (x *decider) setWP(id DesignID, why string) {
	if x.wp == "" || x.wp == WPShard || (x.wp == WPGeo && id == WPSite) {
		if x.wp != "" && x.wp != id {
			x.wps = append(x.wps, Companion{Design: x.wp, For: "also: " + DesignByID(x.wp).Title})
		}
		x.wp = id
		return
	}
	if x.wp != id {
		x.wps = append(x.wps, Companion{Design: id, For: why})
	}
}

// STEP 5: disconnected sites.
func (x *decider) step5() {
	dis := x.a.String("disconnected_sites")
	if dis == DisconnectNo {
		x.step("STEP 5", "no site must write while disconnected")
		return
	}
	x.triggered["G5"] = fmt.Sprintf("sites must keep writing while cut off for %s", x.answerText("disconnected_sites"))
	x.drive("disconnected_sites", "sites write while cut off")
	pk := x.a.String("partition_key")
	if pk != PartitionNo {
		x.setWP(WPSite, "sites own their rows")
		x.drive("partition_key", "sites own their rows: site-owned partitions")
		x.step("STEP 5", "disconnected sites own their rows: WP-SITE")
		if pk == PartitionMostly || x.a.Bool("hot_rows") {
			x.wps = append(x.wps, Companion{Design: AAAny, For: "only the shared tables written offline at several sites, redesigned as ledgers/CRDTs (conflicts grow with disconnect time [R23])"})
			x.advise("Redesign shared balances as append-only ledgers (UUID v7 keys, commutative inserts) with an offline cap as a business rule; if an in-place balance must stay, Spock delta-apply converges but cannot keep it ≥ 0 offline [R17].")
		}
	} else {
		if x.aa == "" {
			x.aa = AAAny
		}
		x.step("STEP 5", "shared rows written offline at several sites: AA-ANY for those tables (ledger/CRDT design)")
	}
	if h := x.a.Number("disconnect_hours"); h > 0 {
		w := h * 3600
		x.calc("offline_window", w, "s", "derived (docs/decision.md)",
			"Offline for %s h, the replication window W is %s h: a shared row another site writes once a week conflicts with P ≈ 1 − e^(−2W·λ) = %s per outage.",
			fmtNum(h), fmtNum(h), fmtNum(round(PConflictPerWrite(w, 1.0/(7*24*3600)), 2)))
	}
}

// STEP 6: legacy migration.
func (x *decider) step6() {
	if !x.a.Has("motivations", MotLegacy) {
		return
	}
	x.triggered["G3"] = "you are replacing Oracle RAC / GoldenGate"
	if _, ok := badReasonListed(x.r.Reasons, "B4"); !ok {
		rt := badReasons["B4"]
		x.r.Reasons = append(x.r.Reasons, Reason{ID: "B4", Title: rt.title, Quote: rt.quote, Source: rt.source, Instead: rt.instead})
	}
	if x.sp == SP1 {
		x.sp = SPSync
	}
	if x.sp == SPSync && !(x.aa != "" || x.wp != "") {
		x.wps = append(x.wps, Companion{Design: SP2, For: "the GoldenGate DR copy it replaces: an async standby cluster in a distant region, manual promotion, RPO > 0, \"disaster only\""})
	}
	x.step("STEP 6", "RAC → synchronous quorum in a metro (SP-SYNC); GoldenGate DR → SP-2")
	x.drive("motivations", "legacy RAC/GoldenGate: map to metro SP-SYNC + DR standby")
}

func badReasonListed(rs []Reason, id string) (int, bool) {
	for i, r := range rs {
		if r.ID == id {
			return i, true
		}
	}
	return -1, false
}

// choose applies the precedence SP < WP < AA.
func (x *decider) choose() {
	r := x.r
	switch {
	case x.aa != "":
		r.Design = x.aa
		if x.wp != "" {
			r.Also = append(r.Also, Companion{Design: x.wp, For: "owner routing inside the mesh: " + DesignByID(x.wp).Title})
		}
		r.Also = append(r.Also, x.wps...)
		r.Also = append(r.Also, Companion{Design: SP1, For: "in-region HA for each node of the mesh"})
	case x.wp != "":
		r.Design = x.wp
		r.Also = append(r.Also, x.wps...)
		for_ := "the control plane / shared data in " + x.d.Primary
		if x.wp == WPSite {
			for_ = "HQ and the central services"
		}
		r.Also = append(r.Also, Companion{Design: x.sp, For: for_})
	default:
		r.Design = x.sp
		r.Also = append(r.Also, x.wps...)
	}
	r.Family = DesignByID(r.Design).Family
	x.step("choose", "least distributed design meeting every requirement: %s", r.Design)
}

// STEP 7: active-active feasibility gates.
func (x *decider) step7() {
	x.ranStep7 = true
	r := x.r
	x.pre7 = mark{len(r.Blockers), len(r.Risks), len(r.Advice), len(r.Drivers), len(r.EngineNotes)}
	a := x.a
	pk := a.String("partition_key")
	inv := a.List("invariants")
	hasInv := len(inv) > 0 && !slices.Contains(inv, InvNone)
	// F2 first: it can reject active-active outright.
	if a.String("conflict_policy") == PolicyNever && pk == PartitionNo {
		fallback := x.sp
		if x.wp != "" {
			fallback = x.wp
		}
		r.Unmet = append(r.Unmet, fmt.Sprintf("%s: active-active was needed, but conflicts \"must never happen\" and rows have no owner to home-route by; the only multi-writer form that fits is EDB PGD with a write leader / Quorum Commit, which is single-writer semantics under an active-active label [R13, R14].", r.Design))
		x.reject(r.Design, "gate F2: conflicts must never happen and rows have no owner")
		x.step("STEP 7 F2", "conflict policy \"never\" without an owner column: active-active rejected, fall back to %s", fallback)
		x.drive("conflict_policy", "\"must never happen\" without owners rejects active-active")
		r.Design = fallback
		r.Family = DesignByID(fallback).Family
		r.Also = x.alsoFor(fallback)
		return
	}
	// Without an owner column the mesh is any-node (the end of this step
	// says so too): judge the gates against that.
	if pk == PartitionNo && r.Design == AAHome {
		r.Design = AAAny
	}
	if hasInv {
		labels := x.answerText("invariants")
		if r.Design == AAAny && pk != PartitionNo {
			r.Design = AAHome
			x.step("STEP 7 F1", "invariants (%s): tables carrying them must be home-routed: AA-HOME", labels)
		} else if r.Design == AAAny {
			x.step("STEP 7 F1", "invariants (%s) without owners: any-node writes break them (hard requirement: one writer)", labels)
		} else {
			x.step("STEP 7 F1", "invariants (%s) enforced in each owner's home region", labels)
		}
		x.advise("Enforce %s in the owner's home region only; %s.", labels, invariantWhy(inv))
	}
	// F3: forecast or hot rows.
	if f := x.in.Forecast; f != nil {
		if a.String("conflict_policy") == PolicyNever && f.TotalConflictsPerDay > x.t.Get("never_conflicts_per_day") {
			x.calc("forecast_conflicts", f.TotalConflictsPerDay, "/day", "aadvisor observe",
				"The forecast expects %s conflicts/day at %s lag; \"must never happen\" tolerates < %s.", fmtNum(round(f.TotalConflictsPerDay, 2)), fmtMs(f.LagMs), fmtNum(x.t.Get("never_conflicts_per_day")))
			x.gateF3("forecast conflicts exceed the \"never\" tolerance")
		}
		if a.String("conflict_policy") == PolicyLWW && f.TotalConflictsPerDay > x.t.Get("lww_conflicts_per_day_warn") {
			r.Risks = append(r.Risks, x.lwwRisk(f))
		}
	}
	if x.d.HotRowConflictsPerS > 0 {
		lam := a.Number("hot_row_updates_per_sec")
		var parts []string
		for _, rg := range a.Regions() {
			parts = append(parts, fmtNum(round(lam*rg.Share/100, 2)))
		}
		// the conflicts a mesh logs: at most one per remote change applied
		ceiling := lam * float64(len(parts)-1)
		rate := fmtRate(x.d.HotRowConflictsPerS) + " conflicts/s"
		if x.d.HotRowConflictsPerS < 1 {
			rate += " (" + fmtRate(86400*x.d.HotRowConflictsPerS) + "/day)"
		}
		x.calc("hot_row_conflicts", x.d.HotRowConflictsPerS, "/s", "derived (docs/decision.md)",
			"If any node took the hottest row's writes (%s updates/s split %s, W = %s%s), the mesh would log ≈ %s, at most %s/s (one per change a node applies from another); P(conflict per write) ≈ %s.",
			fmtNum(lam), strings.Join(parts, "/"), fmtMs(x.d.WindowS*1000), x.dflt("replication_window_ms"), rate, fmtRate(ceiling), fmtPct(x.d.HotRowPConflict*100))
		if x.hotRowAnswered() {
			why := fmt.Sprintf("the hottest row would conflict on %s of writes", fmtPct(x.d.HotRowPConflict*100))
			if r.Design == AAAny {
				// no owner to home-route by: the requirement one writer breaks
				x.step("STEP 7 F3", "%s, and rows have no owner: any-node writes break it (hard requirement: one writer)", why)
			} else {
				x.gateF3(why)
			}
			x.advise("Hot rows: route each owner's writes to its home region (conflicts → 0 as the off-home share f → 0), turn balances into append-only ledgers, key new rows by UUID v7 [R17].")
		}
	}
	// F5 team.
	if a.String("team") != Team24x7 {
		r.Risks = append(r.Risks, fmt.Sprintf("HIGH RISK (gate F5): the team is \"%s\"; a multi-primary mesh needs 24×7 on-call with logical-replication experience: \"staffing costs rise\" [R2].", x.answerText("team")))
		x.drive("team", "no 24×7 logical-replication on-call: high risk")
	}
	// F6 DDL cadence.
	if c := a.String("ddl_cadence"); c == DDLWeekly || c == DDLDaily {
		r.Risks = append(r.Risks, fmt.Sprintf("Gate F6: you ship schema changes %s; logical replication (and pgactive) does not replicate DDL, so each one is a coordinated rollout on every writer [R15, R16].", x.answerText("ddl_cadence")))
		x.step("STEP 7 F6", "DDL %s without DDL replication: cost line", c)
	}
	// F7 LWW.
	if a.String("conflict_policy") == PolicyLWW {
		r.Blockers = append(r.Blockers, Blocker{Gate: "F7", Message: "Last-writer-wins needs synchronised clocks and commit timestamps.", Fix: "Run NTP/chrony on every node and set track_commit_timestamp = on [R16]."})
	}
	// With owners, home routing is the preferred form (and what F1/F3 demand);
	// without them, any node must take any write.
	if pk == PartitionNo {
		r.Design = AAAny
	} else {
		r.Design = AAHome
	}
	x.homeRouteGate()
	x.step("STEP 7", "gates done: %s", r.Design)
}

// invariantWhy says, for the invariants answered, what happens when two
// nodes check one within the replication window.
func invariantWhy(inv []string) string {
	var why []string
	if slices.Contains(inv, InvUnique) {
		why = append(why, "a unique value checked on two nodes within one RTT is accepted twice [R18]")
	}
	if slices.Contains(inv, InvNonNegative) {
		why = append(why, "two withdrawals approved on two nodes can together overdraw a balance [R13]")
	}
	if slices.Contains(inv, InvGapless) || slices.Contains(inv, InvCrossOwnerFK) || len(why) == 0 {
		why = append(why, "a rule checked on two nodes within one RTT holds on each and can break on the merged rows")
	}
	return strings.Join(why, "; ")
}

// lwwRisk says what the forecast's conflicts mean under last-writer-wins
// for the design: with any-node writes they are lost updates; a mesh that
// home-routes tables avoids those tables' share only while every write
// goes to its row's home, which a forecast routed by hash does not show.
func (x *decider) lwwRisk(f *forecast.Report) string {
	route := f.Route
	if route == "" {
		route = forecast.RouteHash
	}
	// the gates end in AA-HOME with owners or with home-routed tables
	homeRouted := x.a.String("partition_key") != PartitionNo || len(x.homeTables()) > 0
	if !homeRouted || route != forecast.RouteHash {
		return fmt.Sprintf("Expect silent lost updates at this rate: %s last-writer-wins conflicts/day (the forecast, route %s).", fmtRate(f.TotalConflictsPerDay), route)
	}
	homed := 0.0
	for _, t := range f.Tables {
		for _, m := range x.homeTables() {
			if m.Table == qualify(t.Table) {
				homed += t.ConflictsPerDay
			}
		}
	}
	if x.a.String("partition_key") != PartitionNo {
		homed = f.TotalConflictsPerDay // every row has its owner's home
	}
	share := fmt.Sprintf("%s of them are on rows this design home-routes, which stay away only while every write goes to its row's home; the rest are silent lost updates", fmtRate(homed))
	if homed >= f.TotalConflictsPerDay {
		share = "all on rows this design home-routes, which stay away only while every write goes to its row's home"
	}
	return fmt.Sprintf("The forecast, with any node writing any row (route %s), expects %s last-writer-wins conflicts/day: %s. Forecast the routing with observe --route (column:OWNER or a table map).", route, fmtRate(f.TotalConflictsPerDay), share)
}

// homeRouteGate: a schema whose own assessment (or forecast) says tables
// must be home-routed never gets any-node writes.
func (x *decider) homeRouteGate() {
	r := x.r
	home := x.homeTables()
	if r.Design != AAAny || len(home) == 0 {
		return
	}
	r.Design = AAHome
	var words []string
	for _, t := range home {
		words = append(words, t.Table+": "+strings.Join(t.Why, "; "))
	}
	x.step("STEP 7 F4", "the evidence says %d table(s) must be home-routed (%s): any-node writes are out, AA-HOME", len(home), strings.Join(words, " · "))
	r.Drivers = append(r.Drivers, Driver{Question: "evidence", Answer: fmt.Sprintf("%d table(s) home-routed", len(home)),
		Effect: "any node writing any row is out: " + strings.Join(x.homeTableNames(3), ", ") + " are written on one node per row"})
	if x.a.String("partition_key") == PartitionNo {
		x.advise("Rows of %s have no owner column: route every write to them to %s (one home per table) and let the survivors take them over on region loss; the other tables stay writable anywhere.", strings.Join(x.homeTableNames(0), ", "), x.d.Primary)
	}
}

func (x *decider) gateF3(why string) {
	r := x.r
	if r.Design == AAAny && x.a.String("partition_key") != PartitionNo {
		r.Design = AAHome
		x.step("STEP 7 F3", "%s: home routing required (AA-HOME)", why)
		return
	}
	if r.Design == AAAny {
		r.Blockers = append(r.Blockers, Blocker{Gate: "F3", Message: "Conflict forecast: " + why + ".", Fix: "Redesign hot rows as ledger inserts or delta-apply columns [R17], or keep them single-writer."})
	}
	x.step("STEP 7 F3", "%s: home routing is mandatory", why)
}

// schemaGate folds the assessment in (gate F4): error findings block a
// logical-replication design (except on tables kept local), warnings set
// the per-table write modes or are listed as risks, and the checks that
// could not run are named with their rules.
func (x *decider) schemaGate() {
	as := x.in.Assessment
	if as == nil {
		return
	}
	r := x.r
	r.Verdict = as.Verdict
	logical := r.Family != SinglePrimary
	mode := map[string]string{}
	for _, t := range x.modes {
		mode[t.Table] = t.Mode
	}
	var errs, warns, local int
	var resolved []string
	dups := map[string]allocatorDup{}
	for _, d := range allocatorDups(as.Findings, x.in.Forecast) {
		dups[d.Object] = d
	}
	for _, f := range as.Findings {
		switch f.Severity {
		case "error":
			errs++
			if !logical {
				continue
			}
			if f.Table != "" && mode[f.Table] == ModeLocal {
				local++
				continue
			}
			msg := f.Message
			if isAllocator(f) {
				why, owned := x.ownedAllocator(f)
				d, lost := dups[f.Object]
				if owned {
					resolved = append(resolved, f.Object+": "+why)
					x.tableWhy(f.Table, "id-allocator resolved by the design: "+why)
					if lost {
						x.tableWhy(f.Table, fmt.Sprintf("the forecast's %s lost increments of %s (its replay, route %s, let any node bump any row) do not arise here", inspect.GroupThousands(d.Lost), d.Column, d.Route))
					}
					continue
				}
				msg += why
				if lost {
					msg += ". The forecast agrees: " + d.text()
				}
			}
			r.Blockers = append(r.Blockers, Blocker{Gate: strings.TrimSpace(f.Rule + " " + f.Name), Object: f.Object, Message: msg, Fix: f.Fix, FixSQL: f.FixSQL})
		case "warning":
			warns++
			if !logical || (f.Table != "" && mode[f.Table] != "") {
				continue // a table's warnings are in its write mode
			}
			text := fmt.Sprintf("Assessment warning %s %s on %s: %s", f.Rule, f.Name, f.Object, f.Message)
			if len(f.Engines) > 0 && !(slices.Contains(f.Engines, "native") && slices.Contains(f.Engines, "pglogical")) {
				x.engineRisks = append(x.engineRisks, engineRisk{f.Engines, text})
				continue
			}
			r.Risks = append(r.Risks, text)
		}
	}
	counts := map[string]int{}
	for _, t := range x.modes {
		counts[t.Mode]++
	}
	var modes []string
	for _, m := range []string{ModeHome, ModeLocal, ModeInsertOnly, ModeAnywhere} {
		if counts[m] > 0 {
			modes = append(modes, fmt.Sprintf("%d %s", counts[m], m))
		}
	}
	tables := ""
	if len(modes) > 0 {
		tables = "; tables: " + strings.Join(modes, ", ")
	}
	if len(resolved) > 0 {
		x.step("STEP 7 F4", "%d id allocator(s) resolved by the partitioning: %s", len(resolved), strings.Join(resolved, " · "))
	}
	switch {
	case logical && errs > 0:
		kept := ""
		if local > 0 {
			kept = fmt.Sprintf(" (%d more on tables kept local)", local)
		}
		x.step("STEP 7 F4", "%d schema error finding(s) block logical replication%s; %d warning(s)%s", errs-local-len(resolved), kept, warns, tables)
	case logical && warns > 0:
		x.step("STEP 7 F4", "no schema errors; %d warning(s)%s", warns, tables)
	case errs+warns > 0:
		x.step("STEP 7 F4", "%d finding(s) concern logical/multi-primary replication only; the recommended physical replication is unaffected", errs+warns)
	default:
		x.step("STEP 7 F4", "assessment clean")
	}
	x.skippedChecks(as.Skipped, as.Findings)
}

// isAllocator reports whether a finding is an id allocator (AR206).
func isAllocator(f assess.ReportFinding) bool { return f.Rule == "AR206" || f.Name == "id-allocator" }

// ownedAllocator decides whether the design resolves an id allocator:
// under a write-partitioned design each owner's rows are written at its
// home only, so when the allocator's table carries the owner column each
// counter row is bumped on one node and the ids it hands out never
// collide. A row shared across owners (no owner column) is still bumped
// everywhere, and a mesh takes the lost region's owners over without its
// last writes: there the finding stays a blocker. why says which, for the
// reasons (owned) or for the blocker (not owned, "" when nothing to add).
func (x *decider) ownedAllocator(f assess.ReportFinding) (why string, owned bool) {
	owner := x.a.String("partition_key_name")
	if x.r.Family != WritePartitioned || owner == "" || x.a.String("partition_key") == PartitionNo {
		return "", false
	}
	for _, t := range x.in.Assessment.Tables {
		if t.Table != f.Table {
			continue
		}
		if len(t.Columns) == 0 {
			return fmt.Sprintf("; the assessment lists no columns of %s: assess again to let recommend see whether its rows carry the owner column %s", f.Table, owner), false
		}
		if slices.Contains(t.Columns, owner) {
			return fmt.Sprintf("every %s row carries the owner column %s, so each counter row is written only in its owner's home, where every id it hands out is allocated once", f.Table, owner), true
		}
		return fmt.Sprintf("; under %s the allocating rows are shared across owners (%s has no owner column %s): every home bumps them, so the partitioning does not resolve it", x.r.Design, f.Table, owner), false
	}
	return "", false
}

// tableWhy adds a reason to a table's write mode.
func (x *decider) tableWhy(table, why string) {
	for i := range x.modes {
		if x.modes[i].Table == table && !slices.Contains(x.modes[i].Why, why) {
			x.modes[i].Why = append(x.modes[i].Why, why)
		}
	}
}

// skippedChecks lists what the assessment could not check, one line per
// reason, naming the rules; evidence it read without a rule skipping is
// one line of its own.
func (x *decider) skippedChecks(sk []assess.ReportSkipped, fs []assess.ReportFinding) {
	// A rule that skipped some objects may have judged others (hot-row on
	// tables whose statistics window was too short): its findings stand
	// beside the skip, so the line says the check was partial.
	found := map[string]bool{}
	for _, f := range fs {
		found[f.Rule] = true
	}
	partial := map[string]bool{}
	var reasons []string
	rulesBy := map[string][]string{}
	var evidence []string
	for _, s := range sk {
		if s.Reason == "" {
			continue
		}
		name := strings.TrimSpace(s.Rule + " " + s.Name)
		if name == "" {
			if !slices.Contains(evidence, s.Reason) {
				evidence = append(evidence, s.Reason)
			}
			continue
		}
		if _, ok := rulesBy[s.Reason]; !ok {
			reasons = append(reasons, s.Reason)
		}
		rulesBy[s.Reason] = append(rulesBy[s.Reason], name)
		partial[s.Reason] = partial[s.Reason] || (s.Rule != "" && found[s.Rule])
	}
	for _, why := range reasons {
		if partial[why] {
			x.r.Risks = append(x.r.Risks, fmt.Sprintf("Assessment checked %s only in part (its findings on the other objects stand): %s", strings.Join(rulesBy[why], ", "), why))
			continue
		}
		x.r.Risks = append(x.r.Risks, fmt.Sprintf("Assessment skipped %s: %s", strings.Join(rulesBy[why], ", "), why))
	}
	if len(evidence) > 0 {
		named := ""
		if len(reasons) > 0 {
			named = " (the rules that needed it are named above)"
		}
		x.r.Risks = append(x.r.Risks, fmt.Sprintf("Assessment ran without this evidence%s: %s", named, strings.Join(evidence, "; ")))
	}
}

// finish fills the design description, engine, tooling, costs and rejections.
func (x *decider) finish() {
	r, a, d := x.r, x.a, x.d
	des := DesignByID(r.Design)
	r.Family, r.Title, r.What, r.PACELC = des.Family, des.Title, des.What, des.PACELC
	if r.Design == SPSync {
		for _, c := range x.r.Copies {
			if c.Sync && c.Region != "" && c.Region != d.Primary {
				r.What = fmt.Sprintf("SP-1 with a synchronous standby in %s, another region (synchronous_standby_names = 'ANY k (…)', Patroni synchronous_mode, CloudNativePG dataDurability: required): every commit waits for it, so RPO 0 holds for the loss of %s.", c.Region, d.Primary)
			}
		}
	}
	// Good reasons.
	for _, id := range []string{"G1", "G2", "G3", "G4", "G5"} {
		why, trig := x.triggered[id]
		listed := false
		for m, rid := range motivationReason {
			if rid == id && a.Has("motivations", m) {
				listed = true
			}
		}
		if !trig && !listed {
			continue
		}
		rt := goodReasons[id]
		rs := Reason{ID: id, Good: true, Title: rt.title, Quote: rt.quote, Source: rt.source, Triggered: trig, Listed: listed}
		if trig {
			rs.Note = "your answers trigger it: " + why + "; necessary, not sufficient"
		} else {
			rs.Note = "you listed it, but your answers do not trigger it"
		}
		r.Reasons = append(r.Reasons, rs)
	}
	sort.SliceStable(r.Reasons, func(i, j int) bool {
		if r.Reasons[i].Good != r.Reasons[j].Good {
			return r.Reasons[i].Good
		}
		return r.Reasons[i].ID < r.Reasons[j].ID
	})
	x.regionDriver()
	x.engine()
	for _, er := range x.engineRisks {
		if r.Engine == "" || slices.Contains(er.engines, r.Engine) {
			r.Risks = append(r.Risks, er.text)
		}
	}
	x.costs()
	x.residency()
	if r.Design == SPSync && a.Bool("hot_rows") {
		if ms, ok := x.syncWait(); ok {
			if hot, ceil := a.Number("hot_row_updates_per_sec"), HotRowCeiling(ms); hot > ceil {
				r.Risks = append(r.Risks, fmt.Sprintf("Your hottest row takes %s updates/s, above the ≈ %s updates/s one row can take when every commit waits %s for the synchronous standby.", fmtNum(hot), sig3(ceil), fmtMs(ms)))
			}
		}
	}
	r.Tables = x.modes
	// Owner column and sequences for a plan skeleton.
	if r.Family != SinglePrimary {
		r.OwnerColumn = a.String("partition_key_name")
		switch {
		case r.Family == ActiveActive:
			r.Sequences = "uuid"
		case r.Design == WPSite:
			r.Sequences = "none" // site rows are keyed with the owner column; shared tables have one writer
		default:
			r.Sequences = "offsets"
		}
	}
	if r.Design == WPSite {
		x.hubAndSpoke()
	}
	// Rejected cheaper alternatives.
	rank := des.rank
	for _, alt := range Designs {
		if alt.rank >= rank || alt.ID == r.Design {
			continue
		}
		why, ok := x.rejected[alt.ID]
		if !ok {
			continue
		}
		r.Rejected = append(r.Rejected, Rejected{Design: alt.ID, Why: why})
	}
	switch {
	case x.aa != "" && r.Family != ActiveActive:
		id, why := x.aa, "it breaks a hard requirement (see the comparison)"
		for _, d := range []DesignID{AAHome, AAAny} {
			if w, ok := x.rejected[d]; ok {
				id, why = d, w
				break
			}
		}
		r.Rejected = append(r.Rejected, Rejected{Design: id, Why: why})
	case r.Family == SinglePrimary:
		r.Rejected = append(r.Rejected, Rejected{Design: AAAny, Why: "not needed: no requirement above calls for more than one writer"})
	}
	for _, th := range x.t.List() {
		for _, def := range defaultThresholds {
			if def.Name == th.Name && def.Value != th.Value {
				r.Thresholds = append(r.Thresholds, th)
			}
		}
	}
	r.Derived = d
}

// residency: the requirement itself is checked against the copies
// (requirements.go); a write-partitioned design also gets the row filters
// that keep it.
func (x *decider) residency() {
	if !x.res.on || x.r.Family != WritePartitioned {
		return
	}
	x.advise("Data residency: publish each owner's rows only to where they may live (%s) with publication row filters; replicate only what may leave [R21].", strings.Join(x.res.entries, ", "))
}

// syncWait is what one commit waits for the synchronous standby.
func (x *decider) syncWait() (float64, bool) {
	for _, c := range x.r.Copies {
		if !c.Sync || c.Region == "" {
			continue
		}
		if e, ok := RTT(x.d.Primary, c.Region, x.a, x.t); ok {
			return e.Ms, true
		}
	}
	return 0, false
}

// regionDriver says what region loss asks of the chosen design: "without
// a human" only when nobody promotes anything by hand.
func (x *decider) regionDriver() {
	if x.fdDriver < 0 || x.fdDriver >= len(x.r.Drivers) {
		return
	}
	manual, copyOutside := false, false
	for _, c := range x.r.Copies {
		if c.Promotion == "manual" {
			manual = true
		}
		if c.Role == "peer" || c.Role == "dr-standby" || (c.Role == "sync-standby" && c.Region != x.d.Primary) {
			copyOutside = true
		}
	}
	eff := "region loss must be survived without a human"
	rto := x.a.String("rto_region")
	switch {
	case manual && (rto == RTOAuto || rto == RTOZero):
		eff = fmt.Sprintf("region loss must be survived within %s, which needs an automated switch that this design does not have (see blockers)", x.answerText("rto_region"))
	case manual:
		eff = fmt.Sprintf("region loss must be survived; a region RTO of %s lets a person promote the standby", x.answerText("rto_region"))
	case !copyOutside:
		eff = "region loss must be survived, which this design does not do (see blockers)"
	case rto == RTOHours || rto == RTOManual:
		eff = fmt.Sprintf("region loss must be survived; a region RTO of %s would let a person promote, and this design does it without one", x.answerText("rto_region"))
	}
	x.r.Drivers[x.fdDriver].Effect = eff
}

func (x *decider) engine() {
	r, a, d := x.r, x.a, x.d
	pg := a.Number("pg_version")
	plat := a.String("platform")
	tool := d.Platform.HATool
	if len(x.siteStandbys(r.Design)) > 0 && plat == PlatformEdge {
		tool = "Patroni" // with a standby at each site a site-local restore is no longer the HA
	}
	switch r.Family {
	case SinglePrimary:
		r.Engine = "physical"
		r.HATooling = append(r.HATooling, tool)
		switch r.Design {
		case SPSync:
			switch plat {
			case PlatformPatroni:
				r.HATooling = append(r.HATooling, "Patroni synchronous_mode: on, ≥ 3 data nodes (one per site) [R4]")
			case PlatformCNPG:
				r.HATooling = append(r.HATooling, "CloudNativePG synchronous replication with dataDurability: required [R6]")
			default:
				if d.Platform.Managed {
					r.HATooling = append(r.HATooling, d.Platform.Name+" keeps the synchronous standby in another AZ of the region; it has none in another region")
				} else {
					r.HATooling = append(r.HATooling, "synchronous_standby_names = 'ANY 1 (…)' with synchronous_commit = on [R19]")
				}
			}
		case SP2:
			switch plat {
			case PlatformCNPG:
				r.HATooling = append(r.HATooling, "CloudNativePG replica cluster in the DR region, promoted by hand [R6]")
			case PlatformRDS, PlatformRDSCluster, PlatformAurora, PlatformManaged:
				r.HATooling = append(r.HATooling, "cross-region read replica / standby cluster, promoted by runbook")
			default:
				r.HATooling = append(r.HATooling, "Patroni standby cluster in the DR region, promoted by runbook [R4]")
			}
		case SP3:
			if plat == PlatformAurora {
				r.HATooling = append(r.HATooling, "Aurora Global Database: managed cross-region promotion in < 1 min; unplanned failover may lose the last second of writes [R11]")
			} else {
				r.HATooling = append(r.HATooling, "cross-region standby cluster plus an external orchestrator that promotes it and switches DNS (test it quarterly)")
			}
		}
	case WritePartitioned:
		if pg >= 15 {
			r.Engine = "native"
			r.EngineNotes = append(r.EngineNotes, "Native logical replication with publication row filters (PostgreSQL 15+) carries each owner's rows to the others; a row filter on a publication that publishes UPDATE/DELETE may only use replica-identity columns, so the owner column must be in the primary key (or REPLICA IDENTITY FULL).")
		} else {
			r.Engine = "pglogical"
			r.EngineNotes = append(r.EngineNotes, "pglogical replication sets with row_filter per owner (PostgreSQL < 15 has no publication row filters).")
		}
		if r.Design == WPShard {
			r.EngineNotes = append(r.EngineNotes, "For write throughput, Citus with the owner as distribution column (tenant co-location) [R20]; each shard keeps single-primary HA.")
		}
		r.HATooling = append(r.HATooling, tool+" per partition")
	case ActiveActive:
		x.meshEngine(pg)
		if plat == PlatformRDS || plat == PlatformRDSCluster {
			r.EngineNotes = append(r.EngineNotes, "On RDS, pgactive is the managed option: LWW by default, no DDL replication, route each user to a home region and never load-balance writes [R15, R16].")
		}
		if a.Bool("hot_rows") || a.Has("invariants", InvNonNegative) {
			r.EngineNotes = append(r.EngineNotes, "Spock (pgEdge) offers delta-apply columns for counters: the sum converges, but x ≥ 0 is not enforced [R17].")
		}
		if a.String("conflict_policy") == PolicyNever || a.String("rpo_region") == RPOZero {
			r.EngineNotes = append(r.EngineNotes, "If commits must never conflict or be lost, EDB PGD with a write leader / Quorum Commit is the multi-writer form that fits; it is single-writer semantics [R13, R14].")
		}
		r.HATooling = append(r.HATooling, tool+" in each region (the mesh does not replace in-region HA)")
	}
	if len(x.siteStandbys(r.Design)) > 0 {
		r.HATooling = append(r.HATooling, "at each site, a synchronous standby on a second node (synchronous_standby_names = 'ANY 1 (…)' with synchronous_commit = on, or Patroni synchronous_mode) [R19]: what a site writes while cut off survives the loss of its server")
	}
	if a.String("rpo_region") == RPOZero && !hasRegionDomain(a) && r.Family != SinglePrimary {
		if d.Platform.Managed {
			r.HATooling = append(r.HATooling, d.Platform.Name+" replicates each writer synchronously across AZs: RPO 0 on AZ loss")
		} else {
			r.HATooling = append(r.HATooling, "a synchronous standby in another AZ for every writer (synchronous_standby_names = 'ANY 1 (…)', synchronous_commit = on): RPO 0 on AZ loss [R19]")
		}
	}
}

// meshEngine picks the engine of a mesh from the conflict policy the
// answers ask for and the PostgreSQL version: native logical replication
// resolves nothing by commit time (it applies a remote UPDATE or DELETE
// whatever the local row holds and stops on insert_exists; PostgreSQL 18
// logs and counts the conflicts) [R30], pglogical keeps the newest commit
// (last_update_wins) and logs each conflict [R29], and aadvisor bootstraps
// pglogical on PostgreSQL ≤ 17 only. When no engine aadvisor installs
// gives the resolution asked for, it says so as a blocker.
func (x *decider) meshEngine(pg float64) {
	r := x.r
	native := "Native logical replication both ways with CREATE SUBSCRIPTION … WITH (origin = none) (PostgreSQL 16+). It resolves nothing by commit time: a remote UPDATE or DELETE is applied whatever the local row holds, and insert_exists stops apply with an ERROR until resolved by hand [R30]. pgEdge: it \"shouldn't be interpreted as tacit permission\" to build active-active [R18]."
	pglogical := "pglogical with pglogical.conflict_resolution = last_update_wins and track_commit_timestamp = on: of two versions of a row the one with the newest commit timestamp is kept, local or remote, and each conflict is logged [R29]; forward_origins = '{}' to stop loops (aadvisor bootstraps pglogical on PostgreSQL ≤ 17)."
	switch policy := x.a.String("conflict_policy"); {
	case policy == PolicyLWW && pg <= 17:
		r.Engine = "pglogical"
		r.EngineNotes = append(r.EngineNotes, pglogical+" Your conflict policy is last writer wins, which native logical replication does not do: it applies the change that arrives, not the newest [R30].")
	case policy == PolicyLWW:
		r.Engine = "native"
		r.EngineNotes = append(r.EngineNotes, native+" PostgreSQL 18 logs and counts each conflict (pg_stat_subscription_stats) but still applies the change that arrives: not last writer wins.")
		r.Blockers = append(r.Blockers, Blocker{Gate: "engine",
			Message: fmt.Sprintf("No engine aadvisor installs resolves conflicts by last writer wins on PostgreSQL %s: native logical replication applies a remote UPDATE or DELETE whatever the local row's commit time and stops on insert_exists [R30], so two nodes that changed one row can keep different versions; pglogical, which keeps the newest commit [R29], is bootstrapped here on PostgreSQL ≤ 17 only.", fmtNum(pg)),
			Fix:     "Use pgactive (last writer wins by default; on RDS) [R15, R16] or Spock (spock.conflict_resolution = last_update_wins, on its patched PostgreSQL) [R17], which aadvisor does not install; or run PostgreSQL 17 with pglogical; or detect and repair (conflict_policy: repair), which PostgreSQL 18 logs and counts."})
	case policy == PolicyRepair && pg <= 17:
		r.Engine = "pglogical"
		r.EngineNotes = append(r.EngineNotes, pglogical+" Your conflict policy is detect, log and repair: native logical replication before PostgreSQL 18 logs no UPDATE or DELETE conflict at all [R30], pglogical logs each one.")
	case pg >= 16:
		r.Engine = "native"
		if policy == PolicyRepair {
			native += " PostgreSQL 18 logs and counts each conflict (pg_stat_subscription_stats; update_origin_differs needs track_commit_timestamp = on) [R30]: the nodes can differ until you repair them."
		}
		r.EngineNotes = append(r.EngineNotes, native)
	default:
		r.Engine = "pglogical"
		r.EngineNotes = append(r.EngineNotes, pglogical+" Native origin = none needs PostgreSQL 16+.")
	}
}

// meshWords describes the nodes of an active-active mesh from the answers:
// its regions, and its sites when sites write offline.
func (x *decider) meshWords() (words string, nodes int, known bool) {
	regions := x.meshRegions()
	var names []string
	for _, c := range regions {
		n := c.Region
		if n == "" {
			n = "a second region (unknown)"
		}
		names = append(names, n)
	}
	nodes, known = len(regions), true
	sites := x.a.String("disconnected_sites") != DisconnectNo
	switch {
	case len(regions) == 1 && sites:
		words = names[0]
	case len(regions) == 1:
		words = fmt.Sprintf("%s and a second region (your writers sit in %s only; a mesh needs two)", names[0], names[0])
		nodes = 2
	default:
		words = fmt.Sprintf("each of %d regions (%s)", len(regions), strings.Join(names, ", "))
	}
	if sites {
		if n := x.a.Number("site_count"); x.a.IsSet("site_count") && n > 0 {
			nodes += int(n)
			words += fmt.Sprintf(" and at each of %s sites", fmtNum(n))
		} else {
			known = false
			words += " and at every site (site_count not given)"
		}
	}
	return words, nodes, known
}

func (x *decider) costs() {
	r, a, d := x.r, x.a, x.d
	ddl := x.answerText("ddl_cadence")
	window := fmtMs(d.WindowS*1000) + x.dflt("replication_window_ms")
	if d.WindowS >= 60 {
		window = fmtSec(d.WindowS) + ", the disconnection"
	}
	rtt := "≥ 1 RTT"
	if d.Nearest != nil {
		rtt = fmt.Sprintf("≥ %s (%s↔%s)", fmtMs(d.Nearest.Ms), d.Nearest.A, d.Nearest.B)
	}
	where, nodes, known := x.meshWords()
	infra := fmt.Sprintf("A full data copy and write-capable nodes in %s: ≈ %d× compute and storage (derived), cross-region bandwidth, heavier monitoring; each node runs a walsender and an apply worker per peer (%d peer(s) each, %d links in a full mesh).", where, nodes, nodes-1, nodes*(nodes-1))
	if x.a.String("disconnected_sites") != DisconnectNo && known {
		infra += fmt.Sprintf(" A hub and spokes needs %d links instead.", 2*(nodes-1))
	}
	if len(x.siteStandbys(r.Design)) > 0 {
		infra += " Each site also keeps a synchronous standby beside its node (the site RPO)."
	}
	writers := fmt.Sprintf("%d writers", nodes)
	if !known {
		infra = fmt.Sprintf("A full data copy and write-capable nodes in %s, cross-region bandwidth, heavier monitoring; each node runs a walsender and an apply worker per peer: with N nodes, N−1 peers each and N(N−1) links in a full mesh, so many sites call for a hub and spokes.", where)
		writers = "every writer"
	}
	aa := []Cost{
		{"Conflict resolution is a product feature you now own", "LWW, source priority or app merge: \"none of them are free\"; conflicts must be logged and their resolution auditable; pgactive_conflict_history grows and needs purging.", "[R2], [R15], [R16]"},
		{"Infrastructure and network", infra, "[R2], [R16]"},
		{"Operations", fmt.Sprintf("Deployments become dangerous, debugging is harder, staffing costs rise. DDL is not replicated: you ship schema changes %s, each a coordinated rollout on %s. A down node's slot retains WAL \"until the disk fills up\".", ddl, writers), "[R2], [R15], [R16]"},
		{"Schema changes", "A primary key on every table, no plain sequences (UUID v7 or offsets), a single unique constraint per table, no large objects.", "[R15], [R16], [R17]"},
		{"Native origin = none is not a shortcut", "Sequences, data merging, conflict management and node divergence: \"None of these situations are managed by default\".", "[R18]"},
		{"Consistency", fmt.Sprintf("Stale reads are possible; clocks must be NTP-synced for LWW; on region loss the RPO is the replication window (~%s here), not 0.", window), "[R16], [R11]"},
		{"Physics", "Any strongly consistent cross-region write still pays " + rtt + ".", "[R1], docs/decision.md"},
	}
	if x.syncCost != nil && r.Design == SPSync {
		r.Costs = append(r.Costs, *x.syncCost)
	}
	switch r.Family {
	case ActiveActive:
		r.Costs = append(r.Costs, aa...)
	case WritePartitioned:
		parts := "One primary per partition"
		var homes []string
		for _, c := range r.Copies {
			if c.Role == "owner" {
				homes = append(homes, c.Region)
			}
		}
		switch {
		case r.Design == WPSite:
			parts = "A primary at HQ and one at every site (each site's rows to the hub, shared data from the hub: never a mesh of sites)"
			if n := a.Number("site_count"); a.IsSet("site_count") && n > 0 {
				parts = fmt.Sprintf("A primary at HQ and one at each of %s sites (%s links to the hub, never a mesh of sites)", fmtNum(n), fmtNum(n))
			}
			if len(x.siteStandbys(r.Design)) > 0 {
				parts += ", and a synchronous standby beside each site's primary (the site RPO)"
			}
		case len(homes) > 0:
			parts = fmt.Sprintf("%d primaries, one per home region (%s)", len(homes), strings.Join(homes, ", "))
		}
		r.Costs = append(r.Costs,
			Cost{"Owner column everywhere", "Every replicated table carries the owner column in its primary key (row filters on UPDATE/DELETE need replica-identity columns); cross-owner foreign keys and transactions must go.", "[R20], [R21]"},
			Cost{"Operations", fmt.Sprintf("%s to run and back up; DDL is not replicated by logical replication, so %s schema changes roll out on every primary.", parts, ddl), "[R2]"},
			Cost{"Cross-partition reads", "Global views are eventually consistent (logical replication or FDW).", "[R21]"},
		)
	default:
		r.Avoided = append(r.Avoided, aa...)
	}
}

// Formatting helpers: every printed number goes through these.

func round(v float64, places int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func fmtNum(v float64) string {
	if math.IsInf(v, 1) {
		return "∞"
	}
	s := fmt.Sprintf("%.4f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// fmtMin prints minutes as "52.6 min", "4.38 h" or "31.6 s" (3 significant digits).
func fmtMin(m float64) string {
	switch {
	case m >= 120:
		return sig3(m/60) + " h"
	case m < 1:
		return sig3(m*60) + " s"
	}
	return sig3(m) + " min"
}

func fmtSec(s float64) string {
	if s >= 600 {
		return fmtMin(s / 60)
	}
	return fmtNum(round(s, 1)) + " s"
}

func fmtMs(ms float64) string {
	if ms < 10 {
		return fmtNum(round(ms, 2)) + " ms"
	}
	return fmtNum(round(ms, 1)) + " ms"
}

func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmtNum(math.Round(v))
	case v >= 10:
		return fmtNum(round(v, 1))
	}
	return fmtNum(round(v, 2))
}

// fmtCount prints how many whole events fit (rounded down: a partial
// failover does not fit).
func fmtCount(v float64) string {
	if math.IsInf(v, 1) {
		return "any number"
	}
	return fmtNum(math.Floor(v))
}

// fitText says how many whole events fit in a year.
func fitText(v float64) string {
	if v < 1 {
		return "not even one fits in a year"
	}
	if !math.IsInf(v, 1) && math.Floor(v) == 1 {
		return "1 fits in a year"
	}
	return fmtCount(v) + " fit in a year"
}

func pct(part, whole float64) float64 {
	if whole <= 0 {
		return math.Inf(1)
	}
	return 100 * part / whole
}

func fmtPct(p float64) string {
	if math.IsInf(p, 1) {
		return "more than all"
	}
	if p >= 10 {
		return fmtNum(math.Round(p)) + "%"
	}
	return fmtNum(round(p, 1)) + "%"
}
