package replicate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TeardownResult is what Teardown removed (or would remove).
type TeardownResult struct {
	SchemaVersion int      `json:"schema_version"`
	Topology      string   `json:"topology"`
	Engine        string   `json:"engine"`
	DryRun        bool     `json:"dry_run"`
	Steps         []Step   `json:"steps"`
	Kept          []string `json:"kept,omitempty"` // what is deliberately left in place
	Errors        []string `json:"errors,omitempty"`
}

// Teardown removes what Bootstrap made for this plan and nothing else:
// the objects are named from the plan's node names (see objName), and
// only those names are dropped where the catalogs show them:
// subscriptions first, then publications, replication sets and pglogical
// nodes, then the slots the plan's links hold, and the replication
// origin of the repair script (RepairOrigin). Other objects under the
// Prefix (a user's own aadv_* slot, observe's aadv_observe_* publication
// and slot, another plan's mesh) are left alone. For a streaming
// topology it resets the synchronous quorum, promotes the standbys (they
// keep their copy) and drops their slots. User data and tables are
// never touched. Nodes that cannot be reached are reported; the rest is
// still cleaned. A topology with automatic failover is taken back from
// Patroni first (patroni_teardown.go).
func Teardown(ctx context.Context, p *Plan, opt Options) (*TeardownResult, error) {
	opt.defaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	b := &bootstrapper{plan: p, opt: opt, db: p.Topology.Database}
	defer b.close()
	res := &TeardownResult{SchemaVersion: ResultVersion, Topology: p.Topology.Kind, Engine: p.Topology.Engine, DryRun: opt.DryRun, Steps: []Step{}}
	if p.Topology.HA != nil {
		return res, teardownHA(ctx, p, opt, res)
	}
	b.nodes = make([]*nodeConn, len(p.Topology.Nodes))
	for i, pn := range p.Topology.Nodes {
		n := &nodeConn{PlanNode: pn, index: i + 1}
		b.nodes[i] = n
		dsn, err := withDatabase(pn.DSN, b.db)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", pn.Name, err))
			continue
		}
		n.dsn = dsn
		cfg, err := connConfig(dsn)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: invalid DSN: %s", pn.Name, inspect.Redact(err.Error())))
			continue
		}
		cfg.ConnectTimeout = opt.ConnectTimeout
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("%s: connect: %s", pn.Name, connectErr(err)))
			continue
		}
		n.conn = conn
	}
	var err error
	if n := b.steppedSequences(ctx); n > 0 {
		res.Kept = append(res.Kept, fmt.Sprintf("the steps and starts of %d key sequence(s) (INCREMENT BY %d): going back could hand out values other nodes already used", n, len(b.nodes)))
	}
	switch {
	case p.Topology.Kind == TopologyStreaming:
		err = b.teardownStreaming(ctx, res)
	case p.Topology.Engine == EnginePglogical:
		err = b.teardownPglogical(ctx, res)
	default:
		err = b.teardownNative(ctx, res)
	}
	if err == nil && p.Topology.Kind == TopologyHubSpoke {
		err = b.teardownGuards(ctx, res)
	}
	if err == nil && p.Topology.Kind != TopologyStreaming {
		err = b.dropRepairOrigin(ctx, res)
	}
	if err != nil {
		return res, err
	}
	if len(res.Errors) > 0 {
		return res, fmt.Errorf("teardown incomplete: %s", strings.Join(res.Errors, "; "))
	}
	return res, nil
}

// do runs (or, in a dry run, records) one teardown step.
func (b *bootstrapper) do(ctx context.Context, res *TeardownResult, n *nodeConn, action, sql string, args ...any) error {
	s := Step{Node: n.Name, Action: action, SQL: sql, Status: StepPlanned}
	if !b.opt.DryRun {
		if _, err := n.conn.Exec(ctx, sql, args...); err != nil {
			s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
			res.Steps = append(res.Steps, s)
			return fmt.Errorf("node %s: %s: %s", n.Name, action, s.Error)
		}
		s.Status = StepDone
	}
	res.Steps = append(res.Steps, s)
	return nil
}

func (b *bootstrapper) reachable() []*nodeConn {
	var out []*nodeConn
	for _, n := range b.nodes {
		if n.conn != nil {
			out = append(out, n)
		}
	}
	return out
}

func (b *bootstrapper) teardownNative(ctx context.Context, res *TeardownResult) error {
	up := map[string]bool{}
	for _, n := range b.reachable() {
		up[n.Name] = true
	}
	for _, n := range b.reachable() {
		subs, err := collectStrings(ctx, n.conn, qSubscriptionsNamed, b.ownSubscriptions(n))
		if err != nil {
			return fmt.Errorf("node %s: read subscriptions: %w", n.Name, err)
		}
		for _, s := range subs {
			if !b.providerUp(s, up) || b.slotGone(ctx, n, s) {
				// The publisher cannot drop its slot now (or it has none
				// any more, and DROP SUBSCRIPTION would fail on that):
				// detach the slot first; a slot left behind is dropped
				// when the node is back.
				if err := b.do(ctx, res, n, "disable "+s, "ALTER SUBSCRIPTION "+ident(s)+" DISABLE"); err != nil {
					return err
				}
				if err := b.do(ctx, res, n, "detach the slot of "+s, "ALTER SUBSCRIPTION "+ident(s)+" SET (slot_name = NONE)"); err != nil {
					return err
				}
			}
			if err := b.do(ctx, res, n, "drop subscription "+s, "DROP SUBSCRIPTION IF EXISTS "+ident(s)); err != nil {
				return err
			}
		}
	}
	for _, n := range b.reachable() {
		pubs, err := collectStrings(ctx, n.conn, `SELECT pubname::text FROM pg_catalog.pg_publication WHERE pubname = $1`, pubName(n.Name))
		if err != nil {
			return fmt.Errorf("node %s: read publications: %w", n.Name, err)
		}
		for _, p := range pubs {
			if err := b.do(ctx, res, n, "drop publication "+p, "DROP PUBLICATION IF EXISTS "+ident(p)); err != nil {
				return err
			}
		}
	}
	return b.dropLeftoverSlots(ctx, res)
}

// slotGone reports whether the slot of subscription sub on node n is
// missing on its (reachable) publisher: someone dropped it, or a crashed
// run left the subscription without it.
func (b *bootstrapper) slotGone(ctx context.Context, n *nodeConn, sub string) bool {
	var prov *nodeConn
	for _, m := range b.nodes {
		if subName(n.Name, m.Name) == sub {
			prov = m
		}
	}
	if prov == nil || prov.conn == nil {
		return false
	}
	var slot *string
	if err := n.conn.QueryRow(ctx, `SELECT subslotname::text FROM pg_catalog.pg_subscription
WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`, sub).Scan(&slot); err != nil || slot == nil {
		return false
	}
	var exists bool
	if err := prov.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`, *slot).Scan(&exists); err != nil {
		return false
	}
	return !exists
}

// providerUp reports whether the provider named in a subscription name
// (aadv_<node>_from_<provider>) is reachable; unknown names count as up.
func (b *bootstrapper) providerUp(sub string, up map[string]bool) bool {
	for _, n := range b.nodes {
		for _, m := range b.nodes {
			if subName(n.Name, m.Name) == sub {
				return up[m.Name]
			}
		}
	}
	return true
}

// dropLeftoverSlots drops the slots the plan's links hold that are still
// there (their subscriber was unreachable, or a standby was promoted).
func (b *bootstrapper) dropLeftoverSlots(ctx context.Context, res *TeardownResult) error {
	for _, n := range b.reachable() {
		own, err := b.ownSlots(ctx, n)
		if err != nil {
			return err
		}
		var slots []string
		// Slots of just-dropped subscriptions may take a moment to go
		// inactive (their walsender exits).
		deadline := time.Now().Add(10 * time.Second)
		for {
			rows, err := n.conn.Query(ctx, qSlotsNamed, own)
			if err != nil {
				return fmt.Errorf("node %s: read slots: %w", n.Name, err)
			}
			slots = slots[:0]
			active := 0
			for rows.Next() {
				var name, typ string
				var act bool
				if err := rows.Scan(&name, &typ, &act); err != nil {
					return fmt.Errorf("node %s: read slots: %w", n.Name, err)
				}
				if act {
					active++
				}
				slots = append(slots, name)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("node %s: read slots: %w", n.Name, err)
			}
			if active == 0 || b.opt.DryRun || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, s := range slots {
			if err := b.do(ctx, res, n, "drop slot "+s, "SELECT pg_catalog.pg_drop_replication_slot("+literal(s)+")"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bootstrapper) teardownPglogical(ctx context.Context, res *TeardownResult) error {
	installed := map[string]bool{}
	for _, n := range b.reachable() {
		installed[n.Name] = b.pglogicalInstalled(ctx, n)
	}
	for _, n := range b.reachable() {
		if !installed[n.Name] {
			continue
		}
		subs, err := collectStrings(ctx, n.conn, `SELECT sub_name::text FROM pglogical.subscription WHERE sub_name = ANY($1) ORDER BY 1`, b.ownSubscriptions(n))
		if err != nil {
			return fmt.Errorf("node %s: read pglogical subscriptions: %w", n.Name, err)
		}
		for _, s := range subs {
			if err := b.do(ctx, res, n, "drop subscription "+s, "SELECT pglogical.drop_subscription(subscription_name := "+literal(s)+", ifexists := true)"); err != nil {
				return err
			}
		}
	}
	for _, n := range b.reachable() {
		if !installed[n.Name] {
			continue
		}
		sets, err := collectStrings(ctx, n.conn, `SELECT set_name::text FROM pglogical.replication_set WHERE set_name = $1`, pglSetName(n.Name))
		if err != nil {
			return fmt.Errorf("node %s: read pglogical replication sets: %w", n.Name, err)
		}
		for _, s := range sets {
			if err := b.do(ctx, res, n, "drop replication set "+s, "SELECT pglogical.drop_replication_set(set_name := "+literal(s)+", ifexists := true)"); err != nil {
				return err
			}
		}
		var names []string
		for _, m := range b.nodes {
			names = append(names, pglNodeName(m.Name))
		}
		// The local node last: the others are its peers' entries.
		nodes, err := collectStrings(ctx, n.conn, `SELECT node_name::text FROM pglogical.node WHERE node_name = ANY($1)
ORDER BY node_id = (SELECT node_id FROM pglogical.local_node), 1`, names)
		if err != nil {
			return fmt.Errorf("node %s: read pglogical nodes: %w", n.Name, err)
		}
		for _, nd := range nodes {
			if err := b.do(ctx, res, n, "drop pglogical node "+nd, "SELECT pglogical.drop_node(node_name := "+literal(nd)+", ifexists := true)"); err != nil {
				return err
			}
		}
	}
	if err := b.dropLeftoverSlots(ctx, res); err != nil {
		return err
	}
	res.Kept = append(res.Kept, "extension pglogical and the pglogical.conflict_resolution setting (DROP EXTENSION pglogical; ALTER SYSTEM RESET pglogical.conflict_resolution when nothing else uses them)")
	return nil
}

func (b *bootstrapper) teardownStreaming(ctx context.Context, res *TeardownResult) error {
	prim := b.primary()
	if prim.conn == nil {
		return errors.New("the primary is not reachable: nothing removed")
	}
	sync := b.syncSetting()
	if sync != "" {
		var cur string
		if err := prim.conn.QueryRow(ctx, `SELECT pg_catalog.current_setting('synchronous_standby_names')`).Scan(&cur); err != nil {
			return fmt.Errorf("node %s: %w", prim.Name, err)
		}
		if cur == sync {
			if err := b.do(ctx, res, prim, "reset the synchronous quorum", "ALTER SYSTEM RESET synchronous_standby_names"); err != nil {
				return err
			}
			if err := b.do(ctx, res, prim, "reload configuration", "SELECT pg_catalog.pg_reload_conf()"); err != nil {
				return err
			}
		}
	}
	for _, n := range b.reachable() {
		if n.Role != RoleStandby {
			continue
		}
		var rec bool
		if err := n.conn.QueryRow(ctx, `SELECT pg_catalog.pg_is_in_recovery()`).Scan(&rec); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		if rec {
			if err := b.do(ctx, res, n, "promote "+n.Name+" (it keeps its copy of the data)", "SELECT pg_catalog.pg_promote(true, 60)"); err != nil {
				return err
			}
		}
	}
	return b.dropLeftoverSlots(ctx, res)
}

// ownSubscriptions names the subscriptions the plan gives node n, one per
// provider it receives from.
func (b *bootstrapper) ownSubscriptions(n *nodeConn) []string {
	var out []string
	for _, l := range b.links() {
		if l[0] == n {
			out = append(out, subName(n.Name, l[1].Name))
		}
	}
	return out
}

// ownSlots names the replication slots the plan's links hold on node n as
// their provider: a standby's physical slot, or a subscription's slot
// (see linkSlot; none for pglogical where the extension is gone).
func (b *bootstrapper) ownSlots(ctx context.Context, n *nodeConn) ([]string, error) {
	pgl := b.plan.Topology.Engine == EnginePglogical && b.pglogicalInstalled(ctx, n)
	var out []string
	for _, l := range b.links() {
		sub, prov := l[0], l[1]
		if prov != n {
			continue
		}
		switch {
		case b.plan.Topology.Kind == TopologyStreaming:
			out = append(out, physSlotName(sub.Name))
		case b.plan.Topology.Engine != EnginePglogical || pgl:
			slot, err := linkSlot(ctx, b.plan, n.conn, pgl, sub.PlanNode, prov.PlanNode)
			if err != nil {
				return nil, err
			}
			out = append(out, slot)
		}
	}
	return out, nil
}

// steppedSequences counts, on the reachable nodes, the key sequences that
// step by the node count as bootstrap's offsets left them (0 when the
// plan does not touch sequences).
func (b *bootstrapper) steppedSequences(ctx context.Context) int {
	if b.sequenceStrategy() != SequencesOffsets || len(b.nodes) < 2 {
		return 0
	}
	total := 0
	for _, n := range b.reachable() {
		var c int
		if err := n.conn.QueryRow(ctx, `SELECT count(*)::int FROM (`+qSequences+`) s WHERE s.increment_by = $1`, len(b.nodes)).Scan(&c); err == nil {
			total += c
		}
	}
	return total
}

// dropRepairOrigin drops the replication origin the repair script of
// 'mesh verify --repair-sql' creates (RepairOrigin), on every reachable
// node where it exists. One in use by a running repair is kept, and said.
func (b *bootstrapper) dropRepairOrigin(ctx context.Context, res *TeardownResult) error {
	for _, n := range b.reachable() {
		var exists bool
		if err := n.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_origin WHERE roname = $1)`, RepairOrigin).Scan(&exists); err != nil {
			return fmt.Errorf("node %s: read replication origins: %w", n.Name, err)
		}
		if !exists {
			continue
		}
		st := Step{Node: n.Name, Action: "drop replication origin " + RepairOrigin + " (made by mesh verify's repair script)",
			SQL: "SELECT pg_catalog.pg_replication_origin_drop(" + literal(RepairOrigin) + ")", Status: StepPlanned}
		if !b.opt.DryRun {
			_, err := n.conn.Exec(ctx, st.SQL)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "55006" { // object_in_use
				res.Kept = append(res.Kept, fmt.Sprintf("replication origin %s on %s: a repair script is using it; run teardown again when it is done", RepairOrigin, n.Name))
				continue
			}
			if err != nil {
				st.Status, st.Error = StepFailed, inspect.Redact(err.Error())
				res.Steps = append(res.Steps, st)
				return fmt.Errorf("node %s: %s: %s", n.Name, st.Action, st.Error)
			}
			st.Status = StepDone
		}
		res.Steps = append(res.Steps, st)
	}
	return nil
}
