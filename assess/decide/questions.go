// Package decide holds aadvisor's advisor: the question bank, the answers
// file, the derived quantities (downtime budgets, RTT, latency penalties,
// conflict rates), the thresholds, jurisdictions and hard requirements,
// and the decision procedure that recommends the least distributed
// PostgreSQL design meeting every hard requirement; the recommendation's
// renderers and the plan it makes; and the report page (html), which
// draws the audit, the forecast and the recommendation together.
//
// The numbers and the procedure are documented in docs/decision.md, where
// every constant names its source (docs/references.md).
//
// It reads the audit's report (assess) and the forecast (assess/forecast)
// and imports rules, inspect, templates and replicate (the plan a
// recommendation makes); never cmd. Neither assess nor assess/forecast
// imports it.
package decide

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/rules"
)

// defaultWindowMs is the default answer of replication_window_ms: the
// default replication window the audit's hot-row rule and observe use too.
const defaultWindowMs = float64(rules.DefaultReplicationWindow) / float64(time.Millisecond)

// Kind is the type of answer a question takes.
type Kind int

// Question kinds. They map to huh fields: Select, MultiSelect, Input (number
// or text), Confirm, and a small editor for the region list.
const (
	KindSelect Kind = iota + 1
	KindMultiSelect
	KindNumber
	KindBool
	KindText
	KindRegions  // list of {region, share}
	KindTextList // list of strings
	KindNumberMap
)

func (k Kind) String() string {
	switch k {
	case KindSelect:
		return "select"
	case KindMultiSelect:
		return "multiselect"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindText:
		return "text"
	case KindRegions:
		return "regions"
	case KindTextList:
		return "list"
	case KindNumberMap:
		return "map"
	}
	return "unknown"
}

// Option is one choice of a select or multiselect question. Value is what the
// answers file holds; Label is what a person reads.
type Option struct {
	Value string
	Label string
}

// Question is one entry of the question bank. ID is also the key in the
// answers file.
type Question struct {
	ID       string
	Section  string
	Prompt   string
	Help     string // why it matters
	Kind     Kind
	Options  []Option // select/multiselect choices; for numbers, suggested presets
	Default  any      // nil: no default
	Required bool
	Min, Max float64 // numbers: inclusive range (Max 0 = unbounded)
	// Validate checks a parsed value beyond kind, options and range.
	Validate func(v any) error
	// Ask reports whether the question is relevant given earlier answers
	// (nil = always). Irrelevant questions are not prompted; their defaults apply.
	Ask func(a Answers) bool
}

// Sections in the order they are asked.
var Sections = []string{"Availability", "Regions & latency", "Workload", "Data & conflicts", "Motivation", "Operations"}

// Option values used by the procedure. Keep in sync with the bank below.
const (
	DomainNode     = "node"
	DomainAZ       = "az"
	DomainRegion   = "region"
	DomainProvider = "provider"
	DomainWAN      = "wan_cut"

	RTOHours  = "hours"
	RTOManual = "15m"
	RTOAuto   = "2m"
	RTOZero   = "0"

	RPOZero   = "0"
	RPOSecond = "1s"
	RPOMinute = "1m"
	RPO15Min  = "15m"
	RPOHours  = "hours"

	HeadroomLow      = "low"
	HeadroomMedium   = "medium"
	HeadroomHigh     = "high"
	HeadroomUnknown  = "unknown"
	PartitionYes     = "yes"
	PartitionMostly  = "mostly"
	PartitionNo      = "no"
	CrossNever       = "never"
	CrossRare        = "rare"
	CrossCommon      = "common"
	InvUnique        = "unique"
	InvNonNegative   = "non_negative"
	InvGapless       = "gapless"
	InvCrossOwnerFK  = "cross_owner_fk"
	InvNone          = "none"
	PolicyLWW        = "lww"
	PolicyRepair     = "repair"
	PolicyNever      = "never"
	DisconnectNo     = "no"
	DisconnectMin    = "minutes"
	DisconnectHours  = "hours"
	DisconnectDays   = "days"
	MotRegionLoss    = "region_loss"
	MotFiveNines     = "five_nines"
	MotLegacy        = "replace_legacy"
	MotLatency       = "far_users_latency"
	MotOffline       = "offline_sites"
	MotScaleWrites   = "scale_writes"
	MotPerformance   = "performance"
	MotLoadBalancing = "load_balancing"
	MotOthersDoIt    = "others_do_it"
	MotCool          = "cool_modern"
	MotBackup        = "backup"
	MotUpgrades      = "zero_downtime_upgrades"

	PlatformRDS        = "rds"
	PlatformRDSCluster = "rds_cluster"
	PlatformAurora     = "aurora"
	PlatformManaged    = "managed"
	PlatformCNPG       = "cloudnativepg"
	PlatformPatroni    = "patroni"
	PlatformPAF        = "pg_auto_failover"
	PlatformEdge       = "edge"

	TeamNone     = "none"
	TeamBusiness = "business_hours"
	Team24x7     = "oncall_24x7"

	DDLMonthly = "monthly"
	DDLWeekly  = "weekly"
	DDLDaily   = "daily"
)

func hasRegionDomain(a Answers) bool {
	return a.Has("failure_domain", DomainRegion) || a.Has("failure_domain", DomainProvider)
}

// Bank is the question bank, in the order asked. It follows docs/decision.md;
// composite questions there (slo_window + maintenance, hot rows, residency,
// ops capacity) are split into one question per answer key, and a few
// refinements (primary region, PostgreSQL version, replication window,
// measured RTTs) are added with defaults.
var Bank []Question

func init() { Bank = bank() }

func bank() []Question {
	return []Question{
		{
			ID: "slo_target", Section: "Availability", Required: true, Kind: KindNumber,
			Prompt: "What availability target do you promise for writes (in nines)?",
			Help:   "Sets the downtime budget: (1 − A) × 525 960 min a year. 99.99% leaves 52.6 min/year, 99.999% only 5.26 min. Every failover, promotion and maintenance switchover spends it.",
			Options: []Option{
				{"99.9", "99.9% (8.77 h/year)"}, {"99.95", "99.95% (4.38 h/year)"}, {"99.99", "99.99% (52.6 min/year)"},
				{"99.995", "99.995% (26.3 min/year)"}, {"99.999", "99.999% (5.26 min/year)"},
			},
			Min: 90, Max: 99.99999,
		},
		{
			ID: "slo_window", Section: "Availability", Kind: KindSelect, Default: "year",
			Prompt:  "Over what window is the target measured?",
			Help:    "A monthly budget cannot absorb one long event: at 99.99% a month allows 4.4 min, so one 15-minute manual promotion breaks it even if the year is fine.",
			Options: []Option{{"month", "per month"}, {"quarter", "per quarter"}, {"year", "per year"}},
		},
		{
			ID: "maintenance_counts", Section: "Availability", Kind: KindBool, Default: true,
			Prompt: "Does planned maintenance (switchovers, upgrades) count against the target?",
			Help:   "If it counts, every switchover and major upgrade spends the budget too (Blue/Green switchover is typically under one minute).",
		},
		{
			ID: "failure_domain", Section: "Availability", Required: true, Kind: KindMultiSelect,
			Prompt: "Which failures must the database survive?",
			Help:   "Node and AZ loss are handled without a human by in-region HA (Patroni, CloudNativePG, RDS Multi-AZ). Region or provider loss is where in-region HA stops; the next question says how soon writes must resume, and whether a person may promote a standby.",
			Options: []Option{
				{DomainNode, "loss of a node"}, {DomainAZ, "loss of an availability zone / data centre"},
				{DomainRegion, "loss of a whole region"}, {DomainProvider, "loss of a whole cloud provider"},
				{DomainWAN, "a WAN cut isolating a site"},
			},
		},
		{
			ID: "rto_region", Section: "Availability", Kind: KindSelect, Default: RTOHours, Ask: hasRegionDomain,
			Prompt: "If a whole region is lost, how soon must writes resume for the affected users?",
			Help:   "Hours: restore from backup. ≤15 min: a human promotes a standby cluster. ≤2 min: automated promotion (Aurora Global style). ~0: no visible write outage, the only case where active-active's instant failover is the point.",
			Options: []Option{
				{RTOHours, "hours (restore)"}, {RTOManual, "≤ 15 min (manual promotion)"},
				{RTOAuto, "≤ 2 min (automated promotion)"}, {RTOZero, "~0 (no visible write outage)"},
			},
		},
		{
			ID: "rpo_region", Section: "Availability", Required: true, Kind: KindSelect,
			Prompt: "How much acknowledged data may you lose if a region (or site) disappears?",
			Help:   "RPO 0 across regions needs synchronous commits that wait at least one round trip. Asynchronous active-active and Aurora Global both lose the replication window.",
			Options: []Option{
				{RPOZero, "nothing (RPO 0)"}, {RPOSecond, "≤ 1 s"}, {RPOMinute, "≤ 1 min"}, {RPO15Min, "≤ 15 min"}, {RPOHours, "hours"},
			},
		},
		{
			ID: "write_regions", Section: "Regions & latency", Required: true, Kind: KindRegions,
			Prompt: "Where do your writers sit? Give the share of writes per region (e.g. us-east-1=60, eu-west-1=40).",
			Help:   "Feeds the latency check (round trips × RTT) and the conflict model. One region with ~100% of writes almost always rules active-active out.",
			Validate: func(v any) error {
				rs := v.([]RegionShare)
				if len(rs) == 0 {
					return fmt.Errorf("give at least one region")
				}
				sum := 0.0
				seen := map[string]bool{}
				for _, r := range rs {
					if seen[r.Region] {
						return fmt.Errorf("region %q listed twice", r.Region)
					}
					seen[r.Region] = true
					sum += r.Share
				}
				if sum < 99 || sum > 101 {
					return fmt.Errorf("shares add up to %g%%, want 100%%", sum)
				}
				return nil
			},
		},
		{
			ID: "primary_region", Section: "Regions & latency", Kind: KindText,
			Prompt: "Which region holds the primary today (or would)?",
			Help:   "Defaults to the region with the largest share of writes. Writers elsewhere pay round trips to it.",
		},
		{
			ID: "standby_region", Section: "Regions & latency", Kind: KindText, Ask: hasRegionDomain,
			Prompt: "Which region (or site) would hold the cross-region standby or second writer?",
			Help:   "Needed to price RPO 0 across regions (every commit waits one round trip to it). Defaults to the nearest other write region.",
		},
		{
			ID: "write_latency_budget_ms", Section: "Regions & latency", Kind: KindNumber, Default: 300.0, Min: 1, Max: 60000,
			Prompt: "What p99 latency (ms) can a user-facing write add for database round trips?",
			Help:   "Compared with round trips × RTT to the primary. Decides whether far writers need local writes at all.",
		},
		{
			ID: "db_round_trips_per_action", Section: "Regions & latency", Kind: KindNumber, Default: 1.0, Min: 1, Max: 1000,
			Prompt: "How many sequential DB round trips does one user write action make if the app server is far from the DB?",
			Help:   "Colocating the app tier with the database cuts this to 1 (one user→app trip): the cheapest fix, before any multi-primary.",
		},
		{
			ID: "rtt_ms", Section: "Regions & latency", Kind: KindNumberMap,
			Prompt:   "Measured round-trip times you know, as regionA/regionB=ms (optional).",
			Help:     "Without measurements aadvisor uses a 2017 AWS matrix for known pairs, or 1.5 × the physical floor (1 ms per 100 km of great-circle distance).",
			Validate: func(v any) error { return validatePairs(v.(map[string]float64), 0.01, 2000) },
		},
		{
			ID: "region_distance_km", Section: "Regions & latency", Kind: KindNumberMap,
			Prompt:   "Distances for sites aadvisor does not know, as siteA/siteB=km (optional).",
			Help:     "For your own data centres: the RTT floor is 1 ms per 100 km; aadvisor estimates 1.5 × floor.",
			Validate: func(v any) error { return validatePairs(v.(map[string]float64), 0.1, 40100) },
		},
		{
			ID: "write_tps_peak", Section: "Workload", Required: true, Kind: KindNumber, Min: 0, Max: 1e9,
			Prompt: "Peak write transactions per second (all regions)?",
			Help:   "Conflicts grow with the square of traffic (Gray et al. 1996: ten times the nodes and traffic gives a thousand times the reconciliations).",
		},
		{
			ID: "primary_headroom", Section: "Workload", Kind: KindSelect, Default: HeadroomUnknown,
			Prompt:  "After indexing and tuning, how busy is your primary at peak (CPU, IO, WAL)?",
			Help:    "Separates a real write-scale need (→ sharding) from the first bad reason: active-active does not scale writes, every node applies every write.",
			Options: []Option{{HeadroomLow, "< 50%"}, {HeadroomMedium, "50–80%"}, {HeadroomHigh, "> 80%, saturated"}, {HeadroomUnknown, "don't know"}},
		},
		{
			ID: "read_write_ratio", Section: "Workload", Kind: KindNumber, Default: 10.0, Min: 0, Max: 1e6,
			Prompt: "Roughly how many reads per write?",
			Help:   "Read-heavy load calls for read replicas, not multi-primary (\"that's what read replicas are for\").",
		},
		{
			ID: "replication_window_ms", Section: "Workload", Kind: KindNumber, Default: defaultWindowMs, Min: 0.1, Max: 1e7,
			Prompt: "Replication window W in ms (one-way latency + apply lag) for the conflict model?",
			Help:   fmt.Sprintf("Two writes to the same row from different nodes conflict when they land within W of each other. %s ms is an assumption (docs/decision.md); give the one-way latency between your write regions plus your apply lag.", fmtNum(defaultWindowMs)),
		},
		{
			ID: "partition_key", Section: "Data & conflicts", Required: true, Kind: KindSelect,
			Prompt:  "Can each row be assigned an owner (tenant, user, store, merchant, region) that writes it almost exclusively?",
			Help:    "The write-partitioned test: if every owner has a home, each region writes only its own rows and conflicts disappear by construction (Citus co-location, pgactive's \"home region\").",
			Options: []Option{{PartitionYes, "yes, ≥ 99% of writes"}, {PartitionMostly, "mostly (90–99%)"}, {PartitionNo, "no, shared rows are written from everywhere"}},
		},
		{
			ID: "partition_key_name", Section: "Data & conflicts", Kind: KindText,
			Ask:    func(a Answers) bool { return a.String("partition_key") != PartitionNo },
			Prompt: "What is the owner column (e.g. tenant_id, store_id)?",
			Help:   "Becomes the owner column of a partitioned plan. With publication row filters it must be part of the primary key (or the table uses REPLICA IDENTITY FULL).",
			Validate: func(v any) error {
				if s := v.(string); s != "" && !isIdent(s) {
					return fmt.Errorf("%q is not a column name (want lower-case letters, digits, _)", s)
				}
				return nil
			},
		},
		{
			ID: "cross_owner_txns", Section: "Data & conflicts", Kind: KindSelect, Default: CrossRare,
			Prompt:  "How often does one transaction write rows of two different owners?",
			Help:    "Cross-owner transactions break partitioning: they need a single primary or distributed transactions.",
			Options: []Option{{CrossNever, "never"}, {CrossRare, "rarely (< 1%)"}, {CrossCommon, "commonly"}},
		},
		{
			ID: "invariants", Section: "Data & conflicts", Required: true, Kind: KindMultiSelect,
			Prompt: "Which rules must never be violated, even briefly?",
			Help:   "Asynchronous multi-writer cannot enforce these across nodes: two nodes each checking a balance locally can both approve withdrawals that together exceed it.",
			Options: []Option{
				{InvUnique, "globally unique values (email, username, idempotency key)"}, {InvNonNegative, "non-negative balances or stock"},
				{InvGapless, "gapless numbering (invoices)"}, {InvCrossOwnerFK, "foreign keys across owners"}, {InvNone, "none"},
			},
			Validate: func(v any) error {
				s := v.([]string)
				if len(s) > 1 && slices.Contains(s, InvNone) {
					return fmt.Errorf("%q cannot be combined with other invariants", InvNone)
				}
				return nil
			},
		},
		{
			ID: "conflict_policy", Section: "Data & conflicts", Required: true, Kind: KindSelect,
			Prompt:  "If two regions change the same row at the same moment, what is acceptable?",
			Help:    "Last-writer-wins is pgactive's default and needs synced clocks; conflicts must be logged and auditable. \"Must never happen\" rules out asynchronous active-active for shared rows.",
			Options: []Option{{PolicyLWW, "last writer wins, silently"}, {PolicyRepair, "detect, log and repair later"}, {PolicyNever, "must never happen"}},
		},
		{
			ID: "hot_rows", Section: "Data & conflicts", Kind: KindBool, Default: false,
			Prompt: "Are there rows many writers update (counters, balances, stock levels)?",
			Help:   "Hot rows are where conflicts concentrate: a row written from two regions about once per replication window W already conflicts on most writes. Under synchronous commit one hot row tops out at ≈ 1/RTT updates/s.",
		},
		{
			ID: "hot_row_updates_per_sec", Section: "Data & conflicts", Kind: KindNumber, Default: 0.0, Min: 0, Max: 1e7,
			Ask:    func(a Answers) bool { return a.Bool("hot_rows") },
			Prompt: "Peak updates per second on the hottest row?",
			Help:   "Split across regions by their write shares for the conflict estimate.",
		},
		{
			ID: "disconnected_sites", Section: "Data & conflicts", Kind: KindSelect, Default: DisconnectNo,
			Prompt:  "Must any site keep accepting writes while cut off from the rest? For how long?",
			Help:    "Edge stores, ships, factories. Reconciliations grow with disconnect time; site-owned data avoids them.",
			Options: []Option{{DisconnectNo, "no"}, {DisconnectMin, "minutes"}, {DisconnectHours, "hours"}, {DisconnectDays, "days"}},
		},
		{
			ID: "disconnect_hours", Section: "Data & conflicts", Kind: KindNumber, Min: 0, Max: 8760,
			Ask:    func(a Answers) bool { return a.String("disconnected_sites") != DisconnectNo },
			Prompt: "Longest disconnection to ride through, in hours?",
			Help:   "Becomes the replication window W for shared rows written offline.",
		},
		{
			ID: "site_count", Section: "Data & conflicts", Kind: KindNumber, Min: 1, Max: 1e6,
			Ask:    func(a Answers) bool { return a.String("disconnected_sites") != DisconnectNo },
			Prompt: "How many sites write locally (stores, ships, factories)?",
			Help:   "Sizes what each site costs: one link to a hub per site, or N−1 peers per node if every site wrote to every other.",
		},
		{
			ID: "motivations", Section: "Motivation", Required: true, Kind: KindMultiSelect,
			Prompt: "Why are you considering active-active? (pick all)",
			Help:   "Some reasons are good (region-loss write continuity, five nines, legacy migration, far users, offline sites), some are not (write scaling, vague performance, load balancing, others do it, backup).",
			Options: []Option{
				{MotRegionLoss, "survive region loss and keep writing"}, {MotFiveNines, "99.999% availability"},
				{MotLegacy, "replace Oracle RAC / GoldenGate"}, {MotLatency, "lower write latency for far users"},
				{MotOffline, "sites that work offline"}, {MotScaleWrites, "scale write throughput"},
				{MotPerformance, "general performance"}, {MotLoadBalancing, "load balancing"},
				{MotOthersDoIt, "other systems do it (RAC, GoldenGate)"}, {MotCool, "it's modern / cool infra"},
				{MotBackup, "a backup or DR copy"}, {MotUpgrades, "zero-downtime upgrades"},
			},
		},
		{
			ID: "residency", Section: "Operations", Kind: KindBool, Default: false,
			Prompt: "Must some data stay in a jurisdiction?",
			Help:   "Favours geo-partitioning, with each owner's rows stored only in its region. A full active-active mesh copies everything everywhere.",
		},
		{
			ID: "residency_regions", Section: "Operations", Kind: KindTextList,
			Ask:    func(a Answers) bool { return a.Bool("residency") },
			Prompt: "Which regions or jurisdictions (comma-separated)?",
			Help:   "Regions (eu-west-1), or jurisdictions: eu (the European Union's regions, not London's eu-west-2) or a country (de, au). Row filters keep these owners' rows inside, and no standby leaves.",
		},
		{
			ID: "platform", Section: "Operations", Required: true, Kind: KindSelect,
			Prompt: "Where does PostgreSQL run (which HA platform)?",
			Help:   "Sets the failover numbers: RDS Multi-AZ instance 60–120 s, Multi-AZ DB cluster < 35 s, Aurora ≤ 30 s, Patroni ≈ 30–40 s with defaults, CloudNativePG 40–60 s on node loss.",
			Options: []Option{
				{PlatformRDS, "Amazon RDS Multi-AZ DB instance"}, {PlatformRDSCluster, "Amazon RDS Multi-AZ DB cluster"},
				{PlatformAurora, "Amazon Aurora"}, {PlatformManaged, "other managed service"},
				{PlatformCNPG, "Kubernetes (CloudNativePG)"}, {PlatformPatroni, "VMs with Patroni"},
				{PlatformPAF, "VMs with pg_auto_failover"}, {PlatformEdge, "edge hardware"},
			},
		},
		{
			ID: "team", Section: "Operations", Required: true, Kind: KindSelect,
			Prompt:  "Who runs it?",
			Help:    "Percona: with active-active \"staffing costs rise\" and \"deployments become dangerous\". Without 24×7 logical-replication experience a mesh is a high risk.",
			Options: []Option{{TeamNone, "no DBA"}, {TeamBusiness, "DBA in business hours"}, {Team24x7, "24×7 DB on-call with logical-replication experience"}},
		},
		{
			ID: "ddl_cadence", Section: "Operations", Kind: KindSelect, Default: DDLMonthly,
			Prompt:  "How often do you ship schema changes?",
			Help:    "Logical replication (and pgactive) does not replicate DDL: every migration needs a coordinated rollout on every writer.",
			Options: []Option{{DDLMonthly, "monthly or less"}, {DDLWeekly, "weekly"}, {DDLDaily, "daily"}},
		},
		{
			ID: "pg_version", Section: "Operations", Kind: KindNumber, Default: 17.0, Min: 12, Max: 30,
			Prompt: "PostgreSQL major version?",
			Help:   "Native bidirectional replication (origin = none) needs 16+; conflict statistics need 18; pglogical covers up to 17.",
		},
		{
			ID: "expected_failovers_per_year", Section: "Operations", Kind: KindNumber, Default: 4.0, Min: 0, Max: 10000,
			Prompt: "How many unplanned in-region failovers do you expect a year?",
			Help:   "4 is an assumption. Multiplied by your platform's failover time it is the budget in-region HA spends.",
		},
		{
			ID: "planned_switchovers_per_year", Section: "Operations", Kind: KindNumber, Default: 4.0, Min: 0, Max: 10000,
			Prompt: "How many planned switchovers (patching, upgrades) a year?",
			Help:   "Counted only if maintenance counts against the target.",
		},
	}
}

// Lookup returns the question with the given ID.
func Lookup(id string) (Question, bool) {
	for _, q := range Bank {
		if q.ID == id {
			return q, true
		}
	}
	return Question{}, false
}

// Questions returns the questions of one section, in order.
func Questions(section string) []Question {
	var out []Question
	for _, q := range Bank {
		if q.Section == section {
			out = append(out, q)
		}
	}
	return out
}

func (q Question) optionValues() []string {
	vs := make([]string, len(q.Options))
	for i, o := range q.Options {
		vs[i] = o.Value
	}
	return vs
}

// OptionLabel returns the label of an option value (the value if unknown).
func (q Question) OptionLabel(v string) string {
	for _, o := range q.Options {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func validatePairs(m map[string]float64, lo, hi float64) error {
	for k, v := range m {
		a, b, ok := strings.Cut(k, "/")
		if !ok || a == "" || b == "" || a == b {
			return fmt.Errorf("key %q: want regionA/regionB", k)
		}
		if v < lo || v > hi {
			return fmt.Errorf("%s: %g out of range [%g, %g]", k, v, lo, hi)
		}
	}
	return nil
}

func isIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
