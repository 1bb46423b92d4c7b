package replicate

import (
	"context"
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// siteJoin is what add-node bootstraps for a new site of a star: the hub
// and that site only (the other sites take no part), with the hub's
// capacity checked for the whole star.
func siteJoin(np *Plan, site string, opt Options) (*Plan, Options) {
	t := np.Topology
	sp := *np
	sp.Topology.Nodes = nil
	for _, n := range t.Nodes {
		if n.Name == t.Hub || n.Name == site {
			sp.Topology.Nodes = append(sp.Topology.Nodes, n)
		}
	}
	opt.hubSites = len(t.Sites())
	return &sp, opt
}

// removeSite takes a site out of a star, up or gone: the hub's
// subscription from it and its own from the hub are dropped, with the
// slots they held (remove-node's steps over the hub and the site); when
// the site can be reached, its publication (or pglogical node) and its
// counters of writes to shared tables too; with pglogical, the hub
// forgets the site's node. Its data stays; the other sites are not
// touched (nor need to be reachable).
func removeSite(ctx context.Context, p *Plan, name string, o RemoveOptions) (*Plan, *MembershipResult, error) {
	t := p.Topology
	if name == t.Hub {
		return nil, nil, fmt.Errorf("remove-node: %s is the hub of the star: take the star down with 'aadvisor mesh teardown'", name)
	}
	hub := t.HubNode()
	var site *PlanNode
	var rest []PlanNode
	for _, n := range t.Nodes {
		if n.Name == name {
			site = &n
		} else {
			rest = append(rest, n)
		}
	}
	if site == nil {
		return nil, nil, fmt.Errorf("remove-node: %s is not a node of the plan", name)
	}
	pair := *p
	pair.Topology.Nodes = []PlanNode{*hub, *site}
	_, res, err := removeNode(ctx, &pair, name, o)
	if err != nil {
		return nil, res, err
	}
	if err := removeSiteExtras(ctx, &pair, *hub, *site, o, res); err != nil {
		return nil, res, err
	}
	np := *p
	np.Topology.Nodes = rest
	return &np, res, nil
}

// removeSiteExtras drops what a site has beyond its links: its guard
// (on the site, when reachable) and, with pglogical, the hub's entry for
// the site's node.
func removeSiteExtras(ctx context.Context, pair *Plan, hub, site PlanNode, o RemoveOptions, res *MembershipResult) error {
	opt := Options{DryRun: o.DryRun, ConnectTimeout: o.ConnectTimeout, Log: o.Log}
	opt.defaults()
	gp := *pair
	gp.Topology.Offline = nil
	b := &bootstrapper{plan: &gp, opt: opt}
	defer b.close()
	conns := map[string]*nodeConn{}
	for _, pn := range []PlanNode{hub, site} {
		cfg, err := meshConnConfig(pair, pn)
		if err != nil {
			return err
		}
		cfg.ConnectTimeout = opt.ConnectTimeout
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			if pn.Name == hub.Name {
				return fmt.Errorf("remove-node: hub %s: connect: %s", hub.Name, inspect.Redact(err.Error()))
			}
			continue // the site is gone: remove-node's note says so
		}
		conns[pn.Name] = &nodeConn{PlanNode: pn, conn: conn}
		b.nodes = append(b.nodes, conns[pn.Name])
	}
	tr := &TeardownResult{}
	var err error
	if s := conns[site.Name]; s != nil { // the guard lives on the site
		g := &bootstrapper{plan: &gp, opt: opt, nodes: []*nodeConn{s}}
		err = g.teardownGuards(ctx, tr)
	}
	if h := conns[hub.Name]; err == nil && pair.Topology.Engine == EnginePglogical {
		var exists bool
		err = h.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pglogical.node n WHERE n.node_name = $1
  AND n.node_id NOT IN (SELECT node_id FROM pglogical.local_node))`, pglNodeName(site.Name)).Scan(&exists)
		if err == nil && exists {
			err = b.do(ctx, tr, h, "forget pglogical node "+pglNodeName(site.Name), "SELECT pglogical.drop_node(node_name := "+literal(pglNodeName(site.Name))+", ifexists := true)")
		}
	}
	res.Steps = append(res.Steps, tr.Steps...)
	if err != nil {
		return fmt.Errorf("remove-node: %w", err)
	}
	return nil
}
