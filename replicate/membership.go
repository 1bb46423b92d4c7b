package replicate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// MembershipResult is what AddNode or RemoveNode did (or would do).
type MembershipResult struct {
	SchemaVersion int      `json:"schema_version"`
	Action        string   `json:"action"` // add-node, remove-node
	Node          string   `json:"node"`
	Engine        string   `json:"engine"`
	DryRun        bool     `json:"dry_run"`
	Steps         []Step   `json:"steps"`
	Bootstrap     *Result  `json:"bootstrap,omitempty"` // add-node: bootstrap's result
	Notes         []string `json:"notes,omitempty"`
}

// AddNode joins a node to a running active-active (or partitioned) mesh:
// it returns the plan with the node appended and runs Bootstrap on it,
// which leaves the existing links alone (every object is found by name),
// creates the new node's publication and a link to and from every member,
// and copies the existing rows into the new node from one member only.
// The new node's tables must exist and be empty. Writes to the mesh may
// continue, but a row written on a member other than the copy source in
// the moment the new node's links are created can be missed: run Verify
// after joining (and apply its repair script) when the mesh was live.
func AddNode(ctx context.Context, p *Plan, n PlanNode, opt Options) (*Plan, *MembershipResult, error) {
	if p.Topology.Kind == TopologyStreaming {
		return nil, nil, fmt.Errorf("add-node: a streaming topology gets standbys from bootstrap, not add-node")
	}
	for _, m := range p.Topology.Nodes {
		if m.Name == n.Name {
			return nil, nil, fmt.Errorf("add-node: %s is already a node of the plan", n.Name)
		}
	}
	if n.Role == "" {
		n.Role = RolePeer
		switch p.Topology.Kind {
		case TopologyPartitioned:
			n.Role = RoleOwner
		case TopologyHubSpoke:
			n.Role = RoleSite
		}
	}
	np := *p
	np.Topology.Nodes = append(append([]PlanNode(nil), p.Topology.Nodes...), n)
	if err := np.Validate(); err != nil {
		return nil, nil, fmt.Errorf("add-node: %w", err)
	}
	res := &MembershipResult{SchemaVersion: ResultVersion, Action: "add-node", Node: n.Name, Engine: p.Topology.Engine, DryRun: opt.DryRun, Steps: []Step{}}
	bp := &np
	if np.Topology.Kind == TopologyHubSpoke {
		bp, opt = siteJoin(&np, n.Name, opt)
	}
	br, err := Bootstrap(ctx, bp, opt)
	res.Bootstrap = br
	if br != nil {
		res.Steps = br.Steps
	}
	if np.Topology.Kind == TopologyHubSpoke {
		res.Notes = append(res.Notes, fmt.Sprintf("only hub %s and %s were changed: the site's rows were copied to the hub, the shared tables to the site; the other sites are untouched", np.Topology.Hub, n.Name))
	} else {
		res.Notes = append(res.Notes, "run 'aadvisor mesh verify' once the new node has caught up: rows written elsewhere while it joined may be missing on it")
	}
	if err != nil {
		return nil, res, err
	}
	return &np, res, nil
}

// RemoveOptions tune RemoveNode.
type RemoveOptions struct {
	DryRun         bool
	ConnectTimeout time.Duration // default 10s
	Log            *slog.Logger
}

// RemoveNode takes a node out of a running mesh, whether it is up or
// gone: every other node drops its subscription from the node (without
// touching the departed node's slot when it cannot be reached) and the
// replication slots the node's own subscriptions used, so that they stop
// retaining WAL. When the node can be reached, its subscriptions and its
// publication (or pglogical node) are dropped too; its data stays. It
// returns the plan without the node. Running it again is harmless.
func RemoveNode(ctx context.Context, p *Plan, name string, o RemoveOptions) (*Plan, *MembershipResult, error) {
	if p.Topology.Kind == TopologyHubSpoke {
		return removeSite(ctx, p, name, o)
	}
	return removeNode(ctx, p, name, o)
}

func removeNode(ctx context.Context, p *Plan, name string, o RemoveOptions) (*Plan, *MembershipResult, error) {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var gone *PlanNode
	var rest []PlanNode
	for _, n := range p.Topology.Nodes {
		if n.Name == name {
			gone = &n
		} else {
			rest = append(rest, n)
		}
	}
	if gone == nil {
		return nil, nil, fmt.Errorf("remove-node: %s is not a node of the plan", name)
	}
	if p.Topology.Kind == TopologyStreaming {
		return nil, nil, fmt.Errorf("remove-node: a streaming topology is changed with teardown and bootstrap")
	}
	np := *p
	np.Topology.Nodes = rest
	res := &MembershipResult{SchemaVersion: ResultVersion, Action: "remove-node", Node: name, Engine: p.Topology.Engine, DryRun: o.DryRun, Steps: []Step{}}
	conns := map[string]*pgx.Conn{}
	defer func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	}()
	for _, n := range p.Topology.Nodes {
		cfg, err := meshConnConfig(p, n)
		if err != nil {
			return nil, res, err
		}
		cfg.ConnectTimeout = o.ConnectTimeout
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			if n.Name == name {
				res.Notes = append(res.Notes, fmt.Sprintf("%s cannot be reached: only the other nodes are changed; if it comes back, run remove-node again with the old plan to clean it", name))
				continue
			}
			return nil, res, fmt.Errorf("remove-node: node %s: connect: %w", n.Name, err)
		}
		conns[n.Name] = c
	}
	pgl := p.Topology.Engine == EnginePglogical
	run := func(node, action, sql string, args ...any) error {
		st := Step{Node: node, Action: action, SQL: sql, Status: StepPlanned}
		if !o.DryRun {
			if _, err := conns[node].Exec(ctx, sql, args...); err != nil {
				st.Status, st.Error = StepFailed, err.Error()
				res.Steps = append(res.Steps, st)
				return fmt.Errorf("remove-node: %s on %s: %w", action, node, err)
			}
			st.Status = StepDone
			o.Log.Info("remove-node step", "node", node, "action", action)
		}
		res.Steps = append(res.Steps, st)
		return nil
	}
	exists := func(node, sql string, args ...any) (bool, error) {
		var ok bool
		err := conns[node].QueryRow(ctx, sql, args...).Scan(&ok)
		return ok, err
	}
	dropSub := func(node, sub string) error {
		if pgl {
			ok, err := exists(node, `SELECT EXISTS (SELECT 1 FROM pglogical.subscription WHERE sub_name = $1)`, sub)
			if err != nil || !ok {
				return err
			}
			return run(node, "drop pglogical subscription "+sub, "SELECT pglogical.drop_subscription("+literal(sub)+", ifexists := true)")
		}
		ok, err := exists(node, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_subscription WHERE subname = $1
			AND subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()))`, sub)
		if err != nil || !ok {
			return err
		}
		id := pgx.Identifier{sub}.Sanitize()
		// Detach the slot first: the publisher may be gone; its slot is
		// dropped separately when it can be reached.
		if err := run(node, "disable subscription "+sub, "ALTER SUBSCRIPTION "+id+" DISABLE"); err != nil {
			return err
		}
		if err := run(node, "detach the slot of "+sub, "ALTER SUBSCRIPTION "+id+" SET (slot_name = NONE)"); err != nil {
			return err
		}
		return run(node, "drop subscription "+sub, "DROP SUBSCRIPTION "+id)
	}
	var errs []error
	// 1. Every other node stops receiving from the departing node.
	for _, r := range rest {
		if err := dropSub(r.Name, subName(r.Name, name)); err != nil {
			errs = append(errs, err)
		}
	}
	// 2. The departing node, when reachable, stops receiving and publishing.
	if _, ok := conns[name]; ok {
		for _, r := range rest {
			if err := dropSub(name, subName(name, r.Name)); err != nil {
				errs = append(errs, err)
			}
		}
		if pgl {
			if ok, err := exists(name, `SELECT EXISTS (SELECT 1 FROM pglogical.local_node l JOIN pglogical.node n ON n.node_id = l.node_id WHERE n.node_name = $1)`, pglNodeName(name)); err == nil && ok {
				if err := run(name, "drop pglogical node "+pglNodeName(name), "SELECT pglogical.drop_node("+literal(pglNodeName(name))+", ifexists := true)"); err != nil {
					errs = append(errs, err)
				}
			}
		} else if ok, err := exists(name, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1)`, pubName(name)); err == nil && ok {
			if err := run(name, "drop publication "+pubName(name), "DROP PUBLICATION "+pgx.Identifier{pubName(name)}.Sanitize()); err != nil {
				errs = append(errs, err)
			}
		}
		// Slots on the departing node that the others' dropped
		// subscriptions used (their slot_name was detached).
		var slots []string
		for _, r := range rest {
			slot, err := linkSlot(ctx, p, conns[name], pgl, r, *gone)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			slots = append(slots, slot)
		}
		if err := dropLinkSlots(ctx, conns, name, slots, run, o.DryRun); err != nil {
			errs = append(errs, err)
		}
	}
	// 3. The slots the departing node's subscriptions used on the others.
	for _, r := range rest {
		slot, err := linkSlot(ctx, p, conns[r.Name], pgl, *gone, r)
		if err == nil {
			err = dropLinkSlots(ctx, conns, r.Name, []string{slot}, run, o.DryRun)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, res, err
	}
	return &np, res, nil
}

// linkSlot names the replication slot that subscriber's subscription
// from provider holds on provider (conn): native slots are named after
// their subscription; pglogical names its own with
// pglogical_gen_slot_name (the subscriber's database, the provider's
// node name, the subscription).
func linkSlot(ctx context.Context, p *Plan, conn *pgx.Conn, pgl bool, subscriber, provider PlanNode) (string, error) {
	sub := subName(subscriber.Name, provider.Name)
	if !pgl {
		return sub, nil
	}
	var slot string
	if err := conn.QueryRow(ctx, `SELECT pglogical.pglogical_gen_slot_name($1, $2, $3)::text`,
		subscriberDB(p, subscriber), pglNodeName(provider.Name), sub).Scan(&slot); err != nil {
		return "", fmt.Errorf("name the pglogical slot of %s on %s: %w", sub, provider.Name, err)
	}
	return slot, nil
}

// subscriberDB is the database a node's subscriptions live in: the
// plan's database, else its DSN's. pglogical names a subscription's slot
// after it.
func subscriberDB(p *Plan, n PlanNode) string {
	if p.Topology.Database != "" {
		return p.Topology.Database
	}
	if cfg, err := pgconn.ParseConfig(n.DSN); err == nil {
		return cfg.Database
	}
	return ""
}

// dropLinkSlots drops the named slots on a node where they exist,
// stopping the walsender of one still in use by a consumer that is gone.
// Only slots of the departing node's links are named: every other slot,
// under the prefix or not, stays.
func dropLinkSlots(ctx context.Context, conns map[string]*pgx.Conn, node string, names []string,
	run func(node, action, sql string, args ...any) error, dryRun bool) error {
	// A walsender may still hold a slot for a moment after its
	// subscription is dropped.
	for try := 0; ; try++ {
		rows, err := conns[node].Query(ctx, `SELECT slot_name::text, active FROM pg_catalog.pg_replication_slots
			WHERE slot_type = 'logical' AND database = pg_catalog.current_database() AND slot_name = ANY($1) ORDER BY 1`, names)
		if err != nil {
			return fmt.Errorf("remove-node: read slots on %s: %w", node, err)
		}
		type slot struct {
			Name   string
			Active bool
		}
		slots, err := pgx.CollectRows(rows, pgx.RowToStructByPos[slot])
		if err != nil {
			return fmt.Errorf("remove-node: read slots on %s: %w", node, err)
		}
		busy := false
		for _, s := range slots {
			if s.Active && !dryRun {
				busy = true
				if try >= 4 { // a walsender for a consumer that is gone
					if err := run(node, "stop the walsender of "+s.Name, `SELECT pg_catalog.pg_terminate_backend(active_pid)
						FROM pg_catalog.pg_replication_slots WHERE slot_name = $1 AND active`, s.Name); err != nil {
						return err
					}
				}
				continue
			}
			if err := run(node, "drop replication slot "+s.Name, "SELECT pg_catalog.pg_drop_replication_slot($1)", s.Name); err != nil {
				return err
			}
		}
		if !busy || dryRun {
			return nil
		}
		if try == 20 {
			return fmt.Errorf("remove-node: slots on %s are still in use after 10s", node)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
