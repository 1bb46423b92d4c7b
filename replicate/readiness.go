package replicate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// linkState reads the state of the link from provider p to subscriber n.
func (b *bootstrapper) linkState(ctx context.Context, n, p *nodeConn) LinkReadiness {
	t := b.plan.Topology
	l := LinkReadiness{From: p.Name, To: n.Name}
	if t.Kind == TopologyStreaming {
		l.Name = physSlotName(n.Name)
		var state string
		err := p.conn.QueryRow(ctx, `SELECT coalesce((SELECT state FROM pg_catalog.pg_stat_replication WHERE application_name = $1 LIMIT 1), '')`, n.Name).Scan(&state)
		switch {
		case err != nil:
			l.State, l.Detail = LinkUnknown, inspect.Redact(err.Error())
		case state == "":
			l.State, l.Detail = LinkDown, "not connected"
			if b.opt.Local[n.Name] == nil && (n.facts == nil || !n.facts.InRecovery) {
				l.Detail = "not connected: run the runbook on the standby's host"
			}
		default:
			l.State = walSenderLinkState(state)
			l.Ready = l.State == LinkStreaming
		}
		return l
	}
	l.Name = subName(n.Name, p.Name)
	if n.conn == nil {
		l.State = LinkUnknown
		return l
	}
	var q string
	if t.Engine == EnginePglogical {
		q = `SELECT coalesce((SELECT status FROM pglogical.show_subscription_status($1)), '` + LinkMissing + `'),
  (SELECT count(*) FROM pglogical.local_sync_status ss JOIN pglogical.subscription s ON s.sub_id = ss.sync_subid
   WHERE s.sub_name = $1 AND ss.sync_status <> 'r')::int`
		if !b.pglogicalInstalled(ctx, n) {
			l.State = LinkMissing
			return l
		}
	} else {
		q = `SELECT CASE WHEN s.oid IS NULL THEN '` + LinkMissing + `'
    WHEN NOT s.subenabled THEN '` + LinkDisabled + `'
    WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL) THEN '` + LinkStreaming + `'
    ELSE '` + LinkDown + `' END,
  (SELECT count(*) FROM pg_catalog.pg_subscription_rel r WHERE r.srsubid = s.oid AND r.srsubstate NOT IN ('r', 's'))::int,
  coalesce(s.subslotname::text, '')
FROM (SELECT $1::text AS name) x LEFT JOIN pg_catalog.pg_subscription s ON s.subname = x.name`
	}
	var state, slot string
	var syncing int
	var err error
	if t.Engine == EnginePglogical {
		err = n.conn.QueryRow(ctx, q, l.Name).Scan(&state, &syncing)
	} else {
		err = n.conn.QueryRow(ctx, q, l.Name).Scan(&state, &syncing, &slot)
	}
	if err != nil {
		l.State, l.Detail = LinkUnknown, inspect.Redact(err.Error())
		return l
	}
	if slot != "" && (state == LinkStreaming || state == LinkDown) && p.conn != nil {
		// A worker that starts and fails again and again (its slot is
		// gone from the publisher) looks like a streaming link between
		// two failures: ask the publisher.
		var ok bool
		if err := p.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`, slot).Scan(&ok); err == nil && !ok {
			l.State, l.Detail = LinkError, "slot "+slot+" is gone from "+p.Name+": the link cannot resume; drop the subscription and bootstrap again (its rows are copied anew)"
			return l
		}
	}
	if t.Engine == EnginePglogical && state != LinkMissing {
		state = pglogicalLinkState(state)
	}
	l.State = copyingLinkState(state, syncing)
	if syncing > 0 {
		l.Detail = fmt.Sprintf("%d table(s) still copying", syncing)
	}
	l.Ready = l.State == LinkStreaming
	return l
}

func (b *bootstrapper) pglogicalInstalled(ctx context.Context, n *nodeConn) bool {
	var ok bool
	n.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pglogical')`).Scan(&ok)
	return ok
}

// links lists (subscriber, provider) pairs of the topology.
func (b *bootstrapper) links() [][2]*nodeConn {
	if b.plan.Topology.Kind == TopologyHubSpoke {
		return b.hubLinks()
	}
	if b.plan.Topology.Kind == TopologyStreaming {
		var out [][2]*nodeConn
		prim := b.primary()
		for _, n := range b.nodes {
			if n.Role == RoleStandby {
				out = append(out, [2]*nodeConn{n, prim})
			}
		}
		return out
	}
	var out [][2]*nodeConn
	for _, n := range b.nodes {
		for _, p := range b.nodes {
			if n != p {
				out = append(out, [2]*nodeConn{n, p})
			}
		}
	}
	return out
}

// readiness summarises every node and link.
func (b *bootstrapper) readiness(ctx context.Context) ([]NodeReadiness, []LinkReadiness) {
	if b.plan.Topology.HA != nil {
		return b.haReadiness(ctx)
	}
	var links []LinkReadiness
	for _, l := range b.links() {
		links = append(links, b.linkState(ctx, l[0], l[1]))
	}
	var nodes []NodeReadiness
	for _, n := range b.nodes {
		nr := NodeReadiness{Name: n.Name, Role: n.Role, DSN: inspect.Redact(n.dsn)}
		if n.facts != nil {
			nr.Version = n.facts.Version
		}
		// A node of a star is ready when every link it takes part in is:
		// a site without shared tables has no incoming link.
		star := b.plan.Topology.Kind == TopologyHubSpoke
		in, ready := 0, 0
		for _, l := range links {
			if l.To == n.Name || star && l.From == n.Name {
				in++
				if l.Ready {
					ready++
				}
			}
		}
		switch {
		case n.conn == nil:
			nr.Detail = "not connected"
		case b.plan.Topology.Kind == TopologyStreaming && n.Role == RolePrimary:
			nr.Ready = true
			nr.Detail = "primary"
		default:
			nr.Ready = in > 0 && ready == in
			nr.Detail = fmt.Sprintf("%d/%d incoming link(s) ready", ready, in)
			if star {
				nr.Detail = fmt.Sprintf("%d/%d link(s) ready", ready, in)
			}
		}
		nodes = append(nodes, nr)
	}
	return nodes, links
}

// waitReady waits until every link replicates (or a runbook step is
// left to a person), up to opt.Wait.
func (b *bootstrapper) waitReady(ctx context.Context) error {
	if b.plan.Topology.HA != nil {
		return b.waitHAReady(ctx)
	}
	deadline := time.Now().Add(b.opt.Wait)
	for {
		var pending []string
		for _, l := range b.links() {
			if b.plan.Topology.Kind == TopologyStreaming && b.opt.Local[l[0].Name] == nil && !l[0].facts.InRecovery {
				continue // manual runbook
			}
			ls := b.linkState(ctx, l[0], l[1])
			if ls.State == LinkError {
				// Readiness says error only for what waiting cannot mend.
				return fmt.Errorf("link %s→%s cannot become ready: %s", ls.From, ls.To, ls.Detail)
			}
			if !ls.Ready {
				pending = append(pending, fmt.Sprintf("%s→%s %s %s", ls.From, ls.To, ls.State, ls.Detail))
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("links not ready after %s: %s", b.opt.Wait, strings.Join(pending, "; "))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
