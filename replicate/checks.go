package replicate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// Clock skew thresholds between nodes (last-update-wins compares commit
// timestamps taken on different clocks).
const (
	skewWarn = 100 * time.Millisecond
	skewFail = time.Second
)

// joined reports whether the node already carries this mesh's objects, so
// a re-run does not apply the empty-or-seed rule to data it replicated.
func (b *bootstrapper) joined(n *nodeConn) bool {
	f := n.facts
	switch b.plan.Topology.Kind {
	case TopologyStreaming:
		return f.InRecovery
	}
	if b.plan.Topology.Engine == EnginePglogical {
		return f.PglNode == pglNodeName(n.Name) && len(f.PglSubs) > 0
	}
	if b.plan.Topology.Kind == TopologyHubSpoke {
		return len(f.Subscriptions) > 0 || len(f.Publications) > 0
	}
	return len(f.Subscriptions) > 0
}

// seed is the node whose data the others copy: the single unjoined node
// holding rows in scope, else the first joined node, else the first node.
func (b *bootstrapper) seed() *nodeConn {
	for _, n := range b.nodes {
		if !b.joined(n) && hasRows(n.facts) {
			return n
		}
	}
	for _, n := range b.nodes {
		if b.joined(n) {
			return n
		}
	}
	return b.nodes[0]
}

func hasRows(f *nodeFacts) bool {
	for _, k := range f.Scope {
		if f.Tables[k].HasRows {
			return true
		}
	}
	return false
}

func rowTables(f *nodeFacts) []string {
	var out []string
	for _, k := range f.Scope {
		if f.Tables[k].HasRows {
			out = append(out, k)
		}
	}
	return out
}

// precheck judges the gathered facts. Every node is checked and every
// problem reported, before anything is written.
func (b *bootstrapper) precheck() []Check {
	t := b.plan.Topology
	var cs []Check
	add := func(node, name, status, detail, fix string, restart bool) {
		cs = append(cs, Check{Node: node, Name: name, Status: status, Detail: detail, Fix: fix, Restart: restart})
	}
	peers := len(b.nodes) - 1
	logical := t.Kind != TopologyStreaming
	for _, n := range b.nodes {
		f := n.facts
		if f == nil {
			continue // not reachable: reported by connect
		}
		name := n.Name
		// version and engine availability
		switch {
		case t.Kind == TopologyActiveActive && t.Engine == EngineNative && f.major() < 16:
			add(name, "version", StatusFail, fmt.Sprintf("PostgreSQL %s: native active-active needs origin = none, which PostgreSQL 16+ has", f.Version),
				"use engine pglogical on 15, or upgrade to 16+", false)
		case logical && t.Engine == EngineNative && f.major() < 15:
			add(name, "version", StatusFail, fmt.Sprintf("PostgreSQL %s: publication row filters need 15+", f.Version), "upgrade to 15+", false)
		default:
			add(name, "version", StatusOK, "PostgreSQL "+f.Version, "", false)
		}
		if t.Engine == EnginePglogical {
			switch {
			case !f.PglogicalAvailable:
				add(name, "pglogical", StatusFail, fmt.Sprintf("the pglogical extension is not available on this server (PostgreSQL %s; not in pg_available_extensions)", f.Version),
					fmt.Sprintf("install postgresql-%d-pglogical, or use engine native (origin = none, PostgreSQL 16+)", f.major()), false)
			case !inspect.ListHas(f.setting("shared_preload_libraries"), "pglogical"):
				add(name, "shared_preload_libraries", StatusFail, fmt.Sprintf("is %q, without pglogical", f.setting("shared_preload_libraries")),
					"ALTER SYSTEM SET shared_preload_libraries = "+inspect.ListAddSQL(f.setting("shared_preload_libraries"), "pglogical")+"; then restart", true)
			case f.PglNode != "" && f.PglNode != pglNodeName(name):
				add(name, "pglogical", StatusFail, fmt.Sprintf("the database already is pglogical node %q, not %q of this plan", f.PglNode, pglNodeName(name)),
					"one pglogical node per database: drop the other one, or use another database", false)
			default:
				add(name, "pglogical", StatusOK, "available and preloaded", "", false)
			}
		}
		// WAL level
		wal := f.setting("wal_level")
		switch {
		case logical && wal != "logical":
			add(name, "wal_level", StatusFail, fmt.Sprintf("is %s, logical replication needs logical", wal), "ALTER SYSTEM SET wal_level = logical; then restart", true)
		case !logical && wal == "minimal" && n.Role == RolePrimary:
			add(name, "wal_level", StatusFail, "is minimal, streaming needs replica or logical", "ALTER SYSTEM SET wal_level = replica; then restart", true)
		default:
			add(name, "wal_level", StatusOK, wal, "", false)
		}
		// output plugins: the minor releases of November 2026 (15.19 and
		// its siblings) let replication connections decode only with the
		// plugins output_plugin_libraries lists (pgoutput and test_decoding
		// by default); pglogical's peers decode with pglogical_output.
		// Without it the subscription never starts, and the reason is only
		// in the provider's server log.
		if s, ok := f.Settings["output_plugin_libraries"]; ok && logical {
			plugin := "pgoutput"
			if t.Engine == EnginePglogical {
				plugin = "pglogical_output"
			}
			if inspect.ListHas(s.Value, plugin) {
				add(name, "output_plugin_libraries", StatusOK, s.Value, "", false)
			} else {
				add(name, "output_plugin_libraries", StatusFail, fmt.Sprintf("is %q, without %s: the peers cannot decode this node's changes", s.Value, plugin),
					"ALTER SYSTEM SET output_plugin_libraries = "+inspect.ListAddSQL(s.Value, plugin)+"; SELECT pg_reload_conf()", false)
			}
		}
		// commit timestamps
		if logical {
			tct := f.setting("track_commit_timestamp")
			switch {
			case tct == "on":
				add(name, "track_commit_timestamp", StatusOK, "on", "", false)
			case t.Engine == EnginePglogical:
				add(name, "track_commit_timestamp", StatusFail, "is off: pglogical last_update_wins needs commit timestamps",
					"ALTER SYSTEM SET track_commit_timestamp = on; then restart", true)
			default:
				add(name, "track_commit_timestamp", StatusWarn, "is off: conflicts between origins cannot be detected",
					"ALTER SYSTEM SET track_commit_timestamp = on; then restart", true)
			}
		}
		// capacity
		for _, c := range b.capacity(n, peers) {
			have := f.settingInt(c.name)
			if have < c.want {
				add(name, c.name, StatusFail, fmt.Sprintf("is %d, %s needs at least %d", have, c.why, c.want),
					fmt.Sprintf("ALTER SYSTEM SET %s = %d; then restart", c.name, c.want), true)
			} else {
				add(name, c.name, StatusOK, fmt.Sprintf("%d (need %d)", have, c.want), "", false)
			}
		}
		// privileges
		switch {
		case f.Superuser:
			add(name, "privileges", StatusOK, "superuser", "", false)
		case t.Engine == EnginePglogical:
			add(name, "privileges", StatusFail, "pglogical needs a superuser (CREATE EXTENSION, create_node, create_subscription)", "connect as a superuser", false)
		case logical && !(f.Replication && f.CanCreate):
			add(name, "privileges", StatusFail, "needs superuser, or REPLICATION and CREATE on the database (and pg_create_subscription on 16+)",
				"ALTER ROLE ... REPLICATION; GRANT CREATE ON DATABASE ... ; GRANT pg_create_subscription TO ...", false)
		case !logical && !f.Replication:
			add(name, "privileges", StatusFail, "streaming needs REPLICATION", "ALTER ROLE ... REPLICATION", false)
		default:
			add(name, "privileges", StatusOK, "replication and create", "", false)
		}
		if logical && f.InRecovery {
			add(name, "role", StatusFail, "the node is a standby (in recovery); it cannot publish or subscribe", "point the plan at a primary", false)
		}
		if logical && f.OtherSubs > 0 {
			add(name, "other replication", StatusWarn, fmt.Sprintf("%d subscription(s) not made by aadvisor in this database", f.OtherSubs),
				"one engine per database: check they do not replicate the same tables", false)
		}
		if t.Kind == TopologyStreaming && t.HA == nil && n.Role == RoleStandby && !f.InRecovery && b.opt.Local[n.Name] == nil {
			add(name, "standby", StatusWarn, "not a local sandbox node: bootstrap writes a runbook for it instead of rebuilding it", "run the runbook steps on its host", false)
		}
	}
	for _, n := range b.nodes {
		if n.facts == nil {
			return cs // the checks across nodes need every node
		}
	}
	if logical {
		cs = append(cs, b.schemaChecks()...)
		cs = append(cs, b.driftChecks()...)
	}
	cs = append(cs, b.parityChecks()...)
	cs = append(cs, b.dataChecks()...)
	return cs
}

type capNeed struct {
	name string
	want int
	why  string
}

// capacity lists the settings a node needs for its peers. Table
// synchronisation takes a slot and a worker per table being copied, hence
// the headroom.
func (b *bootstrapper) capacity(n *nodeConn, peers int) []capNeed {
	t := b.plan.Topology
	if t.Kind == TopologyHubSpoke {
		return b.hubCapacity(n)
	}
	if t.Kind == TopologyStreaming {
		if n.Role != RolePrimary {
			return nil
		}
		return []capNeed{
			{"max_wal_senders", peers + 1, fmt.Sprintf("%d standby(s)", peers)},
			{"max_replication_slots", peers, fmt.Sprintf("%d standby slot(s)", peers)},
		}
	}
	why := fmt.Sprintf("a mesh with %d peer(s)", peers)
	out := []capNeed{
		{"max_replication_slots", 2 * peers, why + " (a slot per peer, plus table-sync slots)"},
		{"max_wal_senders", 2 * peers, why + " (a sender per peer, plus table sync)"},
		{"max_worker_processes", peers + 4, why + " (an apply worker per peer, plus launchers)"},
	}
	if t.Engine == EngineNative {
		out = append(out, capNeed{"max_logical_replication_workers", peers + 2, why + " (an apply worker per peer, plus table sync)"})
	}
	return append(out, originNeed(n, 2*peers, why+" (an origin per subscription, plus table sync)")...)
}

// originNeed: from PostgreSQL 18 the replication origins a subscriber
// tracks (one per subscription, one per table being synchronised) have a
// limit of their own, max_active_replication_origins (default 10); before,
// max_replication_slots bounded them too.
func originNeed(n *nodeConn, want int, why string) []capNeed {
	if n.facts == nil || n.facts.major() < 18 {
		return nil
	}
	return []capNeed{{"max_active_replication_origins", want, why}}
}

// schemaChecks compares the tables in scope across nodes and checks keys.
func (b *bootstrapper) schemaChecks() []Check {
	t := b.plan.Topology
	var cs []Check
	ref := b.nodes[0]
	if len(ref.facts.Scope) == 0 {
		what := "no tables"
		if len(t.Tables) > 0 {
			what = "no tables match " + strings.Join(t.Tables, ", ")
		}
		cs = append(cs, Check{Node: ref.Name, Name: "tables in scope", Status: StatusFail,
			Detail: what + " in database " + ref.facts.Database,
			Fix:    "create the schema on every node first (DDL is not replicated), or fix topology.tables"})
		return cs
	}
	var diffs []string
	for _, n := range b.nodes[1:] {
		diffs = append(diffs, schemaDiff(ref.Name, ref.facts, n.Name, n.facts)...)
	}
	if len(diffs) > 0 {
		cs = append(cs, Check{Name: "identical schemas", Status: StatusFail, Detail: strings.Join(diffs, "; "),
			Fix: "apply the same DDL on every node (DDL is not replicated)"})
	} else {
		cs = append(cs, Check{Name: "identical schemas", Status: StatusOK,
			Detail: fmt.Sprintf("%d table(s) in scope on %d nodes: %s", len(ref.facts.Scope), len(b.nodes), strings.Join(ref.facts.Scope, ", "))})
	}
	for _, k := range ref.facts.Scope {
		tf := ref.facts.Tables[k]
		q := qualified(tf.Schema, tf.Name)
		switch {
		case tf.Identity == "n":
			cs = append(cs, Check{Name: "replica identity", Status: StatusFail, Detail: k + " has REPLICA IDENTITY NOTHING: updates and deletes cannot be replicated",
				Fix: "ALTER TABLE " + q + " ADD PRIMARY KEY (...)"})
		case tf.Identity == "d" && len(tf.PK) == 0:
			cs = append(cs, Check{Name: "primary key", Status: StatusFail, Detail: k + " has no primary key or replica identity: updates and deletes cannot be replicated",
				Fix: "ALTER TABLE " + q + " ADD PRIMARY KEY (...)"})
		case tf.Identity == "f" && t.Engine == EnginePglogical && len(tf.PK) == 0:
			cs = append(cs, Check{Name: "primary key", Status: StatusFail, Detail: k + " uses REPLICA IDENTITY FULL without a primary key, which pglogical cannot replicate",
				Fix: "ALTER TABLE " + q + " ADD PRIMARY KEY (...)"})
		case tf.Identity == "f":
			cs = append(cs, Check{Name: "replica identity", Status: StatusWarn, Detail: k + " uses REPLICA IDENTITY FULL: every update ships the whole row and applies by scanning",
				Fix: "ALTER TABLE " + q + " ADD PRIMARY KEY (...)"})
		}
		if t.Kind == TopologyPartitioned {
			cs = append(cs, ownerCheck(tf, t.OwnerColumn)...)
		}
		if t.Kind == TopologyHubSpoke {
			cs = append(cs, b.hubOwnerCheck(tf)...)
		}
		if t.Kind == TopologyActiveActive && tf.Uniques > 0 {
			cs = append(cs, Check{Name: "unique constraints", Status: StatusWarn,
				Detail: fmt.Sprintf("%s has %d unique index(es) besides its primary key: two nodes can accept the same value, and the copies then clash on apply (no resolution picks a side)", k, tf.Uniques),
				Fix:    "route writes of each unique value to one home node, or make the value include the node (e.g. a node prefix)"})
		}
		if t.Kind != TopologyStreaming && tf.Exclusions > 0 {
			cs = append(cs, Check{Name: "exclusion constraints", Status: StatusWarn,
				Detail: fmt.Sprintf("%s has %d exclusion constraint(s): each node checks only its own rows, so overlapping rows written on two nodes both stay", k, tf.Exclusions),
				Fix:    "write the rows an exclusion constraint compares on one node"})
		}
	}
	return cs
}

// identCols are the columns a row filter on UPDATE/DELETE may use.
func identCols(tf *tableFacts) []string {
	switch tf.Identity {
	case "i":
		return tf.IdentCols
	case "d":
		return tf.PK
	}
	return nil
}

func ownerCheck(tf *tableFacts, col string) []Check {
	k := tf.key()
	if !tf.hasColumn(col) {
		return []Check{{Name: "owner column", Status: StatusFail, Detail: fmt.Sprintf("%s has no column %s", k, col),
			Fix: "add the owner column to every table in scope, or narrow topology.tables"}}
	}
	if tf.Identity == "f" || slices.Contains(identCols(tf), col) {
		return []Check{{Name: "owner column", Status: StatusOK, Detail: fmt.Sprintf("%s.%s is in the replica identity", k, col)}}
	}
	return []Check{{Name: "owner column", Status: StatusFail,
		Detail: fmt.Sprintf("%s.%s is not in the replica identity (%s): a publication row filter for UPDATE/DELETE may only use replica identity columns", k, col, strings.Join(identCols(tf), ", ")),
		Fix:    fmt.Sprintf("make %s part of the primary key, or ALTER TABLE %s REPLICA IDENTITY FULL", col, qualified(tf.Schema, tf.Name))}}
}

// schemaDiff lists how node b's tables in scope differ from node a's.
func schemaDiff(an string, a *nodeFacts, bn string, b *nodeFacts) []string {
	var out []string
	bs := map[string]bool{}
	for _, k := range b.Scope {
		bs[k] = true
	}
	for _, k := range a.Scope {
		if !bs[k] {
			out = append(out, fmt.Sprintf("table %s is on %s but not on %s", k, an, bn))
			continue
		}
		ta, tb := a.Tables[k], b.Tables[k]
		ca, cb := toSet(ta.Columns), toSet(tb.Columns)
		for _, c := range ta.Columns {
			if !cb[c] {
				out = append(out, fmt.Sprintf("%s: %s has column %q, %s does not", k, an, c, bn))
			}
		}
		for _, c := range tb.Columns {
			if !ca[c] {
				out = append(out, fmt.Sprintf("%s: %s has column %q, %s does not", k, bn, c, an))
			}
		}
		if strings.Join(ta.PK, ",") != strings.Join(tb.PK, ",") {
			out = append(out, fmt.Sprintf("%s: primary key (%s) on %s, (%s) on %s", k, strings.Join(ta.PK, ", "), an, strings.Join(tb.PK, ", "), bn))
		}
		if ta.Identity != tb.Identity {
			out = append(out, fmt.Sprintf("%s: replica identity %s on %s, %s on %s", k, ta.Identity, an, tb.Identity, bn))
		}
	}
	as := toSet(a.Scope)
	for _, k := range b.Scope {
		if !as[k] {
			out = append(out, fmt.Sprintf("table %s is on %s but not on %s", k, bn, an))
		}
	}
	return out
}

// parityChecks compare encodings, collations and clocks across nodes.
func (b *bootstrapper) parityChecks() []Check {
	var cs []Check
	ref := b.nodes[0].facts
	var enc, coll []string
	for _, n := range b.nodes[1:] {
		if n.facts.Encoding != ref.Encoding {
			enc = append(enc, fmt.Sprintf("%s %s, %s %s", b.nodes[0].Name, ref.Encoding, n.Name, n.facts.Encoding))
		}
		if n.facts.Collate != ref.Collate || n.facts.Ctype != ref.Ctype {
			coll = append(coll, fmt.Sprintf("%s %s/%s, %s %s/%s", b.nodes[0].Name, ref.Collate, ref.Ctype, n.Name, n.facts.Collate, n.facts.Ctype))
		}
	}
	if len(enc) > 0 {
		cs = append(cs, Check{Name: "encoding", Status: StatusFail, Detail: strings.Join(enc, "; "), Fix: "create the databases with the same encoding"})
	} else {
		cs = append(cs, Check{Name: "encoding", Status: StatusOK, Detail: ref.Encoding + " on every node"})
	}
	if len(coll) > 0 {
		cs = append(cs, Check{Name: "collation", Status: StatusWarn, Detail: strings.Join(coll, "; "),
			Fix: "use the same collation (and ICU/glibc) everywhere: indexes and unique checks may disagree"})
	} else {
		cs = append(cs, Check{Name: "collation", Status: StatusOK, Detail: ref.Collate + " on every node"})
	}
	lo, hi := ref.Skew, ref.Skew
	var rtt time.Duration
	for _, n := range b.nodes {
		lo, hi = min(lo, n.facts.Skew), max(hi, n.facts.Skew)
		rtt = max(rtt, n.facts.RTT)
	}
	spread := hi - lo
	detail := fmt.Sprintf("largest difference between node clocks %s (measured from here, round trip up to %s)", spread.Round(100*time.Microsecond), rtt.Round(100*time.Microsecond))
	st := StatusOK
	fix := ""
	if spread > skewWarn {
		st, fix = StatusWarn, "synchronise clocks (chrony/NTP): last-update-wins compares commit times from different clocks"
	}
	if spread > skewFail && b.plan.Topology.Kind == TopologyActiveActive {
		st = StatusFail
	}
	cs = append(cs, Check{Name: "clock skew", Status: st, Detail: detail, Fix: fix})
	return cs
}

// dataChecks apply the empty-or-seed rule and the sequence rule.
func (b *bootstrapper) dataChecks() []Check {
	t := b.plan.Topology
	var cs []Check
	switch t.Kind {
	case TopologyStreaming:
		for _, n := range b.nodes {
			if n.Role == RoleStandby && !n.facts.InRecovery && n.facts.UserTables > 0 && !(n.ha != nil && n.ha.Patroni != nil) {
				cs = append(cs, Check{Node: n.Name, Name: "empty standby", Status: StatusFail,
					Detail: fmt.Sprintf("holds %d user table(s) in %s; rebuilding it as a standby would replace them", n.facts.UserTables, n.facts.Database),
					Fix:    "use an empty node as the standby; aadvisor never replaces data"})
			}
		}
		return cs
	case TopologyPartitioned:
		for _, n := range b.nodes {
			if b.joined(n) {
				continue
			}
			var bad []string
			for _, k := range n.facts.Scope {
				if c := n.facts.Tables[k].Foreign; c > 0 {
					bad = append(bad, fmt.Sprintf("%s (%d rows)", k, c))
				}
			}
			if len(bad) > 0 {
				cs = append(cs, Check{Node: n.Name, Name: "own rows only", Status: StatusFail,
					Detail: fmt.Sprintf("holds rows whose %s is not one of %s: %s", t.OwnerColumn, strings.Join(n.Owns, ", "), strings.Join(bad, ", ")),
					Fix:    "each node may hold only the rows it owns before joining; move the others to their owner node"})
			}
		}
	case TopologyHubSpoke:
		cs = append(cs, b.hubDataChecks()...)
		cs = append(cs, b.walChecks()...)
	case TopologyActiveActive:
		seed := b.seed()
		var others []string
		for _, n := range b.nodes {
			if n == seed || b.joined(n) {
				continue
			}
			if tabs := rowTables(n.facts); len(tabs) > 0 {
				others = append(others, fmt.Sprintf("%s (%s)", n.Name, strings.Join(tabs, ", ")))
			}
		}
		if len(others) > 0 {
			cs = append(cs, Check{Name: "empty or seed", Status: StatusFail,
				Detail: fmt.Sprintf("only one node may hold rows before joining (seed: %s); also holding rows: %s", seed.Name, strings.Join(others, "; ")),
				Fix:    "empty the other nodes' tables in scope yourself, or choose one node's data as the seed; aadvisor never deletes data"})
		} else {
			cs = append(cs, Check{Node: seed.Name, Name: "empty or seed", Status: StatusOK, Detail: "seed node: the others copy its rows"})
		}
	}
	cs = append(cs, b.sequenceChecks()...)
	return cs
}

func (b *bootstrapper) sequenceChecks() []Check {
	t := b.plan.Topology
	strategy := b.sequenceStrategy()
	var cs []Check
	seen := map[string]bool{}
	for _, n := range b.nodes {
		for _, s := range n.facts.Sequences {
			if seen[s.key()] {
				continue
			}
			seen[s.key()] = true
			tf := n.facts.Tables[s.TableSchema+"."+s.Table]
			isKey := tf != nil && slices.Contains(tf.PK, s.Column)
			ownerInKey := (t.Kind == TopologyPartitioned || t.Kind == TopologyHubSpoke) && tf != nil && slices.Contains(tf.PK, t.OwnerColumn)
			if t.Kind == TopologyHubSpoke && tf != nil && b.isShared(tf) {
				ownerInKey = true // written at the hub only: one writer
			}
			switch {
			case strategy == SequencesOffsets:
				cs = append(cs, Check{Name: "sequences", Status: StatusOK,
					Detail: fmt.Sprintf("%s (feeds %s.%s.%s): node k hands out k, k+%d, k+%d, ...", s.key(), s.TableSchema, s.Table, s.Column, len(b.nodes), 2*len(b.nodes))})
			case isKey && !ownerInKey:
				cs = append(cs, Check{Name: "sequences", Status: StatusFail,
					Detail: fmt.Sprintf("%s feeds the key %s.%s.%s: every node would hand out the same values", s.key(), s.TableSchema, s.Table, s.Column),
					Fix:    "set topology.sequences: offsets (INCREMENT BY node count, distinct start per node), or make the key a uuid (uuidv7() on 18) or a snowflake id"})
			}
		}
	}
	return cs
}

// sequenceStrategy is the plan's (Topology.SequenceStrategy).
func (b *bootstrapper) sequenceStrategy() string { return b.plan.Topology.SequenceStrategy() }

func toSet(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// driftChecks warn when a publication of an earlier run publishes other
// tables than the scope now holds: bootstrap does not change existing
// publications.
func (b *bootstrapper) driftChecks() []Check {
	if b.plan.Topology.Engine != EngineNative {
		return nil
	}
	var cs []Check
	scope := strings.Join(b.nodes[0].facts.Scope, ", ")
	for _, n := range b.nodes {
		pub := pubName(n.Name)
		tabs, ok := n.facts.Publications[pub]
		if b.plan.Topology.Kind == TopologyHubSpoke {
			var keys []string
			for _, tf := range b.hubPubTables(n) {
				keys = append(keys, tf.key())
			}
			scope = strings.Join(keys, ", ")
		}
		if !ok || strings.Join(tabs, ", ") == scope {
			continue
		}
		cs = append(cs, Check{Node: n.Name, Name: "publication drift", Status: StatusWarn,
			Detail: fmt.Sprintf("%s publishes (%s), the scope is (%s); bootstrap leaves existing publications alone", pub, strings.Join(tabs, ", "), scope),
			Fix:    fmt.Sprintf("ALTER PUBLICATION %s SET TABLE ...; then ALTER SUBSCRIPTION ... REFRESH PUBLICATION on its subscribers (or teardown and bootstrap again)", ident(pub))})
	}
	return cs
}
