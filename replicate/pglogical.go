package replicate

import (
	"fmt"
)

// pglogicalSteps: on every node the extension, a pglogical node and a
// replication set holding the tables in scope (row-filtered for a
// partitioned mesh); then a subscription from every node to every other
// with forward_origins = '{}' (never forward what came from elsewhere),
// copying data only from the seed (active-active) or from every owner
// (partitioned). Active-active sets pglogical.conflict_resolution =
// last_update_wins with ALTER SYSTEM and a reload.
func (b *bootstrapper) pglogicalSteps() []Step {
	t := b.plan.Topology
	var steps []Step
	tables := b.scopeTables()
	for _, n := range b.nodes {
		if t.Kind == TopologyActiveActive {
			const isLWW = `SELECT coalesce(pg_catalog.current_setting('pglogical.conflict_resolution', true), '') = 'last_update_wins'`
			steps = append(steps,
				Step{Node: n.Name, Action: "conflict resolution: last_update_wins",
					SQL:    "ALTER SYSTEM SET pglogical.conflict_resolution = 'last_update_wins'",
					exists: isLWW},
				Step{Node: n.Name, Action: "reload configuration", SQL: "SELECT pg_catalog.pg_reload_conf()", exists: isLWW})
		}
		steps = append(steps, pglNodeSteps(n)...)
		steps = append(steps, pglSetSteps(n, tables, b.rowFilter(n))...)
	}
	for _, l := range b.subscriptionOrder() {
		steps = append(steps, pglSubscriptionStep(l[0], l[1], b.copyData(l[0], l[1])))
	}
	return steps
}

// pglNodeSteps: the extension and node n's pglogical node.
func pglNodeSteps(n *nodeConn) []Step {
	node := pglNodeName(n.Name)
	return []Step{
		{Node: n.Name, Action: "create extension pglogical",
			SQL:    "CREATE EXTENSION IF NOT EXISTS pglogical",
			exists: `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pglogical')`},
		{Node: n.Name, Action: "create pglogical node " + node,
			SQL: fmt.Sprintf("SELECT pglogical.create_node(node_name := %s, dsn := %s)", literal(node), literal(n.dsn)),
			exists: `SELECT EXISTS (SELECT 1 FROM pglogical.local_node l JOIN pglogical.node n ON n.node_id = l.node_id
WHERE n.node_name = $1)`,
			existsArgs: []any{node}},
	}
}

// pglSetSteps: node n's replication set (INSERT, UPDATE, DELETE; no
// TRUNCATE) with the tables, each with the row filter when there is one.
func pglSetSteps(n *nodeConn, tables []*tableFacts, filter string) []Step {
	set := pglSetName(n.Name)
	steps := []Step{{Node: n.Name, Action: "create replication set " + set,
		SQL: fmt.Sprintf("SELECT pglogical.create_replication_set(set_name := %s, replicate_insert := true, replicate_update := true, replicate_delete := true, replicate_truncate := false)",
			literal(set)),
		exists:     `SELECT EXISTS (SELECT 1 FROM pglogical.replication_set WHERE set_name = $1)`,
		existsArgs: []any{set}}}
	for _, tf := range tables {
		rel := qualified(tf.Schema, tf.Name)
		sql := fmt.Sprintf("SELECT pglogical.replication_set_add_table(set_name := %s, relation := %s::regclass, synchronize_data := false",
			literal(set), literal(rel))
		if filter != "" {
			sql += ", row_filter := " + literal(filter)
		}
		sql += ")"
		steps = append(steps, Step{Node: n.Name, Action: fmt.Sprintf("add %s.%s to %s", tf.Schema, tf.Name, set),
			SQL: sql,
			exists: `SELECT EXISTS (SELECT 1 FROM pglogical.replication_set_table rt
JOIN pglogical.replication_set s ON s.set_id = rt.set_id WHERE s.set_name = $1 AND rt.set_reloid = $2::regclass)`,
			existsArgs: []any{set, rel}})
	}
	return steps
}

// pglSubscriptionStep subscribes node n to provider p's replication set
// with forward_origins = '{}' (never forward what came from elsewhere).
func pglSubscriptionStep(n, p *nodeConn, syncData bool) Step {
	sub := subName(n.Name, p.Name)
	return Step{Node: n.Name,
		Action: fmt.Sprintf("subscribe %s to %s (%s)", n.Name, p.Name, sub),
		SQL: fmt.Sprintf("SELECT pglogical.create_subscription(subscription_name := %s, provider_dsn := %s, replication_sets := ARRAY[%s], synchronize_structure := false, synchronize_data := %t, forward_origins := '{}')",
			literal(sub), literal(p.dsn), literal(pglSetName(p.Name)), syncData),
		exists:     `SELECT EXISTS (SELECT 1 FROM pglogical.subscription WHERE sub_name = $1)`,
		existsArgs: []any{sub}}
}
