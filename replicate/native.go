package replicate

import (
	"context"
	"fmt"
	"strings"
)

// rowFilter is the WHERE clause that publishes only the rows a node owns.
func (b *bootstrapper) rowFilter(n *nodeConn) string {
	t := b.plan.Topology
	if t.Kind != TopologyPartitioned {
		return ""
	}
	vals := make([]string, len(n.Owns))
	for i, o := range n.Owns {
		vals[i] = literal(o)
	}
	return fmt.Sprintf("%s IN (%s)", ident(t.OwnerColumn), strings.Join(vals, ", "))
}

// scopeTables are the quoted names of the tables in scope (from the first
// node; the prechecks made sure every node has the same).
func (b *bootstrapper) scopeTables() []*tableFacts {
	f := b.nodes[0].facts
	out := make([]*tableFacts, 0, len(f.Scope))
	for _, k := range f.Scope {
		out = append(out, f.Tables[k])
	}
	return out
}

// subscriptionOrder lists the links (subscriber, provider) in the order
// they are created: every node's link from the seed first, so that the
// copy of the seed's rows starts before the other links exist.
func (b *bootstrapper) subscriptionOrder() [][2]*nodeConn {
	var out [][2]*nodeConn
	seed := b.seed()
	for _, n := range b.nodes {
		if n != seed {
			out = append(out, [2]*nodeConn{n, seed})
		}
	}
	for _, n := range b.nodes {
		for _, p := range b.nodes {
			if n != p && p != seed {
				out = append(out, [2]*nodeConn{n, p})
			}
		}
	}
	return out
}

// copyData decides whether the link from provider p to subscriber n copies
// existing rows: for active-active only from the seed; for a partitioned
// mesh always, since each provider publishes only the rows it owns.
func (b *bootstrapper) copyData(n, p *nodeConn) bool {
	if b.plan.Topology.Kind == TopologyPartitioned {
		return true
	}
	return p == b.seed()
}

// nativeSteps: a publication per node (row-filtered for a partitioned
// mesh), then one subscription per ordered pair of nodes, with
// origin = none on 16+ so that nothing is sent back where it came from.
// On 15 (partitioned only) the row filters alone prevent loops: a node
// publishes only rows it owns, and rows it receives belong to others.
func (b *bootstrapper) nativeSteps() []Step {
	var steps []Step
	tables := b.scopeTables()
	for _, n := range b.nodes {
		steps = append(steps, publicationStep(n, tables, b.rowFilter(n)))
	}
	for _, l := range b.subscriptionOrder() {
		n, p := l[0], l[1]
		steps = append(steps, subscriptionStep(n, p, b.copyData(n, p), ""))
	}
	return steps
}

// publicationStep creates node n's publication of the tables, each with
// the row filter when there is one. It publishes insert, update and
// delete, not TRUNCATE, which would empty the other owners' rows.
func publicationStep(n *nodeConn, tables []*tableFacts, filter string) Step {
	parts := make([]string, len(tables))
	for i, tf := range tables {
		parts[i] = qualified(tf.Schema, tf.Name)
		if filter != "" {
			parts[i] += " WHERE (" + filter + ")"
		}
	}
	pub := pubName(n.Name)
	return Step{
		Node:   n.Name,
		Action: "create publication " + pub,
		SQL: fmt.Sprintf("CREATE PUBLICATION %s FOR TABLE %s WITH (publish = 'insert, update, delete')",
			ident(pub), strings.Join(parts, ", ")),
		exists:     `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1)`,
		existsArgs: []any{pub},
	}
}

// subscriptionStep subscribes node n to provider p's publication, with
// origin = none on 16+ so that nothing is sent back where it came from;
// what, when given, says what the link carries.
func subscriptionStep(n, p *nodeConn, copyData bool, what string) Step {
	sub := subName(n.Name, p.Name)
	opts := []string{fmt.Sprintf("copy_data = %t", copyData)}
	if n.facts.major() >= 16 {
		opts = append(opts, "origin = none")
	}
	sql := fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (%s)",
		ident(sub), literal(p.dsn), ident(pubName(p.Name)), strings.Join(opts, ", "))
	action := fmt.Sprintf("subscribe %s to %s (%s)", n.Name, p.Name, sub)
	if what != "" {
		action += ": " + what
	}
	return Step{
		Node:       n.Name,
		Action:     action,
		SQL:        sql,
		exists:     `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = $1)`,
		existsArgs: []any{sub},
		run: func(ctx context.Context, b *bootstrapper) error {
			// A slot left by an interrupted run would make CREATE
			// SUBSCRIPTION fail; it is ours (by name) and unused.
			if err := dropIdleSlot(ctx, p, sub); err != nil {
				return err
			}
			_, err := n.conn.Exec(ctx, sql)
			return err
		},
	}
}

// dropIdleSlot drops an inactive replication slot of this name on node p.
func dropIdleSlot(ctx context.Context, p *nodeConn, slot string) error {
	if !strings.HasPrefix(slot, Prefix) {
		return fmt.Errorf("refusing to drop slot %s: not made by aadvisor", slot)
	}
	_, err := p.conn.Exec(ctx, `SELECT pg_catalog.pg_drop_replication_slot(slot_name)
FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND NOT active`, slot)
	if err != nil {
		return fmt.Errorf("drop leftover slot %s on %s: %w", slot, p.Name, err)
	}
	return nil
}
