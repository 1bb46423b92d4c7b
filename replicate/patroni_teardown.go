package replicate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

// teardownHA takes a streaming topology away from Patroni: Patroni stops
// on every node (the replicas first, the leader last, so that nothing
// fails over), etcd stops, and each data directory is a plain PostgreSQL
// cluster again: the node's own configuration back, started with pg_ctl,
// the former replicas promoted (they keep their copy, as the teardown of
// a plain streaming topology leaves them), Patroni's slots dropped. User
// hosts get the same as runbook steps.
func teardownHA(ctx context.Context, p *Plan, opt Options, res *TeardownResult) error {
	st := ReadHA(ctx, p)
	order := haStopOrder(p, st)
	local := len(order) > 0 && opt.Local[order[0].Name] != nil && opt.Sandbox != nil
	run := func(node, action, shell string, fn func() error) error {
		s := Step{Node: node, Action: action, Shell: shell, Status: StepPlanned}
		if !opt.DryRun {
			if err := fn(); err != nil {
				s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
				res.Steps = append(res.Steps, s)
				return fmt.Errorf("node %s: %s: %s", node, action, s.Error)
			}
			s.Status = StepDone
		}
		res.Steps = append(res.Steps, s)
		return nil
	}
	if !local {
		for _, n := range order {
			res.Steps = append(res.Steps, Step{Node: n.Name, Action: "take " + n.Name + " back from Patroni", Status: StepManual,
				Shell: strings.Join([]string{
					"# on the host of " + n.Name + ", as root, replicas first and the leader (" + orDefault(st.Leader, "?") + ") last:",
					"systemctl disable --now patroni   # Patroni stops PostgreSQL",
					"cd \"$PGDATA\" && mv postgresql.base.conf postgresql.conf   # the configuration Patroni moved aside (Debian: in /etc/postgresql/V/main)",
					"systemctl enable --now postgresql@VERSION-main",
					"psql -c 'SELECT pg_catalog.pg_promote()'   # on a former replica: it keeps its copy",
				}, "\n")})
		}
		if len(p.Topology.HA.Etcd) == 0 {
			res.Steps = append(res.Steps, Step{Node: order[0].Name, Action: "stop etcd", Status: StepManual,
				Shell: "# on each etcd host: systemctl disable --now etcd"})
		}
		res.Kept = append(res.Kept, "data directories: each node is a standalone PostgreSQL cluster once the runbook ran")
		return nil
	}
	for _, n := range order {
		l := opt.Local[n.Name]
		if err := run(n.Name, "stop Patroni on "+n.Name+" (it stops PostgreSQL)", fmt.Sprintf("kill -TERM $(cat %s)", patroniPidFile(l)),
			func() error { return l.StopPatroni(ctx) }); err != nil {
			return err
		}
	}
	if len(p.Topology.HA.Etcd) == 0 && len(opt.Sandbox.Etcd) > 0 {
		if err := run(order[0].Name, "stop etcd and remove its data (Patroni's leader key and configuration)", "kill -TERM $(cat etcd.pid)",
			func() error { return opt.Sandbox.RemoveEtcd(ctx) }); err != nil {
			return err
		}
	}
	for _, n := range order {
		l := opt.Local[n.Name]
		if err := run(n.Name, "give "+n.Name+" its own configuration back and start it with pg_ctl",
			fmt.Sprintf("mv %s/postgresql.base.conf %s/postgresql.conf; pg_ctl -D %s start", l.DataDir, l.DataDir, l.DataDir),
			func() error {
				if err := opt.Sandbox.ReleasePatroni(ctx, l); err != nil {
					return err
				}
				return l.Start(ctx)
			}); err != nil {
			return err
		}
	}
	if opt.DryRun {
		res.Kept = append(res.Kept, "data directories: each node becomes a standalone PostgreSQL cluster (the replicas promoted, keeping their copy)")
		return nil
	}
	// Patroni names a member's slot after it (dcs/__init__.py
	// slot_name_from_member_name); plan node names are already valid.
	members := map[string]bool{}
	for _, n := range p.Topology.Nodes {
		members[n.Name] = true
	}
	for _, n := range order {
		dsn, err := withDatabase(n.DSN, p.Topology.Database)
		if err != nil {
			return err
		}
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("node %s: connect: %s", n.Name, connectErr(err))
		}
		var rec bool
		err = conn.QueryRow(ctx, `SELECT pg_catalog.pg_is_in_recovery()`).Scan(&rec)
		if err == nil && rec {
			s := Step{Node: n.Name, Action: "promote " + n.Name + " (it keeps its copy of the data)", SQL: "SELECT pg_catalog.pg_promote(true, 60)", Status: StepDone}
			if _, err = conn.Exec(ctx, s.SQL); err != nil {
				s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
			}
			res.Steps = append(res.Steps, s)
		}
		if err == nil {
			var slots []string
			slots, err = collectStrings(ctx, conn, `SELECT slot_name::text FROM pg_catalog.pg_replication_slots WHERE slot_type = 'physical' AND NOT active ORDER BY 1`)
			for _, sl := range slots {
				if err != nil || !members[sl] {
					continue
				}
				s := Step{Node: n.Name, Action: "drop Patroni's slot " + sl, SQL: "SELECT pg_catalog.pg_drop_replication_slot(" + literal(sl) + ")", Status: StepDone}
				if _, err = conn.Exec(ctx, s.SQL); err != nil {
					s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
				}
				res.Steps = append(res.Steps, s)
			}
		}
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("node %s: %s", n.Name, inspect.Redact(err.Error()))
		}
	}
	res.Kept = append(res.Kept, "data directories: each node is a standalone PostgreSQL cluster (the former replicas promoted, keeping their copy)")
	return nil
}

// haStopOrder lists the plan's nodes with the leader last.
func haStopOrder(p *Plan, st *HAStatus) []PlanNode {
	var out []PlanNode
	var leader *PlanNode
	for i, n := range p.Topology.Nodes {
		if n.Name == st.Leader {
			leader = &p.Topology.Nodes[i]
			continue
		}
		out = append(out, n)
	}
	if leader != nil {
		out = append(out, *leader)
	}
	return out
}

func patroniPidFile(n *sandbox.Node) string {
	if n.Patroni == nil {
		return "patroni.pid"
	}
	return n.Patroni.PidFile
}
