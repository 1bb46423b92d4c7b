package replicate

import (
	"fmt"
	"strings"
)

// The hub-and-spoke bootstrap (plan_hub.go has the topology). Objects, by
// node, native engine:
//
//	site S  publication aadv_pub_S: its site tables WHERE owner IN (S's values)
//	        subscription aadv_S_from_HUB to aadv_pub_HUB (copy_data, origin = none on 16+)
//	        the guard that counts local writes to shared tables (schema aadv_guard)
//	hub     publication aadv_pub_HUB: the shared tables
//	        subscription aadv_HUB_from_S per site (copy_data, origin = none on 16+)
//
// pglogical (15) builds the same star with a replication set per node
// (row_filter on the sites' sets) and forward_origins = '{}'.

// hubState is what a hub-and-spoke bootstrap learns besides the facts.
type hubState struct {
	wal map[string]*walFacts // by node: WAL rate and limits (hub_wal.go)
	// hubRows counts, per site, the rows of its owner values the hub
	// already holds in site tables (they would clash with the copy).
	hubRows map[string][]string
}

// guardSchema holds the counters of local writes to shared tables on the
// sites; guardTrigger is the trigger that counts them.
const (
	guardSchema   = "aadv_guard"
	guardFunction = "count_write"
	guardTrigger  = "aadv_shared_write"
)

// guardSeq names a shared table's counter sequence (in guardSchema).
func guardSeq(schema, table string) string { return objName("w", schema, table) }

func (b *bootstrapper) hubNode() *nodeConn {
	for _, n := range b.nodes {
		if n.Name == b.plan.Topology.Hub {
			return n
		}
	}
	return nil
}

func (b *bootstrapper) siteNodes() []*nodeConn {
	var out []*nodeConn
	for _, n := range b.nodes {
		if n.Name != b.plan.Topology.Hub {
			out = append(out, n)
		}
	}
	return out
}

// hubSiteCount is the number of sites the hub serves: the plan's, or the
// whole star's when add-node bootstraps one site with its hub.
func (b *bootstrapper) hubSiteCount() int {
	if b.opt.hubSites > 0 {
		return b.opt.hubSites
	}
	return len(b.nodes) - 1
}

// isShared reports whether a table is a shared table of a hub-and-spoke
// topology: it has no owner column, or the plan lists it.
func (b *bootstrapper) isShared(tf *tableFacts) bool {
	t := b.plan.Topology
	return !tf.hasColumn(t.OwnerColumn) || t.listedShared(tf.key())
}

// hubTables splits the tables in scope into site tables (each site writes
// its own rows) and shared tables (only the hub writes).
func (b *bootstrapper) hubTables() (site, shared []*tableFacts) {
	for _, tf := range b.scopeTables() {
		if b.isShared(tf) {
			shared = append(shared, tf)
		} else {
			site = append(site, tf)
		}
	}
	return site, shared
}

// hasShared reports whether sites subscribe to the hub: there are shared
// tables, or (before the catalogs are read) there may be.
func (b *bootstrapper) hasShared() bool {
	if len(b.nodes) == 0 || b.nodes[0].facts == nil {
		return true
	}
	_, shared := b.hubTables()
	return len(shared) > 0
}

// hubLinks are the star's links (subscriber, provider): the hub from
// every site, and every site from the hub when there are shared tables.
func (b *bootstrapper) hubLinks() [][2]*nodeConn {
	hub := b.hubNode()
	shared := b.hasShared()
	var out [][2]*nodeConn
	for _, s := range b.siteNodes() {
		out = append(out, [2]*nodeConn{hub, s})
		if shared {
			out = append(out, [2]*nodeConn{s, hub})
		}
	}
	return out
}

// hubPubTables are the tables node n publishes: a site its site tables,
// the hub the shared tables.
func (b *bootstrapper) hubPubTables(n *nodeConn) []*tableFacts {
	site, shared := b.hubTables()
	if n.Name == b.plan.Topology.Hub {
		return shared
	}
	return site
}

// ownerFilter is the row filter of a site's values.
func ownerFilter(col string, owns []string) string {
	vals := make([]string, len(owns))
	for i, o := range owns {
		vals[i] = literal(o)
	}
	return fmt.Sprintf("%s IN (%s)", ident(col), strings.Join(vals, ", "))
}

// hubSteps: the WAL retention for the offline window, the guards on the
// sites, the publications, then the hub's subscription to every site and
// every site's subscription to the hub.
func (b *bootstrapper) hubSteps() []Step {
	steps := b.walSteps()
	steps = append(steps, b.guardSteps()...)
	if b.plan.Topology.Engine == EnginePglogical {
		return append(steps, b.hubPglogicalSteps()...)
	}
	return append(steps, b.hubNativeSteps()...)
}

func (b *bootstrapper) hubNativeSteps() []Step {
	var steps []Step
	for _, n := range b.nodes {
		if tables := b.hubPubTables(n); len(tables) > 0 {
			steps = append(steps, publicationStep(n, tables, b.hubRowFilter(n)))
		}
	}
	for _, l := range b.hubLinkOrder() {
		steps = append(steps, subscriptionStep(l[0], l[1], true, b.hubCarries(l[1])))
	}
	return steps
}

// hubRowFilter is the filter of node n's publication: a site publishes
// the rows it owns, the hub its shared tables whole.
func (b *bootstrapper) hubRowFilter(n *nodeConn) string {
	if n.Name == b.plan.Topology.Hub {
		return ""
	}
	return ownerFilter(b.plan.Topology.OwnerColumn, n.Owns)
}

// hubCarries says what a link from provider p carries.
func (b *bootstrapper) hubCarries(p *nodeConn) string {
	if p.Name == b.plan.Topology.Hub {
		return "the shared tables"
	}
	return p.Name + "'s own rows"
}

// hubLinkOrder lists the links in the order they are created: the hub
// from every site first (each site's rows copied up), then every site from
// the hub (the shared tables copied down).
func (b *bootstrapper) hubLinkOrder() [][2]*nodeConn {
	var up, down [][2]*nodeConn
	for _, l := range b.hubLinks() {
		if l[0].Name == b.plan.Topology.Hub {
			up = append(up, l)
		} else {
			down = append(down, l)
		}
	}
	return append(up, down...)
}

func (b *bootstrapper) hubPglogicalSteps() []Step {
	var steps []Step
	for _, n := range b.nodes {
		steps = append(steps, pglNodeSteps(n)...)
		if tables := b.hubPubTables(n); len(tables) > 0 {
			steps = append(steps, pglSetSteps(n, tables, b.hubRowFilter(n))...)
		}
	}
	for _, l := range b.hubLinkOrder() {
		steps = append(steps, pglSubscriptionStep(l[0], l[1], true))
	}
	return steps
}

// guardSteps give every site a counter of its own writes to each shared
// table: an AFTER ... FOR EACH STATEMENT trigger that advances a sequence.
// Ordinary triggers fire only for local writes (session_replication_role
// origin), never for what the apply worker or the initial copy writes, so
// the counter counts exactly the writes a site should not make; 'mesh
// status' reads it. The function is SECURITY DEFINER so that counting
// needs no privilege of the writer.
func (b *bootstrapper) guardSteps() []Step {
	_, shared := b.hubTables()
	if len(shared) == 0 {
		return nil
	}
	fn := qualified(guardSchema, guardFunction)
	var steps []Step
	for _, n := range b.siteNodes() {
		steps = append(steps,
			Step{Node: n.Name, Action: "create schema " + guardSchema + " (counters of local writes to shared tables)",
				SQL:        "CREATE SCHEMA IF NOT EXISTS " + ident(guardSchema),
				exists:     `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`,
				existsArgs: []any{guardSchema}},
			Step{Node: n.Name, Action: "create function " + guardSchema + "." + guardFunction,
				SQL: "CREATE FUNCTION " + fn + "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS " +
					"$aadv$ BEGIN PERFORM pg_catalog.nextval(TG_ARGV[0]::regclass); RETURN NULL; END $aadv$",
				exists: `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace s ON s.oid = p.pronamespace
WHERE s.nspname = $1 AND p.proname = $2)`,
				existsArgs: []any{guardSchema, guardFunction}})
		for _, tf := range shared {
			seq := qualified(guardSchema, guardSeq(tf.Schema, tf.Name))
			rel := qualified(tf.Schema, tf.Name)
			steps = append(steps,
				Step{Node: n.Name, Action: fmt.Sprintf("counter of local writes to %s", tf.key()),
					SQL: fmt.Sprintf("CREATE SEQUENCE %s; COMMENT ON SEQUENCE %s IS %s", seq, seq, literal(tf.key())),
					exists: `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace s ON s.oid = c.relnamespace
WHERE s.nspname = $1 AND c.relname = $2)`,
					existsArgs: []any{guardSchema, guardSeq(tf.Schema, tf.Name)}},
				Step{Node: n.Name, Action: fmt.Sprintf("count local writes to shared table %s", tf.key()),
					SQL: fmt.Sprintf("CREATE TRIGGER %s AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION %s(%s)",
						ident(guardTrigger), rel, fn, literal(seq)),
					exists:     `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgname = $1 AND tgrelid = $2::regclass)`,
					existsArgs: []any{guardTrigger, rel}})
		}
	}
	return steps
}

// hubCapacity lists the settings a node of the star needs: the hub has a
// walsender and a slot for each site's subscription and an apply worker
// for each site; a site has one of each. Table synchronisation takes a
// slot and a worker per table being copied, hence the headroom (as in a
// mesh).
func (b *bootstrapper) hubCapacity(n *nodeConn) []capNeed {
	links, why, per := 1, "a site (one link each way with its hub)", ""
	if n.Name == b.plan.Topology.Hub {
		links = b.hubSiteCount()
		why, per = fmt.Sprintf("a hub of %d site(s)", links), " per site"
	}
	out := []capNeed{
		{"max_replication_slots", 2 * links, why + " (a slot" + per + ", plus table-sync slots)"},
		{"max_wal_senders", 2 * links, why + " (a walsender" + per + ", plus table sync)"},
		{"max_worker_processes", links + 4, why + " (an apply worker" + per + ", plus launchers)"},
	}
	if b.plan.Topology.Engine == EngineNative {
		out = append(out, capNeed{"max_logical_replication_workers", links + 2, why + " (an apply worker" + per + ", plus table sync)"})
	}
	return append(out, originNeed(n, 2*links, why+" (an origin"+per+", plus table sync)")...)
}

// hubOwnerCheck: a site table's owner column must be in the replica
// identity (its publication's row filter covers UPDATE and DELETE); a
// shared table is said to be written at the hub only.
func (b *bootstrapper) hubOwnerCheck(tf *tableFacts) []Check {
	if b.isShared(tf) {
		why := "no column " + b.plan.Topology.OwnerColumn
		if tf.hasColumn(b.plan.Topology.OwnerColumn) {
			why = "listed in topology.shared_tables"
		}
		return []Check{{Name: "shared table", Status: StatusOK,
			Detail: fmt.Sprintf("%s (%s): written at hub %s only, copied to every site", tf.key(), why, b.plan.Topology.Hub)}}
	}
	return ownerCheck(tf, b.plan.Topology.OwnerColumn)
}

// hubDataChecks: rows a new link would copy must not clash with rows at
// the other end, and a site holds only rows it owns.
func (b *bootstrapper) hubDataChecks() []Check {
	t := b.plan.Topology
	var cs []Check
	hub := b.hubNode()
	site, shared := b.hubTables()
	if len(site) == 0 {
		cs = append(cs, Check{Name: "site tables", Status: StatusFail,
			Detail: fmt.Sprintf("no table in scope has the owner column %s: nothing would flow from the sites to the hub", t.OwnerColumn),
			Fix:    "add the owner column to the tables each site writes, or fix topology.owner_column / topology.tables"})
	}
	for _, n := range b.siteNodes() {
		var ph []string
		for _, o := range n.Owns {
			if placeholRE.MatchString(o) {
				ph = append(ph, o)
			}
		}
		if len(ph) > 0 {
			cs = append(cs, Check{Node: n.Name, Name: "owner values", Status: StatusFail,
				Detail: fmt.Sprintf("%s still holds the placeholder %s", t.OwnerColumn, strings.Join(ph, ", ")),
				Fix:    "fill in the site's owner values (topology.nodes[].owns) in the plan"})
			continue
		}
		if !hub.facts.Subscriptions[subName(hub.Name, n.Name)] && !hub.facts.PglSubs[subName(hub.Name, n.Name)] {
			var bad []string
			for _, k := range n.facts.Scope {
				tf := n.facts.Tables[k]
				if c := tf.Foreign; c > 0 && !b.isShared(tf) {
					bad = append(bad, fmt.Sprintf("%s (%d rows)", k, c))
				}
			}
			if len(bad) > 0 {
				cs = append(cs, Check{Node: n.Name, Name: "own rows only", Status: StatusFail,
					Detail: fmt.Sprintf("holds rows whose %s is not one of %s: %s (they would never leave the site)", t.OwnerColumn, strings.Join(n.Owns, ", "), strings.Join(bad, ", ")),
					Fix:    "a site may hold only its own rows before joining; move the others to their site"})
			}
			if rows := b.hub.hubRows[n.Name]; len(rows) > 0 {
				cs = append(cs, Check{Node: hub.Name, Name: "site rows at the hub", Status: StatusFail,
					Detail: fmt.Sprintf("already holds rows of %s (%s): %s; the copy from %s would clash with them", n.Name, ownerFilter(t.OwnerColumn, n.Owns), strings.Join(rows, ", "), n.Name),
					Fix:    "the site is the source of its rows: remove them at the hub (aadvisor never deletes data), or restore the site from them first"})
			}
		}
		if len(shared) > 0 && !n.facts.Subscriptions[subName(n.Name, hub.Name)] && !n.facts.PglSubs[subName(n.Name, hub.Name)] {
			var full []string
			for _, tf := range shared {
				if s := n.facts.Tables[tf.key()]; s != nil && s.HasRows {
					full = append(full, tf.key())
				}
			}
			if len(full) > 0 {
				cs = append(cs, Check{Node: n.Name, Name: "empty shared tables", Status: StatusFail,
					Detail: fmt.Sprintf("shared table(s) %s already hold rows; the copy from hub %s would clash with them", strings.Join(full, ", "), hub.Name),
					Fix:    "empty the site's shared tables first (the hub's copy replaces them; aadvisor never deletes data)"})
			}
		}
	}
	return cs
}

// hubRouting is the rule writers follow for every table in scope.
func (b *bootstrapper) hubRouting() []Route {
	t := b.plan.Topology
	site, shared := b.hubTables()
	var out []Route
	for _, tf := range shared {
		out = append(out, Route{Table: tf.key(), Mode: WriteHome,
			Rule: fmt.Sprintf("shared: write only at hub %s; every site receives it read-only ('mesh status' flags a site that writes it)", t.Hub)})
	}
	for _, tf := range site {
		out = append(out, Route{Table: tf.key(), Mode: WriteHome,
			Rule: fmt.Sprintf("site-owned: write each row only at the site that owns its %s value; it goes to hub %s and to no other site", t.OwnerColumn, t.Hub)})
	}
	for _, r := range t.Routing() {
		if r.Mode == WriteLocal {
			out = append(out, r)
		}
	}
	return out
}
