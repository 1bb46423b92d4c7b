package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"
)

func init() { register((*app).bootstrapCommand) }

type bootstrapOptions struct {
	plan        string
	topology    string
	engine      string
	nodes       []string
	owns        []string
	database    string
	tables      []string
	ownerColumn string
	sequences   string
	ha          string
	haSync      bool
	etcdMembers int
	haDir       string
	hub         string
	shared      []string
	offline     float64
	walSample   time.Duration

	sandboxN    int
	pg          string
	sandboxDir  string
	sandboxName string

	dryRun bool
	out    string
	format string
	wait   time.Duration
}

func (a *app) bootstrapCommand() *cobra.Command {
	o := &bootstrapOptions{}
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Stand up the recommended topology on real nodes (streaming, partitioned, active-active)",
		Long: `bootstrap checks every node (versions, settings, capacity, privileges, identical schemas, collation,
clock skew, data, keys, sequences) and only when every check passes creates what the topology needs
with PostgreSQL's own replication or pglogical:

  streaming      physical slots, standbys rebuilt with pg_basebackup -R (local sandbox nodes) or a
                 runbook (remote nodes); standbys named sync_* form a synchronous quorum (ANY 1)
  partitioned    a row-filtered publication per node (its owner values) and a subscription to every
                 other node (origin = none on 16+); native on 15+, or pglogical
  active-active  pglogical (15-17: forward_origins '{}', last_update_wins) or native origin = none
                 (16+), full mesh, data copied from the one seed node
  hub-and-spoke  sites that write while cut off: each site publishes only its own rows (row filter
                 on the owner column) and the hub subscribes to every site; the hub publishes the
                 shared tables (those without the owner column, or --shared-tables) and every site
                 subscribes to it; sites never subscribe to each other. --offline-hours sizes the WAL
                 each side keeps (max_slot_wal_keep_size, disk) from the measured WAL rate

A streaming topology with automatic failover (topology.ha in the plan, or --ha patroni) is handed
to Patroni 3.0 with etcd 3.4 as its store: on sandbox nodes bootstrap starts etcd and one Patroni
per node on 127.0.0.1 (PostgreSQL 15: Patroni 3.0 does not know 16+); for user hosts it writes
each node's patroni.yml, the etcd settings and RUNBOOK.md to --ha-dir. Patroni decides and
promotes; synchronous mode (--ha-sync, or a plan with sync_* standbys) loses no acknowledged commit.

Key sequences get INCREMENT BY N and a per-node start so that nodes never hand out the same value.
Every object is named aadv_..., re-running converges, and 'aadvisor mesh teardown' removes them.
--dry-run prints the SQL per node, in order, without writing anything.

The nodes come from --plan FILE (from 'aadvisor ask' or 'recommend'), from flags
(--topology --engine --node NAME=DSN ...), or from --sandbox N (local throwaway nodes).`,
		Example: `  aadvisor bootstrap --sandbox 3 --pg 18 --database app -o mesh.yaml
  aadvisor bootstrap --sandbox 4 --pg 18 --topology hub-and-spoke --owner-column store_id \
      --owns node2=1 --owns node3=2 --owns node4=3 --offline-hours 48 -o star.yaml
  aadvisor bootstrap --plan plan.yaml --dry-run
  aadvisor bootstrap --sandbox 3 --topology streaming --ha patroni --ha-sync -o ha.yaml
  aadvisor bootstrap --topology active-active --engine native --database app \
      --node east='postgres://repl@10.0.0.1/app' --node west='postgres://repl@10.0.0.2/app' -o mesh.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runBootstrap(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "plan file from 'aadvisor ask' / 'recommend' (or a previous --output)")
	f.StringVar(&o.topology, "topology", "", "streaming, partitioned, active-active or hub-and-spoke (instead of --plan)")
	f.StringVar(&o.engine, "engine", "", "native, pglogical or physical (default: physical for streaming, pglogical on 15, native on 16+)")
	f.StringArrayVar(&o.nodes, "node", nil, "NAME=DSN of a node, repeatable; the first is the primary or the seed")
	f.StringArrayVar(&o.owns, "owns", nil, "partitioned, hub-and-spoke: NAME=VALUE[,VALUE] owner values a node writes (default: a site's or owner's name)")
	f.StringVar(&o.database, "database", "", "database to replicate (default: the DSN's)")
	f.StringSliceVar(&o.tables, "tables", nil, "tables in scope: schema.table, schema.* or * (default: all user tables)")
	f.StringVar(&o.ownerColumn, "owner-column", "", "partitioned: the column naming each row's owner")
	f.StringVar(&o.sequences, "sequences", "", "key sequences: offsets (default), uuid or none (hub-and-spoke: none by default, never offsets)")
	f.StringVar(&o.ha, "ha", "", "streaming: automatic failover with this engine (patroni)")
	f.BoolVar(&o.haSync, "ha-sync", false, "with --ha: Patroni synchronous_mode (commits wait for a synchronous standby)")
	f.IntVar(&o.etcdMembers, "etcd-members", 0, "with --ha: etcd members bootstrap starts or configures (1, 3 or 5; default 1)")
	f.StringVar(&o.haDir, "ha-dir", "aadvisor-ha", "with --ha on user hosts: where to write patroni.yml, etcd settings and RUNBOOK.md")
	f.StringVar(&o.hub, "hub", "", "hub-and-spoke: the hub node (default: the first node)")
	f.StringSliceVar(&o.shared, "shared-tables", nil, "hub-and-spoke: tables only the hub writes besides those without the owner column (schema.table)")
	f.Float64Var(&o.offline, "offline-hours", 0, "hub-and-spoke: longest time a site may be cut off; sizes the WAL each side keeps")
	f.DurationVar(&o.walSample, "wal-sample", 5*time.Second, "hub-and-spoke with an offline window: how long to watch each node's WAL position to measure its rate (0: pg_stat_wal's average only)")
	f.IntVar(&o.sandboxN, "sandbox", 0, "create N local sandbox nodes first (or reuse the sandbox) and use them")
	f.StringVar(&o.pg, "pg", "", "with --sandbox: PostgreSQL major version (15 to 18) or bin directory")
	f.StringVar(&o.sandboxDir, "sandbox-dir", "", "sandbox directory (default $TMPDIR/aadvisor-sandbox/NAME); its nodes count as local")
	f.StringVar(&o.sandboxName, "sandbox-name", "default", "sandbox name")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the checks and the SQL per node, in order; change nothing")
	outputFlag(f, &o.out, "", "write the plan with its nodes and engine to `FILE` (what every mesh command takes)")
	f.StringVar(&o.format, "format", "text", "output format: text, json")
	f.DurationVar(&o.wait, "wait", 2*time.Minute, "how long to wait for every link to replicate")
	return cmd
}

func (a *app) runBootstrap(ctx context.Context, o *bootstrapOptions) error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format: unknown format %q (want text or json)", o.format)
	}
	if o.plan != "" && o.topology != "" {
		return usagef("give --plan or --topology, not both")
	}
	if o.plan == "" && o.topology == "" && o.sandboxN == 0 {
		return usagef("say what to build: --plan FILE, --topology KIND --node NAME=DSN ..., or --sandbox N (see 'aadvisor bootstrap --help')")
	}
	if o.sandboxN < 0 || o.sandboxN == 1 || o.sandboxN > sandbox.MaxNodes {
		return usagef("--sandbox %d: want 2 to %d nodes", o.sandboxN, sandbox.MaxNodes)
	}
	if o.wait <= 0 {
		return usagef("--wait %s: want more than 0", o.wait)
	}
	if o.ha != "" && o.ha != replicate.HAPatroni {
		return usagef("--ha %q: want patroni", o.ha)
	}
	if o.ha == "" && (o.haSync || o.etcdMembers != 0) {
		return usagef("--ha-sync and --etcd-members go with --ha patroni")
	}
	var p *replicate.Plan
	if o.plan != "" {
		var err error
		if p, err = replicate.ReadPlan(o.plan); err != nil {
			return asUsage(err)
		}
	}
	var sb *sandbox.Sandbox
	if o.sandboxN > 0 {
		if len(o.nodes) > 0 {
			return usagef("--sandbox makes the nodes; leave out --node")
		}
		pg := o.pg
		if pg == "" && (o.ha != "" || (p != nil && p.Topology.HA != nil)) {
			pg = "15" // Patroni 3.0 runs PostgreSQL up to 15
		}
		stop := a.progress("starting sandbox nodes")
		s, _, err := sandbox.Up(ctx, sandbox.Options{Nodes: o.sandboxN, PG: pg, Dir: o.sandboxDir, Name: o.sandboxName, Log: a.log})
		stop()
		if err != nil {
			var ue *sandbox.UsageError
			if errors.As(err, &ue) {
				return asUsage(err)
			}
			return err
		}
		sb = s
	} else if o.pg != "" {
		return usagef("--pg goes with --sandbox")
	}

	var err error
	if p != nil {
		if err := o.overrides(p); err != nil {
			return err
		}
	} else {
		p, err = o.planFromFlags(sb)
		if err != nil {
			return err
		}
	}
	if sb != nil {
		if err := fillFromSandbox(p, sb); err != nil {
			return err
		}
		if err := ensureDatabase(ctx, sb, p.Topology.Database); err != nil {
			return err
		}
	}
	if err := o.applyHA(p); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return asUsage(err)
	}
	if ph := p.Placeholders(); len(ph) > 0 {
		return usagef("fill in the <placeholder> DSN of %s in the plan (or use --sandbox %d)", strings.Join(ph, ", "), len(p.Topology.Nodes))
	}
	if sb == nil {
		sb = a.findSandbox(o)
	}
	local := localNodes(p, sb)
	if err := replicate.PrepareHA(p, local, sb); err != nil {
		return err
	}
	if o.out != "" {
		if err := p.WriteFile(o.out); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "plan written to %s (use it with 'aadvisor mesh ... --plan %s')\n", o.out, o.out)
	}
	opt := replicate.Options{DryRun: o.dryRun, Wait: o.wait, Log: a.log, Local: local, Sandbox: sb, HADir: o.haDir, WALSample: o.walSample}
	if o.walSample == 0 {
		opt.WALSample = -1
	}
	stop := a.progress("bootstrapping")
	res, err := replicate.Bootstrap(ctx, p, opt)
	stop()
	if res != nil {
		if perr := printBootstrap(a.stdout, res, o.format); perr != nil {
			return perr
		}
	}
	var pe *replicate.PrecheckError
	switch {
	case errors.As(err, &pe):
		if o.format == "json" {
			return err
		}
		return fmt.Errorf("%d precheck(s) failed, nothing was changed (see above)", len(pe.Failed))
	case isPlanError(err):
		return asUsage(err)
	}
	return err
}

// applyHA adds automatic failover from --ha to the plan.
func (o *bootstrapOptions) applyHA(p *replicate.Plan) error {
	if o.ha == "" {
		return nil
	}
	if p.Topology.Kind != replicate.TopologyStreaming {
		return usagef("--ha %s: automatic failover is for --topology streaming (each node of a %s topology keeps its own HA)", o.ha, p.Topology.Kind)
	}
	if p.Topology.HA == nil {
		p.Topology.HA = &replicate.HA{}
	}
	p.Topology.HA.Engine = o.ha
	if o.haSync {
		p.Topology.HA.SynchronousMode = true
	}
	if o.etcdMembers != 0 {
		p.Topology.HA.EtcdMembers = o.etcdMembers
	}
	return nil
}

// overrides applies the few flags that may refine a plan file.
func (o *bootstrapOptions) overrides(p *replicate.Plan) error {
	if len(o.nodes) > 0 || o.engine != "" || o.ownerColumn != "" || len(o.owns) > 0 || o.hub != "" || len(o.shared) > 0 || o.offline != 0 {
		return usagef("with --plan, edit the plan file instead of passing --node, --engine, --owner-column, --owns, --hub, --shared-tables or --offline-hours")
	}
	if o.database != "" {
		p.Topology.Database = o.database
	}
	if len(o.tables) > 0 {
		p.Topology.Tables = o.tables
	}
	if o.sequences != "" {
		p.Topology.Sequences = o.sequences
	}
	return nil
}

func (o *bootstrapOptions) planFromFlags(sb *sandbox.Sandbox) (*replicate.Plan, error) {
	t := replicate.Topology{Kind: o.topology, Engine: o.engine, Database: o.database, Tables: o.tables,
		OwnerColumn: o.ownerColumn, Sequences: o.sequences, SharedTables: o.shared}
	if t.Kind != replicate.TopologyHubSpoke && (o.hub != "" || len(o.shared) > 0 || o.offline != 0) {
		return nil, usagef("--hub, --shared-tables and --offline-hours go with --topology hub-and-spoke")
	}
	if o.offline != 0 {
		t.Offline = &replicate.Offline{Hours: o.offline}
	}
	if t.Kind == "" {
		t.Kind = replicate.TopologyActiveActive
	}
	if t.Engine == "" {
		switch {
		case t.Kind == replicate.TopologyStreaming:
			t.Engine = replicate.EnginePhysical
		case sb != nil && sb.Nodes[0].Install.Major < 16:
			t.Engine = replicate.EnginePglogical
		case sb != nil:
			t.Engine = replicate.EngineNative
		default:
			return nil, usagef("--engine: say native (16+ for active-active) or pglogical")
		}
	}
	if sb != nil && t.Database == "" {
		t.Database = "app"
	}
	owns := map[string][]string{}
	for _, s := range o.owns {
		name, vals, ok := strings.Cut(s, "=")
		if !ok || name == "" || vals == "" {
			return nil, usagef("--owns %q: want NAME=VALUE[,VALUE...]", s)
		}
		owns[name] = strings.Split(vals, ",")
	}
	var names []string
	if sb != nil {
		for _, n := range sb.Nodes {
			names = append(names, n.Name)
			t.Nodes = append(t.Nodes, replicate.PlanNode{Name: n.Name})
		}
	}
	for _, s := range o.nodes {
		name, dsn, ok := strings.Cut(s, "=")
		if !ok || name == "" || dsn == "" {
			return nil, usagef("--node %q: want NAME=DSN", inspect.Redact(s))
		}
		names = append(names, name)
		t.Nodes = append(t.Nodes, replicate.PlanNode{Name: name, DSN: dsn})
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		switch t.Kind {
		case replicate.TopologyStreaming:
			n.Role = replicate.RoleStandby
			if i == 0 {
				n.Role = replicate.RolePrimary
			}
		case replicate.TopologyPartitioned:
			n.Role = replicate.RoleOwner
			n.Owns = owns[n.Name]
			if len(n.Owns) == 0 {
				n.Owns = []string{n.Name}
			}
		case replicate.TopologyHubSpoke:
			if t.Hub == "" {
				t.Hub = o.hub
				if t.Hub == "" {
					t.Hub = n.Name
				}
			}
			n.Role, n.Owns = replicate.RoleSite, owns[n.Name]
			if n.Name == t.Hub {
				n.Role = replicate.RoleHub
			} else if len(n.Owns) == 0 {
				n.Owns = []string{n.Name}
			}
		default:
			n.Role = replicate.RolePeer
		}
	}
	for name := range owns {
		if !slices.Contains(names, name) {
			return nil, usagef("--owns %s: no node of that name", name)
		}
	}
	if o.hub != "" && !slices.Contains(names, o.hub) {
		return nil, usagef("--hub %s: no node of that name (nodes: %s)", o.hub, strings.Join(names, ", "))
	}
	p := &replicate.Plan{Version: replicate.PlanVersion, GeneratedBy: "aadvisor bootstrap " + versionString(), Topology: t}
	return p, nil
}

// fillFromSandbox gives the plan's nodes the sandbox nodes' DSNs, in
// order (a plan from ask/recommend holds placeholders).
func fillFromSandbox(p *replicate.Plan, sb *sandbox.Sandbox) error {
	if len(p.Topology.Nodes) != len(sb.Nodes) {
		return usagef("the plan has %d nodes, the sandbox %d: use --sandbox %d", len(p.Topology.Nodes), len(sb.Nodes), len(p.Topology.Nodes))
	}
	if p.Topology.Database == "" {
		p.Topology.Database = "app"
	}
	for i := range p.Topology.Nodes {
		p.Topology.Nodes[i].DSN = sb.Nodes[i].DSN(p.Topology.Database)
	}
	return nil
}

// ensureDatabase creates the database on sandbox nodes that lack it.
func ensureDatabase(ctx context.Context, sb *sandbox.Sandbox, db string) error {
	for _, n := range sb.Nodes {
		conn, err := n.Connect(ctx, "")
		if err != nil {
			return err
		}
		var ok bool
		err = conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_database WHERE datname = $1)`, db).Scan(&ok)
		if err == nil && !ok {
			_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize())
		}
		conn.Close(ctx)
		if err != nil {
			return fmt.Errorf("node %s: create database %s: %w", n.Name, db, err)
		}
	}
	return nil
}

// findSandbox loads the sandbox named by the flags, if there is one.
func (a *app) findSandbox(o *bootstrapOptions) *sandbox.Sandbox {
	dir := o.sandboxDir
	if dir == "" {
		dir = sandbox.DefaultDir(o.sandboxName)
	}
	s, err := sandbox.Load(dir)
	if err != nil {
		return nil
	}
	return s
}

// localNodes maps plan nodes to sandbox nodes on this machine, by port on
// the loopback address.
func localNodes(p *replicate.Plan, sb *sandbox.Sandbox) map[string]*sandbox.Node {
	if sb == nil {
		return nil
	}
	out := map[string]*sandbox.Node{}
	for _, pn := range p.Topology.Nodes {
		cfg, err := pgx.ParseConfig(pn.DSN)
		if err != nil || (cfg.Host != sandbox.Host && cfg.Host != "localhost") {
			continue
		}
		for _, n := range sb.Nodes {
			if int(cfg.Port) == n.Port {
				out[pn.Name] = n
			}
		}
	}
	return out
}

func printBootstrap(w io.Writer, res *replicate.Result, format string) error {
	if format == "json" {
		cp := *res
		cp.Steps = redactSteps(res.Steps)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&cp)
	}
	head := fmt.Sprintf("bootstrap: %s, engine %s", res.Topology, res.Engine)
	if res.Database != "" {
		head += ", database " + res.Database
	}
	if res.DryRun {
		head += " (dry run: nothing is changed)"
	}
	fmt.Fprintln(w, head)
	fmt.Fprintln(w, "\nPrechecks")
	var restart []replicate.Check
	for _, c := range res.Checks {
		st := map[string]string{replicate.StatusOK: "ok", replicate.StatusWarn: "WARN", replicate.StatusFail: "FAIL"}[c.Status]
		node := c.Node
		if node == "" {
			node = "(all)"
		}
		fmt.Fprintf(w, "  %-4s  %-12s %-32s %s\n", st, node, c.Name, c.Detail)
		if c.Fix != "" && c.Status != replicate.StatusOK {
			fmt.Fprintf(w, "        fix: %s\n", c.Fix)
		}
		if c.Restart && c.Status != replicate.StatusOK {
			restart = append(restart, c)
		}
	}
	if len(restart) > 0 {
		fmt.Fprintln(w, "\nNeeds a server restart (these settings only take effect at start):")
		for _, c := range restart {
			fmt.Fprintf(w, "  %s: %s\n", c.Node, c.Fix)
		}
	}
	if len(res.Routing) > 0 {
		fmt.Fprintln(w, "\nWrite routing (the plan's write modes; local tables are left out of replication)")
		for _, r := range res.Routing {
			fmt.Fprintf(w, "  %-28s %-12s %s\n", r.Table, r.Mode, r.Rule)
		}
	}
	if len(res.HAFiles) > 0 {
		if res.DryRun {
			fmt.Fprintln(w, "\nFiles for the user hosts (Patroni and etcd), as they would be written")
			for _, f := range res.HAFiles {
				fmt.Fprintf(w, "\n--- %s\n%s", f.Path, inspect.Redact(f.Content))
			}
		} else {
			fmt.Fprintln(w, "\nFiles for the user hosts (Patroni and etcd)")
			for _, f := range res.HAFiles {
				fmt.Fprintf(w, "  %s\n", f.Path)
			}
		}
	}
	if len(res.Steps) > 0 {
		title := "Steps"
		if res.DryRun {
			title = "Steps (SQL per node, in the order it runs)"
		}
		fmt.Fprintln(w, "\n"+title)
		writeSteps(w, res.Steps, res.DryRun)
	}
	if len(res.Nodes) > 0 {
		fmt.Fprintln(w, "\nReadiness")
		for _, n := range res.Nodes {
			fmt.Fprintf(w, "  node %-12s %-8s %-9s %s  %s\n", n.Name, n.Role, readyWord(n.Ready), n.Detail, n.DSN)
		}
		for _, l := range res.Links {
			d := l.Detail
			if d != "" {
				d = " (" + d + ")"
			}
			fmt.Fprintf(w, "  link %-12s -> %-12s %-9s %s %s%s\n", l.From, l.To, readyWord(l.Ready), l.Name, l.State, d)
		}
	}
	switch {
	case res.DryRun:
		fmt.Fprintf(w, "\n%d step(s) would run. Run again without --dry-run to apply.\n", len(res.Steps))
	case res.Ready:
		fmt.Fprintf(w, "\nReady: every link replicates (%.1fs).\n", float64(res.ElapsedMS)/1000)
	}
	return nil
}

func readyWord(ok bool) string {
	if ok {
		return "ready"
	}
	return "not-ready"
}

// writeSteps lists replication steps, one a line, with their SQL (and
// shell commands) on a dry run or when a person must run them; passwords
// are redacted.
func writeSteps(w io.Writer, steps []replicate.Step, dryRun bool) {
	for i, s := range steps {
		fmt.Fprintf(w, "%3d. %-8s %-12s %s\n", i+1, s.Status, s.Node, s.Action)
		if dryRun || s.Status == replicate.StepManual {
			if s.SQL != "" {
				fmt.Fprintf(w, "     %s;\n", inspect.Redact(s.SQL))
			}
			if s.Shell != "" {
				for _, l := range strings.Split(inspect.Redact(s.Shell), "\n") {
					fmt.Fprintf(w, "     $ %s\n", l)
				}
			}
		}
		if s.Error != "" {
			fmt.Fprintf(w, "     error: %s\n", s.Error)
		}
	}
}
