package decide

import "strings"

// DesignID names one recommended design (docs/decision.md).
type DesignID string

// The designs, least distributed first.
const (
	SP1     DesignID = "SP-1"
	SPSync  DesignID = "SP-SYNC"
	SP2     DesignID = "SP-2"
	SP3     DesignID = "SP-3"
	WPShard DesignID = "WP-SHARD"
	WPSite  DesignID = "WP-SITE"
	WPGeo   DesignID = "WP-GEO"
	AAHome  DesignID = "AA-HOME"
	AAAny   DesignID = "AA-ANY"
)

// Family groups designs.
type Family string

// The three families.
const (
	SinglePrimary    Family = "single-primary"
	WritePartitioned Family = "write-partitioned"
	ActiveActive     Family = "active-active"
)

// Design describes a design of the catalogue.
type Design struct {
	ID     DesignID `json:"id"`
	Family Family   `json:"family"`
	Title  string   `json:"title"`
	What   string   `json:"what"`
	PACELC PACELC   `json:"pacelc"`
	rank   int
}

// PACELC is the design's trade-off on a partition and else (docs/decision.md).
type PACELC struct {
	Partition string `json:"partition"`
	Else      string `json:"else"`
}

// Designs is the catalogue, least distributed first.
var Designs = []Design{
	{SP1, SinglePrimary, "Single primary with in-region HA", "One region, 3 AZs, automatic failover (Patroni / CloudNativePG / pg_auto_failover / RDS Multi-AZ / Aurora). Async read replicas where readers are.", PACELC{"C", "L (stale replica reads)"}, 0},
	{SPSync, SinglePrimary, "Single primary with synchronous quorum", "SP-1 with a synchronous quorum (synchronous_standby_names = 'ANY k (…)', Patroni synchronous_mode, CloudNativePG dataDurability: required) inside a region or metro. RPO 0 for node/AZ/DC loss.", PACELC{"C (writes block without quorum)", "C (commit waits for the ack)"}, 1},
	{SP2, SinglePrimary, "Single primary + cross-region standby, manual promotion", "SP-1 plus an async standby cluster in another region, promoted by a person (Patroni standby cluster, CloudNativePG replica cluster).", PACELC{"C (secondary read-only until promoted)", "L (async, typically < 1 s behind)"}, 2},
	{SP3, SinglePrimary, "Single primary + cross-region standby, automated promotion", "SP-1 plus a cross-region standby promoted automatically (Aurora Global Database style, or an external orchestrator).", PACELC{"C (secondary read-only until promoted)", "L (async, typically < 1 s behind)"}, 3},
	{WPShard, WritePartitioned, "Sharding for write throughput", "Split the data by a distribution column across primaries (Citus); each shard is a single-primary cluster.", PACELC{"C per shard", "C per shard"}, 4},
	{WPSite, WritePartitioned, "Site-owned partitions", "Each site owns its rows and writes locally; its rows flow upstream, reference data flows downstream read-only.", PACELC{"A for the site's own rows", "L for cross-site reads"}, 4},
	{WPGeo, WritePartitioned, "Geo-partitioned by owner", "Each tenant/user has a home region whose primary owns its rows; control-plane data stays in one region; global views by logical replication with row filters or FDW.", PACELC{"C for the owner region", "L for cross-region reads"}, 5},
	{AAHome, ActiveActive, "Active-active mesh, writes home-routed", "Multi-primary mesh, but every owner is written only in its home region in steady state; on region loss the survivors take the writes with no promotion step.", PACELC{"A (survivors accept the lost region's owners)", "L"}, 6},
	{AAAny, ActiveActive, "Active-active, any node writes (last resort)", "Any node accepts any write; conflicts are resolved by last-writer-wins, delta-apply/CRDT or application merge.", PACELC{"A", "L"}, 7},
}

// DesignByID returns the catalogue entry.
func DesignByID(id DesignID) Design {
	for _, d := range Designs {
		if d.ID == id {
			return d
		}
	}
	return Design{ID: id}
}

// Recommendation is the outcome of the decision procedure, explained.
type Recommendation struct {
	SchemaVersion int      `json:"schema_version"`
	Design        DesignID `json:"design"`
	Family        Family   `json:"family"`
	Title         string   `json:"title"`
	What          string   `json:"what"`
	PACELC        PACELC   `json:"pacelc"`
	// Engine is what replicate bootstraps: physical, native or pglogical.
	Engine      string   `json:"engine"`
	EngineNotes []string `json:"engine_notes,omitempty"`
	HATooling   []string `json:"ha_tooling,omitempty"`
	// Also lists designs for other parts of the system (HQ, DR copy, shared tables).
	Also []Companion `json:"also,omitempty"`

	Drivers    []Driver `json:"drivers"`
	Reasons    []Reason `json:"reasons,omitempty"`
	Arithmetic []Calc   `json:"arithmetic"`
	Advice     []string `json:"advice,omitempty"` // cheaper fixes and next steps
	Costs      []Cost   `json:"costs,omitempty"`
	// Avoided are the active-active costs a less distributed design avoids.
	Avoided  []Cost     `json:"costs_avoided,omitempty"`
	Blockers []Blocker  `json:"blockers,omitempty"`
	Risks    []string   `json:"risks,omitempty"`
	Unmet    []string   `json:"unmet,omitempty"` // requirements this design does not meet
	Rejected []Rejected `json:"rejected,omitempty"`
	Steps    []Step     `json:"steps"`

	// Requirements are the hard requirements your answers set, each met by
	// the design or listed as a blocker.
	Requirements []Requirement `json:"requirements,omitempty"`
	// Compared lists the designs weighed when none met every hard
	// requirement, best first; the first is the recommendation.
	Compared []DesignCheck `json:"compared,omitempty"`
	// Copies says where the design keeps the data (what the plan's nodes are).
	Copies []Copy `json:"copies,omitempty"`
	// Tables is how each table may be written, from the assessment's
	// per-table advice and the forecast's hot rows.
	Tables []TableMode `json:"tables,omitempty"`

	Derived    Derived     `json:"derived"`
	Verdict    string      `json:"assessment_verdict,omitempty"`
	Thresholds []Threshold `json:"thresholds,omitempty"` // only those overridden
	// Owner column and sequence strategy for a plan skeleton.
	OwnerColumn string `json:"owner_column,omitempty"`
	Sequences   string `json:"sequences,omitempty"`
	// Topology is how the plan's nodes replicate when the family does not
	// say it alone: hub-and-spoke for sites (WP-SITE), with the hub in the
	// region Hub.
	Topology string `json:"topology,omitempty"`
	Hub      string `json:"hub,omitempty"`
}

// TopologyHubSpoke is the topology of site-owned partitions: each site's
// rows to the hub, the shared tables from the hub, never a mesh of sites.
const TopologyHubSpoke = "hub-and-spoke"

// Table write modes (the plan's topology.write_modes).
const (
	ModeAnywhere   = "anywhere"    // any node may write any row
	ModeHome       = "home-routed" // each row is written on one node only
	ModeLocal      = "local"       // node-local data: not replicated
	ModeInsertOnly = "insert-only" // rows are inserted anywhere, never updated
)

// TableMode is how one table may be written, and why.
type TableMode struct {
	Table string `json:"table"`
	Mode  string `json:"mode"`
	// Home says where a home-routed table is written: "" = by the owner
	// column (each owner's home), else the one region that writes it.
	Home string   `json:"home,omitempty"`
	Why  []string `json:"why,omitempty"` // the assessment's reasons and forecast hot rows
}

// Copy is one place that holds data in the recommended design.
type Copy struct {
	Region string `json:"region"`
	// Role: primary, standby, sync-standby, dr-standby, owner, peer, hub, site,
	// site-standby (a synchronous standby beside each site's database), shard.
	Role string `json:"role"`
	// HomeOf is the region whose owners' rows this copy holds; "" = all rows.
	HomeOf string `json:"home_of,omitempty"`
	Sync   bool   `json:"sync,omitempty"` // commits wait for this copy
	// Promotion of a standby on region loss: automatic or manual.
	Promotion string `json:"promotion,omitempty"`
	// Why explains a region the answers did not name (a default).
	Why string `json:"why,omitempty"`
}

// roleWords is how people read a role: of a copy (Copy.Role) and of a
// plan node (TopologyNode.Role). Every output says roles through it
// (RoleWords), never the raw value.
var roleWords = map[string]string{
	"primary": "primary", "standby": "standby", "sync-standby": "synchronous standby", "dr-standby": "DR standby",
	"site-standby": "synchronous standby at each site", "owner": "owner primary", "peer": "mesh node",
	"hub": "hub", "site": "site", "shard": "shard",
}

// groupRoles are the copy roles one line of "where the data lives"
// stands for in the plural: every site, or every shard, of a region.
var groupRoles = map[string]bool{"site": true, "shard": true}

// RoleWords is a role in words ("dr-standby" → "DR standby", "peer" →
// "mesh node"); a role it does not know stays as it is.
func RoleWords(role string) string {
	if w, ok := roleWords[role]; ok {
		return w
	}
	return role
}

// RoleText is the copy's role in words, in the plural for a role that
// stands for a group (every site of a region: "sites").
func (c Copy) RoleText() string {
	if groupRoles[c.Role] {
		return RoleWords(c.Role) + "s"
	}
	return RoleWords(c.Role)
}

// Label says what the copy is and holds, after its region: "DR standby
// for the owners homed in eu-west-1 (commits wait for it; manual
// promotion; why)". Text, markdown and the HTML page print it alike.
func (c Copy) Label() string {
	s := c.RoleText()
	if c.HomeOf != "" && c.HomeOf != c.Region {
		s += " for the owners homed in " + c.HomeOf
	}
	var notes []string
	if c.Sync {
		notes = append(notes, "commits wait for it")
	}
	if c.Promotion != "" {
		notes = append(notes, c.Promotion+" promotion")
	}
	if c.Why != "" {
		notes = append(notes, c.Why)
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return s
}

// Requirement is one hard requirement of the answers and whether the
// recommended design meets it (if not, it is also a blocker).
type Requirement struct {
	ID   string `json:"id"` // residency, rpo0, region_loss, never_conflicts, home_routed_tables, one_writer, far_writers, offline_writes, site_rpo, write_throughput
	Text string `json:"text"`
	Met  bool   `json:"met"`
	Why  string `json:"why,omitempty"` // how it is met, or what breaks it
}

// DesignCheck is one design weighed against the hard requirements.
type DesignCheck struct {
	Design DesignID `json:"design"`
	Breaks []string `json:"breaks,omitempty"` // the requirements it breaks, in words
	// BudgetPct is the share of the downtime left for a region loss that one
	// regional event uses (0 when region loss is not in the failure domain).
	BudgetPct float64 `json:"budget_pct,omitempty"`
	Chosen    bool    `json:"chosen,omitempty"`
}

// Companion is an extra design for part of the system.
type Companion struct {
	Design DesignID `json:"design"`
	For    string   `json:"for"`
}

// Driver is an answer that moved the decision.
type Driver struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Effect   string `json:"effect"`
}

// Reason is a good or bad reason for active-active, with the article's words.
type Reason struct {
	ID        string `json:"id"` // G1..G5, B1..B7
	Good      bool   `json:"good"`
	Title     string `json:"title"`
	Quote     string `json:"quote"`
	Source    string `json:"source"`
	Instead   string `json:"instead,omitempty"` // bad reasons: what to do instead
	Triggered bool   `json:"triggered"`         // good reasons: your answers trigger it
	Listed    bool   `json:"listed"`            // you named it as a motivation
	Note      string `json:"note,omitempty"`    // e.g. listed but not triggered
}

// Calc is one line of arithmetic with the user's numbers.
type Calc struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Text   string  `json:"text"`
	Source string  `json:"source,omitempty"`
}

// Cost is one line of the cost checklist (docs/decision.md).
type Cost struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Source string `json:"source"`
}

// Blocker must be fixed before the design can work.
type Blocker struct {
	Gate    string `json:"gate"` // F1..F7 or an assess rule id
	Object  string `json:"object,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	// FixSQL is the finding's fix SQL, printed as a block apart from Fix so
	// it copies back exactly.
	FixSQL string `json:"fix_sql,omitempty"`
}

// Rejected is a design that was considered and why it does not fit (a
// cheaper one, or active-active where nothing calls for it).
type Rejected struct {
	Design DesignID `json:"design"`
	Why    string   `json:"why"`
}

// Step is one line of the procedure's trace.
type Step struct {
	Step    string `json:"step"`
	Outcome string `json:"outcome"`
}

type reasonText struct {
	title, quote, source, instead string
}

// Good reasons from Percona part 1 [R1] (docs/decision.md).
var goodReasons = map[string]reasonText{
	"G1": {"Business continuity across regions / 99.999%", "The cost will match the ambition.", "[R1]", ""},
	"G2": {"Write availability during regional failures", "Just be clear, what you are solving here is not distributed latency, but write continuity when something fails.", "[R1]", ""},
	"G3": {"Migrating legacy architectures (Oracle RAC / GoldenGate)", "It's almost always a transitional compromise, not the destination. […] The technically better (but less politically correct) move is usually to re-architect for clearer ownership of writes.", "[R1]", ""},
	"G4": {"Application (perceived) performance for far users", "Your app must be built for it. Deterministic conflict handling, idempotency, and careful session management are must-haves […] this should be a last resort, not a default choice.", "[R1]", ""},
	"G5": {"Local HA in disconnected environments", "While conflict avoidance may be the strategy you go for, in the end, it's going to become a cost of conflict resolution.", "[R1]", ""},
}

// Bad reasons (docs/decision.md), keyed by id.
var badReasons = map[string]reasonText{
	"B1": {"Scaling write throughput", "Writes will not scale linearly… throughput actually suffers.", "[R2] bad #1; [R16]", "Every node applies every write. Use regional read replicas, sharding, or task queuing / eventual delegation; pgactive \"doesn't improve write performance\"."},
	"B2": {"\"Performance\"", "Active-active with strong guarantees often adds more latency, not less.", "[R2] bad #2", "Look at data structure, indexing and query tuning first, and scale reads with replicas."},
	"B3": {"Load balancing", "You don't need multi-primary to load balance… that's what read replicas are for. Multi-master does not eliminate contention, it just moves it.", "[R2] bad #3; [R15]", "Read replicas behind a pooler. AWS: \"Load balancing across nodes is an anti-pattern\"."},
	"B4": {"Because other systems did it", "Copying those patterns means copying those problems.", "[R2] bad #4", "Map what RAC/GoldenGate gave you to requirements: RAC = one-site HA → synchronous quorum in a metro; GoldenGate DR → a cross-region standby."},
	"B5": {"It's cool / modern infra", "It's not a silver bullet. It's not \"cool infra.\" And using it without a good reason tends to hurt for a long, long time.", "[R1]", "Start from the availability and latency you must deliver."},
	"B6": {"As a backup / DR copy", "Active-active is for availability, not backup. If you accidentally DELETE FROM users on Node A, that deletion replicates to Node B almost instantly.", "[R16]", "Keep point-in-time-recovery backups (pgBackRest, Barman, managed snapshots)."},
	"B7": {"Zero-downtime upgrades only", "Blue/Green switchover is \"typically under one minute\".", "[R12] (derived)", "Blue/Green deployments or rolling switchovers with Patroni/CloudNativePG cover upgrades without multiple writers."},
}

var motivationReason = map[string]string{
	MotRegionLoss: "G2", MotFiveNines: "G1", MotLegacy: "G3", MotLatency: "G4", MotOffline: "G5",
	MotScaleWrites: "B1", MotPerformance: "B2", MotLoadBalancing: "B3", MotOthersDoIt: "B4",
	MotCool: "B5", MotBackup: "B6", MotUpgrades: "B7",
}
