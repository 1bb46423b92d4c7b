package decide

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/aadvisor/aadvisor/assess/forecast"
)

// Hard requirements: what the answers demand of any design. The procedure
// (STEP 0–7) proposes a design; requirements() checks it against every hard
// requirement and, when it breaks one, weighs the other designs: the least
// distributed one that meets them all wins, and when none does, the one
// that breaks the fewest and cheapest (docs/decision.md, "Hard
// requirements"). Every requirement the chosen design breaks is a blocker.

// Requirement ids.
const (
	ReqResidency  = "residency"
	ReqRPO0       = "rpo0"
	ReqRegionLoss = "region_loss"
	ReqNever      = "never_conflicts"
	ReqHomeTables = "home_routed_tables"
	ReqOneWriter  = "one_writer"
	ReqOffline    = "offline_writes"
	ReqFarWriters = "far_writers"
	ReqThroughput = "write_throughput"
	ReqSiteRPO    = "site_rpo"
)

// requirementGate is the blocker gate of each requirement.
var requirementGate = map[string]string{
	ReqResidency:  "residency",
	ReqRPO0:       "RPO 0",
	ReqRegionLoss: "region loss",
	ReqNever:      "conflicts never",
	ReqHomeTables: "home routing",
	ReqOneWriter:  "one writer",
	ReqOffline:    "offline writes",
	ReqFarWriters: "far writers",
	ReqThroughput: "write throughput",
	ReqSiteRPO:    "site RPO",
}

// RequirementGate returns the blocker gate a broken requirement is listed under.
func RequirementGate(id string) string { return requirementGate[id] }

// requirementTier ranks what breaking a requirement costs: the law first,
// then lost or conflicting data, then availability, then speed.
var requirementTier = map[string]int{
	ReqResidency:  4,
	ReqRPO0:       3,
	ReqNever:      3,
	ReqHomeTables: 3,
	ReqOneWriter:  3,
	ReqRegionLoss: 2,
	ReqOffline:    2,
	ReqFarWriters: 1,
	ReqThroughput: 1,
	ReqSiteRPO:    3,
}

// breach is one requirement a design breaks.
type breach struct {
	req     string
	text    string
	fix     string
	unknown bool // cannot be shown to hold (missing answer), rather than known to break
}

// evaluation is one design with its copies and the requirements it breaks.
type evaluation struct {
	design   DesignID
	copies   []Copy
	breaches []breach
	pct      float64 // one regional event as a share of the budget left (region loss only)
	event    float64 // minutes of one regional event (+Inf without a copy outside the region)
	meets    map[string]string
}

func (e *evaluation) add(req, fix, format string, args ...any) {
	e.breaches = append(e.breaches, breach{req: req, fix: fix, text: fmt.Sprintf(format, args...)})
}

func (e *evaluation) breaks(req string) bool {
	for _, b := range e.breaches {
		if b.req == req {
			return true
		}
	}
	return false
}

// count returns how many requirements of one tier the design breaks for
// certain, and how many it cannot be shown to meet.
func (e *evaluation) count(tier int) (certain, unknown int) {
	seen := map[string]bool{}
	for _, b := range e.breaches {
		if requirementTier[b.req] != tier || seen[b.req] {
			continue
		}
		seen[b.req] = true
		if b.unknown {
			unknown++
		} else {
			certain++
		}
	}
	return
}

// residency is the data-residency requirement of the answers.
type residency struct {
	on      bool
	entries []string // regions or jurisdictions ("eu", "de": jurisdiction.go)
	dflt    bool     // residency_regions not given: each write region keeps its rows
}

func residencyOf(a Answers) residency {
	r := residency{on: a.Bool("residency")}
	if !r.on {
		return r
	}
	r.entries = a.List("residency_regions")
	if len(r.entries) == 0 {
		r.dflt = true
		for _, w := range a.Regions() {
			r.entries = append(r.entries, w.Region)
		}
	}
	return r
}

// groupOf is the residency entry that holds region's rows ("" = free):
// of nested entries (eu, de, eu-central-1) the narrowest, which every
// copy must also lie in.
func (x *decider) groupOf(region string) string {
	if !x.res.on {
		return ""
	}
	best := ""
	for _, g := range x.res.entries {
		if inGroup(g, region) && x.hasRows(g) && (best == "" || groupSize(g) < groupSize(best)) {
			best = g
		}
	}
	return best
}

// hasRows reports whether some writer (or the primary) sits in the group:
// only then does the group have rows to keep.
func (x *decider) hasRows(g string) bool {
	if inGroup(g, x.d.Primary) {
		return true
	}
	for _, r := range x.a.Regions() {
		if inGroup(g, r.Region) {
			return true
		}
	}
	return false
}

// knownRegion reports whether the entry names or prefixes any region the
// answers or the region table know.
func (x *decider) knownRegion(entry string) bool {
	for _, r := range x.regionPool() {
		if inGroup(entry, r) {
			return true
		}
	}
	return false
}

// regionPool lists every region the answers or the region table name.
func (x *decider) regionPool() []string {
	seen := map[string]bool{}
	var out []string
	add := func(r string) {
		k := strings.ToLower(strings.TrimSpace(r))
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	add(x.d.Primary)
	for _, r := range x.a.Regions() {
		add(r.Region)
	}
	add(x.a.String("standby_region"))
	for _, id := range []string{"rtt_ms", "region_distance_km"} {
		keys := make([]string, 0, len(x.a.Pairs(id)))
		for k := range x.a.Pairs(id) {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a, b, _ := strings.Cut(k, "/")
			add(a)
			add(b)
		}
	}
	known := make([]string, 0, len(regionLocations))
	for r := range regionLocations {
		known = append(known, r)
	}
	sort.Strings(known)
	for _, r := range known {
		add(r)
	}
	return out
}

// drChoice is the region that holds the copy of home's rows outside home.
type drChoice struct {
	Region string
	RTT    RTTEstimate
	Known  bool   // the round trip is known
	Why    string // how it was chosen when the answers did not name it
	Inside bool   // inside home's residency group (or no group applies)
}

// drFor picks where the copy of home's rows outside home lives: the
// standby_region (for the primary), else the nearest other write region,
// else the nearest region aadvisor knows; inside home's residency group
// whenever one exists there.
func (x *decider) drFor(home string) drChoice {
	if c, ok := x.drs[home]; ok {
		return c
	}
	c := x.pickDR(home)
	if x.drs == nil {
		x.drs = map[string]drChoice{}
	}
	x.drs[home] = c
	return c
}

func (x *decider) pickDR(home string) drChoice {
	g := x.groupOf(home)
	allowed := func(r string) bool { return g == "" || inGroup(g, r) }
	same := func(r string) bool { return strings.EqualFold(strings.TrimSpace(r), strings.TrimSpace(home)) }
	mk := func(r, why string) drChoice {
		e, ok := RTT(home, r, x.a, x.t)
		return drChoice{Region: r, RTT: e, Known: ok, Why: why, Inside: allowed(r)}
	}
	outside := ""
	if home == x.d.Primary {
		if s := x.a.String("standby_region"); s != "" && !same(s) {
			if allowed(s) {
				return mk(s, "")
			}
			outside = s
		}
	}
	nearest := func(cands []string) (string, bool) {
		best, bestMs := "", math.Inf(1)
		for _, r := range cands {
			if same(r) || !allowed(r) {
				continue
			}
			if e, ok := RTT(home, r, x.a, x.t); ok && e.Ms < bestMs {
				best, bestMs = r, e.Ms
			}
		}
		return best, best != ""
	}
	var writers []string
	for _, r := range x.a.Regions() {
		writers = append(writers, r.Region)
	}
	why := func(what string) string {
		if outside != "" {
			return fmt.Sprintf("standby_region %s is outside the residency region %s; %s", outside, g, what)
		}
		if home == x.d.Primary {
			return "standby_region not given: " + what
		}
		return what
	}
	if r, ok := nearest(writers); ok {
		return mk(r, why("the nearest other write region"+groupNote(g)))
	}
	if r, ok := nearest(x.regionPool()); ok {
		return mk(r, why(fmt.Sprintf("the nearest region to %s%s", home, groupNote(g))))
	}
	if outside != "" {
		c := mk(outside, "")
		c.Inside = false
		return c
	}
	// Nothing inside the group, or nothing known at all.
	if g != "" {
		return drChoice{Why: fmt.Sprintf("no region aadvisor knows lies inside the residency region %s besides %s", groupWords(g), home)}
	}
	return drChoice{Why: "no second region known: answer standby_region (and rtt_ms or region_distance_km for your own sites)"}
}

func groupNote(g string) string {
	if g == "" {
		return ""
	}
	return " inside the residency region " + groupWords(g)
}

// hardRequirements lists the hard requirements of the answers.
func (x *decider) hardRequirements() []Requirement {
	a := x.a
	var out []Requirement
	add := func(id, format string, args ...any) {
		out = append(out, Requirement{ID: id, Text: fmt.Sprintf(format, args...)})
	}
	if x.res.on {
		var words []string
		for _, g := range x.res.entries {
			words = append(words, groupWords(g))
		}
		what := strings.Join(words, ", ")
		if x.res.dflt {
			what = "each write region (residency_regions not given (default))"
		}
		add(ReqResidency, "Data residency: no node outside %s holds rows that must stay there", what)
	}
	if a.String("rpo_region") == RPOZero {
		add(ReqRPO0, "RPO 0: every commit is on a synchronous copy outside the %s before it is acknowledged", x.failureDomainUnit())
	}
	if hasRegionDomain(a) {
		within := "inside " + x.leftText()
		if x.remaining() <= 0 {
			within = "but " + x.leftText()
		}
		add(ReqRegionLoss, "Region loss: writes resume within %s, %s", x.answerText("rto_region"), within)
	}
	if a.String("conflict_policy") == PolicyNever {
		add(ReqNever, "Conflicts must never happen")
	}
	if len(x.homeTables()) > 0 {
		add(ReqHomeTables, "Tables the evidence marks home-routed are written on one node per row (%s)", strings.Join(x.homeTableNames(3), ", "))
	}
	if what := x.oneWriterRows(); what != "" {
		add(ReqOneWriter, "%s written on one node", capitalise(what))
	}
	if a.String("disconnected_sites") != DisconnectNo {
		add(ReqOffline, "Sites keep writing while cut off (%s)", x.answerText("disconnected_sites"))
	}
	if far := x.farWriters(); len(far) > 0 {
		add(ReqFarWriters, "Writers in %s stay within the %s write latency budget", andWords(farWords(far)), fmtMs(a.Number("write_latency_budget_ms")))
	}
	if x.saturated {
		add(ReqThroughput, "Write throughput beyond one saturated primary")
	}
	if w, ok := x.siteWindow(); ok {
		add(ReqSiteRPO, "Site RPO (%s): a site that writes while cut off (%s) keeps its acknowledged writes when its database server is lost", x.answerText("rpo_region"), w)
	}
	return out
}

// failureDomainUnit is what RPO 0 must survive: a region, an AZ or a node.
func (x *decider) failureDomainUnit() string {
	switch {
	case hasRegionDomain(x.a):
		return "region"
	case x.a.Has("failure_domain", DomainAZ):
		return "availability zone"
	}
	return "node"
}

// farWriters are the write regions the far-writers requirement holds to
// the latency budget: those that need local writes (STEP 4) and those
// under far_writer_share_pct that still break the p99 (minorFar).
func (x *decider) farWriters() []RemoteWriter {
	return append(append([]RemoteWriter(nil), x.needLocal...), x.farMinor...)
}

// andWords joins "a", "a and b", "a, b and c".
func andWords(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// candidates are the designs the answers allow, least distributed first.
func (x *decider) candidates() []DesignID {
	a := x.a
	owners := a.String("partition_key") != PartitionNo
	out := []DesignID{SP1}
	if !x.d.Platform.Managed || !hasRegionDomain(a) {
		// a managed service's synchronous standby is its own, in another
		// AZ (SP-1 has it): it offers none in another region
		out = append(out, SPSync)
	}
	if hasRegionDomain(a) {
		out = append(out, SP2, SP3)
	}
	if owners && x.saturated {
		out = append(out, WPShard)
	}
	if owners && a.String("disconnected_sites") != DisconnectNo {
		out = append(out, WPSite)
	}
	if owners && a.String("cross_owner_txns") != CrossCommon && len(a.Regions()) >= 2 {
		out = append(out, WPGeo)
	}
	if owners || len(x.homeTables()) > 0 {
		out = append(out, AAHome)
	}
	return append(out, AAAny)
}

// evaluate places design d and checks it against every hard requirement.
func (x *decider) evaluate(d DesignID) evaluation {
	e := evaluation{design: d, meets: map[string]string{}}
	e.copies = x.copiesFor(d)
	x.checkResidency(&e)
	x.checkRegionLoss(&e)
	x.checkRPO(&e)
	x.checkOthers(&e)
	x.checkSiteRPO(&e)
	return e
}

// siteWindow says how long a site writes cut off, when that is longer than
// the RPO allows it to lose (ok): its writes since the cut are on the site
// only, so the RPO for losing it is the offline window, not the answer.
// RPO 0 is checkRPO's (a site cut off cannot wait for a copy elsewhere).
func (x *decider) siteWindow() (string, bool) {
	dis := x.a.String("disconnected_sites")
	rpo, known := RPO(x.a)
	if dis == DisconnectNo || !known || rpo == 0 {
		return "", false
	}
	h := x.a.Number("disconnect_hours")
	window := h * 3600
	words := fmt.Sprintf("up to %s h", fmtNum(h))
	if h <= 0 {
		// no length given: the least the answer means
		window = map[string]float64{DisconnectMin: 60, DisconnectHours: 3600, DisconnectDays: 86400}[dis]
		words = x.answerText("disconnected_sites") + ", disconnect_hours not given"
	}
	return words, window > rpo.Seconds()
}

// sitesWriteOffline reports whether design d lets a site write while cut off.
func (x *decider) sitesWriteOffline(d DesignID) bool {
	return x.a.String("disconnected_sites") != DisconnectNo &&
		(d == WPSite || d == AAAny || (d == AAHome && x.a.String("partition_key") != PartitionNo))
}

// checkSiteRPO: a site that writes while cut off holds writes nobody else
// has until the link is back. The loss of its server loses none of them
// only with a synchronous standby at the site, which copiesFor places.
func (x *decider) checkSiteRPO(e *evaluation) {
	w, ok := x.siteWindow()
	if !ok {
		return
	}
	if !x.sitesWriteOffline(e.design) {
		e.meets[ReqSiteRPO] = "no site writes while cut off"
		return
	}
	for _, c := range e.copies {
		if c.Role == "site-standby" {
			e.meets[ReqSiteRPO] = "a synchronous standby at each site: every commit a site makes while cut off waits for it, so losing the site's server loses none of them"
			return
		}
	}
	e.add(ReqSiteRPO, "Keep a synchronous standby at each site (a second node; synchronous_standby_names = 'ANY 1 (…)', synchronous_commit = on) [R19], or relax the RPO for sites to the offline window.",
		"a site cut off (%s) holds writes no other node has: losing its server loses all of them, above the RPO (%s)", w, x.answerText("rpo_region"))
}

// siteStandbys are the synchronous standbys at the sites of design d when
// the site RPO asks for them.
func (x *decider) siteStandbys(d DesignID) []Copy {
	if _, ok := x.siteWindow(); !ok || !x.sitesWriteOffline(d) {
		return nil
	}
	var out []Copy
	for _, r := range x.a.Regions() {
		c := Copy{Region: r.Region, Role: "site-standby", Sync: true, Why: "beside the database of each site writing in " + r.Region}
		if d == WPSite {
			c.HomeOf = r.Region
		}
		out = append(out, c)
	}
	return out
}

// homes are the regions whose owners a write-partitioned design homes.
func (x *decider) homes(d DesignID) []string {
	if d != WPGeo {
		return []string{x.d.Primary}
	}
	var out []string
	for _, r := range x.a.Regions() {
		out = append(out, r.Region)
	}
	return out
}

// promotion is how a partition's or a primary's standby takes over on
// region loss in a single-primary or write-partitioned design.
func (x *decider) promotion(d DesignID) string {
	switch d {
	case SP2:
		return "manual"
	case SP3, SPSync:
		return "automatic"
	}
	rto := x.a.String("rto_region")
	if (rto == RTOHours || rto == RTOManual) && x.remaining() >= x.t.Get("manual_region_promotion_min") {
		return "manual"
	}
	return "automatic"
}

// rpoSync reports whether a copy of home's rows outside the region can be
// synchronous within the latency budget.
func (x *decider) rpoSync(c drChoice) bool {
	return x.a.String("rpo_region") == RPOZero && c.Region != "" && c.Known && c.RTT.Ms <= x.a.Number("write_latency_budget_ms")
}

// copiesFor places the data of design d: which regions hold which rows.
func (x *decider) copiesFor(d DesignID) []Copy {
	a, p := x.a, x.d.Primary
	regionFD := hasRegionDomain(a)
	rpo0 := a.String("rpo_region") == RPOZero
	dr := func(home, role string, sync bool, promo string) Copy {
		c := x.drFor(home)
		out := Copy{Region: c.Region, Role: role, Sync: sync, Promotion: promo, Why: c.Why}
		if home != p || d == WPGeo {
			out.HomeOf = home
		}
		return out
	}
	switch d {
	case SP1:
		return []Copy{{Region: p, Role: "primary"}}
	case SPSync:
		out := []Copy{{Region: p, Role: "primary"}}
		if regionFD && rpo0 {
			// a synchronous copy out of reach of the budget is not one
			if c := x.drFor(p); x.rpoSync(c) || !c.Known {
				return append(out, dr(p, "sync-standby", true, "automatic"))
			}
		}
		return append(out, Copy{Region: p, Role: "sync-standby", Sync: true, Why: "another availability zone of " + p})
	case SP2, SP3:
		return []Copy{{Region: p, Role: "primary"}, dr(p, "dr-standby", false, x.promotion(d))}
	case WPShard:
		out := []Copy{{Region: p, Role: "shard"}}
		if regionFD {
			c := x.drFor(p)
			out = append(out, dr(p, "dr-standby", x.rpoSync(c), x.promotion(d)))
		}
		return out
	case WPSite:
		out := []Copy{{Region: p, Role: "hub"}}
		for _, r := range a.Regions() {
			out = append(out, Copy{Region: r.Region, Role: "site", HomeOf: r.Region, Why: "the sites writing in " + r.Region})
		}
		out = append(out, x.siteStandbys(d)...)
		if regionFD {
			c := x.drFor(p)
			out = append(out, dr(p, "dr-standby", x.rpoSync(c), x.promotion(d)))
		}
		return out
	case WPGeo:
		var out []Copy
		for _, h := range x.homes(d) {
			out = append(out, Copy{Region: h, Role: "owner", HomeOf: h})
			if regionFD {
				c := x.drFor(h)
				if c.Region == "" || !c.Inside {
					if c.Region == "" || x.groupOf(h) != "" {
						continue // no copy outside h that may hold its rows
					}
				}
				out = append(out, dr(h, "dr-standby", x.rpoSync(c), x.promotion(d)))
			}
		}
		return out
	case AAHome, AAAny:
		var out []Copy
		for _, r := range x.meshRegions() {
			out = append(out, Copy{Region: r.Region, Role: "peer", Why: r.Why})
		}
		if a.String("disconnected_sites") != DisconnectNo {
			for _, r := range a.Regions() {
				out = append(out, Copy{Region: r.Region, Role: "site", Why: "the sites writing in " + r.Region})
			}
		}
		return append(out, x.siteStandbys(d)...)
	}
	return nil
}

// meshRegions are the regions of an active-active mesh: every write region,
// and a second region for region loss when the writers sit in one.
func (x *decider) meshRegions() []Copy {
	var out []Copy
	for _, r := range x.a.Regions() {
		out = append(out, Copy{Region: r.Region})
	}
	if len(out) < 2 && hasRegionDomain(x.a) {
		c := x.drFor(x.d.Primary)
		out = append(out, Copy{Region: c.Region, Why: c.Why})
	}
	return out
}

func (x *decider) checkResidency(e *evaluation) {
	if !x.res.on {
		return
	}
	var bad []string
	for _, g := range x.res.entries {
		if !x.knownRegion(g) {
			bad = append(bad, fmt.Sprintf("the residency region %q is none of your regions nor a jurisdiction aadvisor knows (%s), so no copy can be checked against it", g, knownJurisdictions()))
		}
	}
	reported := map[string]bool{}
	for _, c := range e.copies {
		where := c.Region
		if where == "" {
			where = "an unknown region"
			if c.Why != "" {
				where = "another region (" + c.Why + ")"
			}
		}
		if c.HomeOf != "" {
			g := x.groupOf(c.HomeOf)
			if g != "" && (c.Region == "" || !inGroup(g, c.Region)) {
				bad = append(bad, fmt.Sprintf("the %s in %s would hold rows of owners homed in %s, which must stay in %s", c.RoleText(), where, c.HomeOf, g))
			}
			continue
		}
		for _, g := range x.res.entries {
			if !x.hasRows(g) || (c.Region != "" && inGroup(g, c.Region)) || reported[c.Region+"|"+g] {
				continue
			}
			reported[c.Region+"|"+g] = true
			bad = append(bad, fmt.Sprintf("the %s in %s would hold every row, including those that must stay in %s", c.RoleText(), where, g))
		}
	}
	if len(bad) == 0 {
		e.meets[ReqResidency] = "every copy of a residency region's rows stays inside it"
		return
	}
	fix := "Keep each jurisdiction's rows on nodes inside it: geo-partition by owner (WP-GEO) with publication row filters, and a standby inside the same jurisdiction [R21]."
	e.add(ReqResidency, fix, "%s", strings.Join(dedupe(bad), "; "))
}

func (x *decider) checkRegionLoss(e *evaluation) {
	if !hasRegionDomain(x.a) {
		return
	}
	rto := x.a.String("rto_region")
	left := x.remaining()
	dSP2, dSP3, dAA := x.t.Get("manual_region_promotion_min"), x.t.Get("auto_region_promotion_min"), x.t.Get("aa_reroute_s")/60
	event, kind := 0.0, ""
	hasDR := false
	for _, c := range e.copies {
		if c.Role == "dr-standby" || (c.Role == "sync-standby" && c.Region != x.d.Primary && c.Region != "") {
			hasDR = true
		}
	}
	switch DesignByID(e.design).Family {
	case ActiveActive:
		event, kind = dAA, "re-route"
	default:
		if !hasDR && e.design != WPGeo {
			e.pct, e.event = math.Inf(1), math.Inf(1)
			fix := fmt.Sprintf("Keep a standby outside %s (SP-2/SP-3) or run a mesh (AA-HOME).", x.d.Primary)
			if g := x.groupOf(x.d.Primary); g != "" && !x.drFor(x.d.Primary).Inside {
				fix = fmt.Sprintf("No region aadvisor knows may hold the rows that must stay in %s besides %s: %s.", groupWords(g), x.d.Primary, roomFor(g, x.d.Primary))
			}
			e.add(ReqRegionLoss, fix, "%s keeps no copy outside %s: a region loss stops writes until a restore from backup (hours)", e.design, x.d.Primary)
			return
		}
		if x.promotion(e.design) == "manual" {
			event, kind = dSP2, "manual"
		} else {
			event, kind = dSP3, "automatic"
		}
	}
	e.pct, e.event = pct(event, left), event
	fam := DesignByID(e.design).Family
	owners := ""
	if fam == WritePartitioned {
		owners = " for the owners homed in the lost region"
		if e.design == WPGeo {
			for _, h := range x.homes(e.design) {
				found := false
				for _, c := range e.copies {
					if c.Role == "dr-standby" && c.HomeOf == h {
						found = true
					}
				}
				if !found {
					e.add(ReqRegionLoss, capitalise(roomFor(x.groupOf(h), h))+".",
						"the owners homed in %s have no copy outside it that may hold their rows: %s", h, x.drFor(h).Why)
				}
			}
		}
	}
	switch {
	case kind == "manual" && (rto == RTOAuto || rto == RTOZero):
		e.add(ReqRegionLoss, "Automate the promotion (SP-3) or run a mesh.",
			"your region RTO is %s but %s waits for a manual promotion (~%s)", x.answerText("rto_region"), e.design, fmtMin(dSP2))
	case kind == "automatic" && rto == RTOZero:
		e.add(ReqRegionLoss, "Only a mesh that needs no promotion (AA-HOME) gives RTO ~0; or accept an automated promotion.",
			"your region RTO is ~0 but an automated promotion is still a ~%s write outage%s", fmtMin(dSP3), owners)
	}
	if event > left {
		what := map[string]string{"manual": "a manual promotion", "automatic": "an automated promotion", "re-route": "re-routing clients"}[kind]
		e.add(ReqRegionLoss, "Measure the target per owner, exclude a provider-region outage from it, or relax it.",
			"%s (~%s)%s %s", what, fmtMin(event), owners, x.useText(e.pct))
	}
	if !e.breaks(ReqRegionLoss) {
		e.meets[ReqRegionLoss] = fmt.Sprintf("one regional event (%s, ~%s) uses %s of %s", kind, fmtMin(event), fmtPct(e.pct), x.leftText())
	}
}

func (x *decider) checkRPO(e *evaluation) {
	a := x.a
	if a.String("rpo_region") != RPOZero {
		return
	}
	budget := a.Number("write_latency_budget_ms")
	if !hasRegionDomain(a) {
		if a.String("disconnected_sites") != DisconnectNo && (e.design == WPSite || e.design == AAAny || e.design == AAHome) {
			e.add(ReqRPO0, "Relax the RPO for the sites' offline writes, or keep sites from writing while cut off.",
				"a site that writes while cut off cannot wait for a synchronous copy elsewhere")
			return
		}
		e.meets[ReqRPO0] = fmt.Sprintf("a synchronous standby in another %s of each writer's region", x.failureDomainUnit())
		return
	}
	relax := "Relax the RPO (asynchronous replication + idempotent client replay) or the latency budget; durability can be set per transaction so only the important writes wait [R19]."
	window := fmtMs(x.d.WindowS * 1000)
	switch DesignByID(e.design).Family {
	case ActiveActive:
		e.add(ReqRPO0, "Use EDB PGD Quorum Commit (a majority confirms every commit; \"All writes must go through a single write leader\") [R13], or relax the RPO.",
			"asynchronous multi-primary never gives RPO 0: the replication window (~%s) is lost with the region [R16, R11]", window)
		return
	}
	if x.d.Platform.Managed {
		// A managed service keeps its synchronous standby in another AZ of
		// the same region; what it copies to another region is asynchronous.
		e.add(ReqRPO0, "Run self-managed PostgreSQL (Patroni synchronous_mode with a synchronous standby in another region [R4]) for a synchronous copy outside the region, or relax the RPO; durability can be set per transaction so only the important writes wait [R19].",
			"%s", managedNoRemoteSync(x.a.String("platform"), x.d.Platform.Name))
		return
	}
	var bad []string
	unknown := false
	for _, h := range x.homes(e.design) {
		c := x.drFor(h)
		switch {
		case e.design == SP1:
			bad = append(bad, fmt.Sprintf("SP-1 keeps no copy outside %s", h))
		case c.Region == "" || !c.Known:
			unknown = true
			bad = append(bad, fmt.Sprintf("the region for the synchronous copy of %s is unknown (%s), so the commit wait cannot be shown to fit your %s budget", h, orWhy(c), fmtMs(budget)))
		case c.RTT.Ms > budget:
			bad = append(bad, fmt.Sprintf("RPO 0 across regions is infeasible: every commit would wait ≥ %s (%s↔%s, %s) but your write latency budget is %s", fmtMs(c.RTT.Ms), c.RTT.A, c.RTT.B, c.RTT.Source, fmtMs(budget)))
		case e.design == SP2 || e.design == SP3:
			bad = append(bad, fmt.Sprintf("the standby in %s is asynchronous: a region loss loses the last ~%s of commits (a synchronous one would cost %s per commit, within budget: SP-SYNC)", c.Region, window, fmtMs(c.RTT.Ms)))
		}
	}
	if e.design == WPSite && a.String("disconnected_sites") != DisconnectNo {
		bad = append(bad, "a site that writes while cut off cannot wait for a synchronous copy elsewhere")
	}
	if len(bad) == 0 {
		c := x.drFor(x.d.Primary)
		e.meets[ReqRPO0] = fmt.Sprintf("synchronous commit to %s: every commit waits ≥ %s", c.Region, fmtMs(c.RTT.Ms))
		return
	}
	e.breaches = append(e.breaches, breach{req: ReqRPO0, text: strings.Join(bad, "; "), fix: relax, unknown: unknown && len(bad) == 1})
}

// hasInvariants reports whether the answers name invariants to keep.
func (x *decider) hasInvariants() bool {
	inv := x.a.List("invariants")
	return len(inv) > 0 && !slices.Contains(inv, InvNone)
}

// hotRowAnswered reports whether the answered hottest row is hot: its
// P(conflict per write) is above hot_row_p_conflict.
func (x *decider) hotRowAnswered() bool {
	return x.d.HotRowPConflict > x.t.Get("hot_row_p_conflict")
}

// oneWriterRows names the rows the answers say must have one writer, with
// the verb: those carrying invariants and a hot row; "" when there are none.
func (x *decider) oneWriterRows() string {
	var what []string
	if x.hasInvariants() {
		what = append(what, "rows carrying "+x.answerText("invariants"))
	}
	if x.hotRowAnswered() {
		hot := fmt.Sprintf("the hottest row (%s updates/s by your answers, P(conflict per write) %s", fmtNum(x.a.Number("hot_row_updates_per_sec")), fmtPct(x.d.HotRowPConflict*100))
		// The forecast measures its own hot rows; its hottest is named
		// beside the answer, not in its place (the tables list each one).
		if f := x.in.Forecast; f != nil {
			var top *forecast.HotRow
			for i := range f.HotRows {
				if h := &f.HotRows[i]; top == nil || h.WritesPerSec > top.WritesPerSec {
					top = h
				}
			}
			if top != nil && round(top.WritesPerSec, 2) != x.a.Number("hot_row_updates_per_sec") {
				hot += fmt.Sprintf("; the forecast measured %s writes/s on %s %s", fmtNum(round(top.WritesPerSec, 2)), qualify(top.Table), top.Key)
			}
		}
		what = append(what, hot+")")
	}
	switch {
	case len(what) == 0:
		return ""
	case len(what) == 1 && !x.hasInvariants():
		return what[0] + " is"
	}
	return strings.Join(what, " and ") + " are"
}

// managedNoRemoteSync says why a managed platform has no synchronous copy
// in another region.
func managedNoRemoteSync(platform, name string) string {
	switch platform {
	case PlatformAurora:
		return "Aurora's copy in another region (Global Database) is asynchronous: an unplanned failover \"can result in a loss of write transaction data that wasn't replicated\" [R11]"
	case PlatformRDS:
		return "RDS Multi-AZ keeps its synchronous standby in another AZ of the same region [R8]; nothing synchronous reaches another region"
	case PlatformRDSCluster:
		return "an RDS Multi-AZ DB cluster acknowledges commits from readers in other AZs of the same region [R9]; nothing synchronous reaches another region"
	}
	return name + " keeps its synchronous standby inside one region, as RDS does [R8] (assumption: check with your provider); nothing synchronous reaches another region"
}

func orWhy(c drChoice) string {
	if c.Why != "" {
		return c.Why
	}
	return "answer standby_region and rtt_ms"
}

func (x *decider) checkOthers(e *evaluation) {
	a := x.a
	d, fam := e.design, DesignByID(e.design).Family
	pk := a.String("partition_key")
	if a.String("conflict_policy") == PolicyNever {
		switch {
		case d == AAAny:
			e.add(ReqNever, "Home-route every row (AA-HOME) or keep one writer.", "any node writes any row, so two nodes can change the same row within the replication window")
		case d == AAHome && pk == PartitionNo:
			e.add(ReqNever, "Keep one writer for shared rows.", "rows have no owner to home-route by: shared rows are written on several nodes")
		default:
			e.meets[ReqNever] = "one node writes each row"
		}
	}
	if what := x.oneWriterRows(); what != "" {
		if d == AAAny {
			var why []string
			if x.hasInvariants() {
				why = append(why, fmt.Sprintf("asynchronous multi-writer cannot keep %s: \"two nodes each checking an account balance locally can both approve simultaneous withdrawals that together exceed the account limit\" [R13]", x.answerText("invariants")))
			}
			if x.hotRowAnswered() {
				why = append(why, fmt.Sprintf("the hottest row would conflict on %s of its writes (hot from %s)", fmtPct(x.d.HotRowPConflict*100), fmtPct(x.t.Get("hot_row_p_conflict")*100)))
			}
			e.add(ReqOneWriter, "Give rows an owner so each is written in its home region (AA-HOME), keep those tables single-writer, or use Quorum Commit [R13]; turn hot counters into ledger inserts [R17].",
				"any node writes any row, and rows have no owner: %s", strings.Join(why, "; "))
		} else {
			e.meets[ReqOneWriter] = "each row is written on one node"
		}
	}
	if home := x.homeTables(); len(home) > 0 {
		if d == AAAny {
			e.add(ReqHomeTables, "Route each of these tables' writes to one node per row (AA-HOME).", "any node would write %s, which the evidence says must be home-routed", strings.Join(x.homeTableNames(3), ", "))
		} else {
			e.meets[ReqHomeTables] = "each row is written on one node"
		}
	}
	if a.String("disconnected_sites") != DisconnectNo {
		if d == WPSite || d == AAAny || (d == AAHome && pk != PartitionNo) {
			e.meets[ReqOffline] = "each site writes locally and catches up after the cut"
		} else {
			e.add(ReqOffline, "Site-owned partitions (WP-SITE) or a mesh accept writes while a site is cut off.", "a site cut off from %s cannot write (%s)", x.d.Primary, x.answerText("disconnected_sites"))
		}
	}
	if far := x.farWriters(); len(far) > 0 {
		who := andWords(farWords(far))
		budget := fmtMs(a.Number("write_latency_budget_ms"))
		switch {
		case fam == SinglePrimary || d == WPShard:
			e.add(ReqFarWriters, "Give those writers local writes: geo-partitioning by owner (WP-GEO) or a mesh; or colocate the app tier and queue their writes for asynchronous delegation where the user need not wait [R2].", "writers in %s pay more than your %s budget", who, budget)
		case d == AAHome && pk == PartitionNo && len(x.homeTables()) > 0:
			// Without an owner column each home-routed table has one home,
			// the primary region: far writers still cross for those writes.
			e.add(ReqFarWriters, "Give the home-routed tables an owner column (partition_key) so each region writes its own rows, or accept the round trip for them.",
				"writers in %s pay that for writes to %s, homed in %s (no owner column to home their rows by region), above your %s budget",
				who, strings.Join(x.homeTableNames(3), ", "), x.d.Primary, budget)
		default:
			e.meets[ReqFarWriters] = "far writers write in their own region"
		}
	}
	if x.saturated {
		if fam == WritePartitioned {
			e.meets[ReqThroughput] = "each partition's primary takes only its owners' writes"
		} else {
			e.add(ReqThroughput, "Shard by owner (WP-SHARD, Citus) [R20].", "one primary is saturated, and in a mesh every node applies every write")
		}
	}
}

// better orders evaluations: fewer breaches of the costliest kind first,
// then (region loss broken by both) the smaller share of the budget, or the
// shorter regional outage when none is left, then the least distributed
// design, then the procedure's own proposal.
func (x *decider) better(a, b evaluation, proposed DesignID) bool {
	for tier := 4; tier >= 1; tier-- {
		ac, au := a.count(tier)
		bc, bu := b.count(tier)
		if ac != bc {
			return ac < bc
		}
		if au != bu {
			return au < bu
		}
	}
	if a.breaks(ReqRegionLoss) && b.breaks(ReqRegionLoss) {
		if a.pct != b.pct {
			return a.pct < b.pct
		}
		// nothing is left for a region loss: the shorter outage is better
		if a.event != b.event {
			return a.event < b.event
		}
	}
	// Breaking the same, the less distributed design costs less: a mesh
	// that leaves its far writers crossing buys nothing over a standby.
	if ra, rb := DesignByID(a.design).rank, DesignByID(b.design).rank; ra != rb {
		return ra < rb
	}
	return a.design == proposed && b.design != proposed
}

// requirements checks the proposed design against the hard requirements,
// moves to a design that meets them when one exists, and lists what the
// chosen design breaks as blockers.
func (x *decider) requirements() {
	r := x.r
	reqs := x.hardRequirements()
	cur := x.evaluate(r.Design)
	if len(cur.breaches) > 0 {
		proposed := r.Design
		var evals []evaluation
		for _, d := range x.candidates() {
			evals = append(evals, x.evaluate(d))
		}
		if !slices.Contains(x.candidates(), proposed) {
			evals = append(evals, cur)
		}
		sort.SliceStable(evals, func(i, j int) bool { return x.better(evals[i], evals[j], proposed) })
		var clean *evaluation
		for i := range evals {
			if len(evals[i].breaches) == 0 && (clean == nil || DesignByID(evals[i].design).rank < DesignByID(clean.design).rank) {
				clean = &evals[i]
			}
		}
		next := evals[0]
		if clean != nil {
			next = *clean
		} else {
			for _, ev := range evals {
				dc := DesignCheck{Design: ev.design, Chosen: ev.design == next.design}
				if hasRegionDomain(x.a) && !math.IsInf(ev.pct, 0) {
					dc.BudgetPct = round(ev.pct, 1)
				}
				for _, b := range ev.breaches {
					dc.Breaks = append(dc.Breaks, requirementGate[b.req]+": "+b.text)
				}
				r.Compared = append(r.Compared, dc)
			}
		}
		var names []string
		for _, b := range cur.breaches {
			names = append(names, requirementGate[b.req])
		}
		names = dedupe(names)
		switch {
		case next.design == proposed:
			x.step("requirements", "%s breaks %s, and no design meets every hard requirement: %s breaks the fewest and cheapest", proposed, strings.Join(names, ", "), proposed)
		case clean != nil:
			x.step("requirements", "%s breaks %s; %s meets every hard requirement", proposed, strings.Join(names, ", "), next.design)
		default:
			x.step("requirements", "%s breaks %s, and no design meets every hard requirement: %s breaks the fewest and cheapest", proposed, strings.Join(names, ", "), next.design)
		}
		if next.design != proposed {
			x.switchTo(next.design, fmt.Sprintf("it breaks %s", strings.Join(names, ", ")))
		}
	}
	final := x.evaluate(r.Design)
	r.Copies = final.copies
	for _, q := range reqs {
		q.Met = !final.breaks(q.ID)
		if q.Met {
			q.Why = final.meets[q.ID]
		} else {
			var ws []string
			for _, b := range final.breaches {
				if b.req == q.ID {
					ws = append(ws, b.text)
				}
			}
			q.Why = strings.Join(ws, "; ")
		}
		r.Requirements = append(r.Requirements, q)
	}
	for _, b := range final.breaches {
		r.Blockers = append(r.Blockers, Blocker{Gate: requirementGate[b.req], Message: capitalise(b.text) + ".", Fix: b.fix})
	}
	if w, ok := x.siteWindow(); ok && x.sitesWriteOffline(r.Design) {
		// What the standby at the site cannot keep: nothing outside the
		// site holds its writes until the link is back.
		r.Risks = append(r.Risks, fmt.Sprintf("A site lost whole (fire, flood, theft) while cut off loses what it wrote since the cut (%s): its synchronous standby is at the site, and nothing outside it holds those writes until the link is back. Only a shorter offline window, or writes that wait for the hub, bound that loss to the RPO (%s).", w, x.answerText("rpo_region")))
	}
}

// switchTo replaces the proposed design; active-active gates run for a
// mesh that was not proposed.
func (x *decider) switchTo(d DesignID, why string) {
	r := x.r
	old := r.Design
	x.reject(old, "%s", why)
	if DesignByID(old).Family == ActiveActive && DesignByID(d).Family != ActiveActive && x.ranStep7 {
		// the active-active gates' findings do not apply to the new design
		m := x.pre7
		r.Blockers, r.Risks, r.Advice = r.Blockers[:m.blockers], r.Risks[:m.risks], r.Advice[:m.advice]
		r.Drivers, r.EngineNotes = r.Drivers[:m.drivers], r.EngineNotes[:m.notes]
	}
	r.Design = d
	r.Family = DesignByID(d).Family
	r.Also = x.alsoFor(d)
	if r.Family == ActiveActive && !x.ranStep7 {
		x.step7()
	}
}

// alsoFor lists the companion designs of d.
func (x *decider) alsoFor(d DesignID) []Companion {
	var out []Companion
	for _, c := range x.wps {
		if c.Design != d {
			out = append(out, c)
		}
	}
	switch DesignByID(d).Family {
	case ActiveActive:
		out = append(out, Companion{Design: SP1, For: "in-region HA for each node of the mesh"})
	case WritePartitioned:
		for_ := "the control plane / shared data in " + x.d.Primary
		if d == WPSite {
			for_ = "HQ and the central services"
		}
		sp := x.sp
		if DesignByID(sp).Family != SinglePrimary {
			sp = SP1
		}
		out = append(out, Companion{Design: sp, For: for_})
	}
	return out
}

func dedupe(s []string) []string {
	var out []string
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
