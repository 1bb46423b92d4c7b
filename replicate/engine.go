// Package replicate stands up and tears down the topologies aadvisor
// recommends, with PostgreSQL's own replication (streaming, native logical
// replication) or the pglogical extension. It never implements a
// replication engine of its own: it writes the SQL the engines document,
// checks every node before writing anything, and names every object it
// creates with Prefix so that teardown removes exactly those.
//
// It imports inspect and replicate/sandbox (local nodes), pgx, the
// Prometheus client and YAML; never rules, assess or cmd: the plan it
// runs is data, whoever wrote it.
package replicate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

// ResultVersion is the schema_version of Result and TeardownResult JSON.
const ResultVersion = 1

// Options tune Bootstrap and Teardown.
type Options struct {
	// DryRun computes and returns the steps without running any of them.
	DryRun bool
	// Local maps node names to sandbox nodes this process can manage on
	// disk (a streaming standby is rebuilt from its primary only then).
	Local map[string]*sandbox.Node
	// Wait bounds how long bootstrap waits for links to become ready
	// (default 2 minutes).
	Wait time.Duration
	// ConnectTimeout bounds each connection attempt (default 10s).
	ConnectTimeout time.Duration
	Log            *slog.Logger
	// Sandbox is the sandbox of the Local nodes: a streaming topology with
	// automatic failover starts its etcd and Patroni processes there.
	Sandbox *sandbox.Sandbox
	// HADir is where the Patroni and etcd configuration of user hosts is
	// written (default ./aadvisor-ha).
	HADir string
	// WALSample is how long a hub-and-spoke bootstrap watches each node's
	// WAL position to measure its WAL rate for the offline window, when the
	// plan gives none (default 5s; negative: only pg_stat_wal's average).
	WALSample time.Duration

	hubSites int // add-node: the sites of the whole star (bootstrap sees one)
}

func (o *Options) defaults() {
	if o.Wait <= 0 {
		o.Wait = 2 * time.Minute
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HADir == "" {
		o.HADir = "aadvisor-ha"
	}
	if o.WALSample == 0 {
		o.WALSample = 5 * time.Second
	}
}

// Check statuses.
const (
	StatusOK   = "ok"
	StatusWarn = "warn"
	StatusFail = "fail"
)

// Check is one precheck result. Node is empty for checks across nodes.
type Check struct {
	Node    string `json:"node,omitempty"`
	Name    string `json:"check"`
	Status  string `json:"status"`
	Detail  string `json:"detail,omitempty"`
	Fix     string `json:"fix,omitempty"`
	Restart bool   `json:"needs_restart,omitempty"`
}

// Step statuses.
const (
	StepPlanned = "planned" // dry run: would run
	StepDone    = "done"    // ran now
	StepExists  = "exists"  // already in place: skipped
	StepManual  = "manual"  // a runbook step for a person (remote nodes)
	StepFailed  = "failed"
)

// Step is one action on one node, in order. SQL holds the statement as it
// runs (Redact it before printing); Shell holds a command for local or
// manual steps.
type Step struct {
	Node   string `json:"node"`
	Action string `json:"action"`
	SQL    string `json:"sql,omitempty"`
	Shell  string `json:"shell,omitempty"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`

	exists     string // query returning one bool: true when the step is already done
	existsArgs []any
	existsFn   func(ctx context.Context, b *bootstrapper) (bool, error) // the same for non-SQL steps
	run        func(ctx context.Context, b *bootstrapper) error         // non-SQL steps
	manual     bool
}

// NodeReadiness is the summary line of one node.
type NodeReadiness struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Version string `json:"version,omitempty"`
	DSN     string `json:"dsn"` // redacted
	Ready   bool   `json:"ready"`
	Detail  string `json:"detail,omitempty"`
}

// LinkReadiness is the state of one replication link (from → to).
type LinkReadiness struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Name   string `json:"name"` // subscription or slot
	State  string `json:"state"`
	Ready  bool   `json:"ready"`
	Detail string `json:"detail,omitempty"`
}

// Result is what Bootstrap did (or, in a dry run, would do).
type Result struct {
	SchemaVersion int     `json:"schema_version"`
	Topology      string  `json:"topology"`
	Engine        string  `json:"engine"`
	Database      string  `json:"database,omitempty"`
	DryRun        bool    `json:"dry_run"`
	Checks        []Check `json:"checks"`
	Steps         []Step  `json:"steps"`
	// Routing is how applications must write each table of the plan's
	// write modes; local tables are left out of replication.
	Routing []Route         `json:"routing,omitempty"`
	Nodes   []NodeReadiness `json:"nodes,omitempty"`
	Links   []LinkReadiness `json:"links,omitempty"`
	// HAFiles are the Patroni and etcd files for user hosts (topology.ha).
	HAFiles   []HAFile `json:"ha_files,omitempty"`
	Ready     bool     `json:"ready"`
	ElapsedMS int64    `json:"elapsed_ms"`
}

// Failed lists the failing checks.
func (r *Result) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == StatusFail {
			out = append(out, c)
		}
	}
	return out
}

// PrecheckError means at least one precheck failed; nothing was written.
type PrecheckError struct{ Failed []Check }

func (e *PrecheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d precheck(s) failed, nothing was changed:", len(e.Failed))
	for _, c := range e.Failed {
		b.WriteString("\n  ")
		if c.Node != "" {
			b.WriteString(c.Node + ": ")
		}
		b.WriteString(c.Name + ": " + c.Detail)
		if c.Fix != "" {
			b.WriteString(" (fix: " + c.Fix + ")")
		}
	}
	return b.String()
}

// nodeConn is an open connection to one node of the plan.
type nodeConn struct {
	PlanNode
	index int    // 1-based position in the plan
	dsn   string // with the plan's database
	conn  *pgx.Conn
	facts *nodeFacts
	ha    *haFacts // topology.ha only
}

// bootstrapper holds the state of one run.
type bootstrapper struct {
	plan  *Plan
	opt   Options
	nodes []*nodeConn
	db    string
	files []HAFile  // topology.ha on user hosts
	hub   *hubState // hub-and-spoke only (hub.go)
}

func (b *bootstrapper) node(name string) *nodeConn {
	for _, n := range b.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Bootstrap checks every node, then (unless opt.DryRun) creates what the
// plan's topology needs, and reports readiness. A failing precheck returns
// the Result with a *PrecheckError before anything is written. Re-running
// converges: steps already in place are skipped.
func Bootstrap(ctx context.Context, p *Plan, opt Options) (*Result, error) {
	start := time.Now()
	opt.defaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if ph := p.Placeholders(); len(ph) > 0 {
		return nil, &PlanError{File: orDefault(p.file, "plan"), Field: "topology.nodes",
			Msg: fmt.Sprintf("fill in the <placeholder> DSN of %s", strings.Join(ph, ", "))}
	}
	b := &bootstrapper{plan: p, opt: opt, db: p.Topology.Database}
	res := &Result{SchemaVersion: ResultVersion, Topology: p.Topology.Kind, Engine: p.Topology.Engine,
		Database: p.Topology.Database, DryRun: opt.DryRun, Checks: []Check{}, Steps: []Step{}, Routing: p.Topology.Routing()}
	defer func() { res.ElapsedMS = time.Since(start).Milliseconds() }()
	defer b.close()

	res.Checks = b.connectAndGather(ctx)
	if p.Topology.Kind == TopologyHubSpoke {
		res.Checks = append(res.Checks, b.hubGather(ctx)...)
	}
	// Nodes that answered are checked even when others did not, so that
	// every problem shows at once.
	res.Checks = append(res.Checks, b.precheck()...)
	if p.Topology.HA != nil {
		res.Checks = append(res.Checks, b.haChecks(ctx)...)
	}
	if p.Topology.Kind == TopologyHubSpoke && b.hub != nil {
		res.Routing = b.hubRouting()
	}
	if f := res.Failed(); len(f) > 0 {
		return res, &PrecheckError{Failed: f}
	}
	if !opt.DryRun {
		if err := b.lockRun(ctx); err != nil {
			return res, err
		}
	}
	steps, err := b.steps()
	if err != nil {
		return res, err
	}
	if opt.DryRun {
		for i := range steps {
			steps[i].Status = StepPlanned
			if steps[i].manual {
				steps[i].Status = StepManual
			}
		}
		res.Steps = steps
		res.HAFiles = b.files
		res.Nodes, res.Links = b.readiness(ctx)
		return res, nil
	}
	err = b.execute(ctx, steps)
	res.Steps = steps
	res.HAFiles = b.files
	if err != nil {
		return res, err
	}
	if err := b.waitReady(ctx); err != nil {
		res.Nodes, res.Links = b.readiness(ctx)
		return res, err
	}
	res.Nodes, res.Links = b.readiness(ctx)
	res.Ready = true
	for _, n := range res.Nodes {
		res.Ready = res.Ready && n.Ready
	}
	for _, l := range res.Links {
		res.Ready = res.Ready && l.Ready
	}
	return res, nil
}

func anyFail(cs []Check) bool {
	for _, c := range cs {
		if c.Status == StatusFail {
			return true
		}
	}
	return false
}

// connectAndGather connects to every node at once and reads its facts.
// Connection failures become failing checks, all reported together.
func (b *bootstrapper) connectAndGather(ctx context.Context) []Check {
	t := b.plan.Topology
	b.nodes = make([]*nodeConn, len(t.Nodes))
	checks := make([][]Check, len(t.Nodes))
	var wg sync.WaitGroup
	for i, pn := range t.Nodes {
		n := &nodeConn{PlanNode: pn, index: i + 1}
		b.nodes[i] = n
		wg.Add(1)
		go func() {
			defer wg.Done()
			checks[i] = b.gatherNode(ctx, n)
		}()
	}
	wg.Wait()
	var out []Check
	for _, c := range checks {
		out = append(out, c...)
	}
	return out
}

func (b *bootstrapper) gatherNode(ctx context.Context, n *nodeConn) []Check {
	fail := func(name, detail, fix string) []Check {
		return []Check{{Node: n.Name, Name: name, Status: StatusFail, Detail: detail, Fix: fix}}
	}
	dsn, err := withDatabase(n.DSN, b.db)
	if err != nil {
		return fail("connect", err.Error(), "fix the node's dsn in the plan")
	}
	n.dsn = dsn
	cfg, err := connConfig(dsn)
	if err != nil {
		return fail("connect", "invalid DSN: "+inspect.Redact(err.Error()), "fix the node's dsn in the plan")
	}
	cfg.ConnectTimeout = b.opt.ConnectTimeout
	cctx, cancel := context.WithTimeout(ctx, b.opt.ConnectTimeout+5*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return fail("connect", connectErr(err), "start the node, or fix its host, port, user, password or database in the dsn")
	}
	n.conn = conn
	f, err := gatherFacts(ctx, conn, b.plan.Topology, n.Owns)
	if err != nil {
		return fail("read catalog", err.Error(), "")
	}
	n.facts = f
	if b.plan.Topology.HA != nil {
		if n.ha, err = b.gatherHA(ctx, n); err != nil {
			return fail("read HA settings", err.Error(), "connect as a superuser")
		}
	}
	return nil
}

// connectErr shortens pgx connection errors and hides passwords.
func connectErr(err error) string {
	msg := inspect.OneLine(err.Error())
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) {
		switch pgErr.SQLState() {
		case "28P01":
			return "password authentication failed: " + inspect.Redact(msg)
		case "3D000":
			return "database does not exist: " + inspect.Redact(msg)
		}
	}
	return inspect.Redact(msg)
}

// RunLockKey is the advisory lock (pg_try_advisory_lock(classid, objid),
// in the plan's database) a bootstrap holds on each writable node while
// it runs, so that two runs of one plan do not create the same objects
// at once.
var RunLockKey = [2]int32{0x61616476, 1} // "aadv", 1

// lockRun takes the run lock on every connected node that is not in
// recovery (a standby takes no advisory locks) or names the node another
// run holds it on.
func (b *bootstrapper) lockRun(ctx context.Context) error {
	for _, n := range b.nodes {
		if n == nil || n.conn == nil || (n.facts != nil && n.facts.InRecovery) {
			continue
		}
		var ok bool
		if err := n.conn.QueryRow(ctx, `SELECT pg_catalog.pg_try_advisory_lock($1, $2)`, RunLockKey[0], RunLockKey[1]).Scan(&ok); err != nil {
			return fmt.Errorf("node %s: take the bootstrap lock: %s", n.Name, inspect.Redact(err.Error()))
		}
		if !ok {
			return fmt.Errorf("node %s: another aadvisor bootstrap of this database is running (advisory lock %d, %d held by another session); wait for it, then run again", n.Name, RunLockKey[0], RunLockKey[1])
		}
	}
	return nil
}

func (b *bootstrapper) close() {
	for _, n := range b.nodes {
		if n != nil && n.conn != nil {
			n.conn.Close(context.Background())
		}
	}
}

// steps builds the ordered list of steps for the topology.
func (b *bootstrapper) steps() ([]Step, error) {
	t := b.plan.Topology
	switch t.Kind {
	case TopologyStreaming:
		if t.HA != nil {
			return b.patroniSteps()
		}
		return b.streamingSteps(), nil
	case TopologyPartitioned, TopologyActiveActive:
		var steps []Step
		switch t.Engine {
		case EngineNative:
			steps = b.nativeSteps()
		case EnginePglogical:
			steps = b.pglogicalSteps()
		default:
			return nil, fmt.Errorf("engine %s cannot build a %s topology", t.Engine, t.Kind)
		}
		return append(b.sequenceSteps(), steps...), nil
	case TopologyHubSpoke:
		return append(b.sequenceSteps(), b.hubSteps()...), nil
	}
	return nil, fmt.Errorf("unknown topology %q", t.Kind)
}

// execute runs the steps in order, skipping those already in place. It
// stops at the first failure; a re-run picks up from there.
func (b *bootstrapper) execute(ctx context.Context, steps []Step) error {
	for i := range steps {
		s := &steps[i]
		n := b.node(s.Node)
		if s.manual {
			s.Status = StepManual
			continue
		}
		if s.existsFn != nil {
			done, err := s.existsFn(ctx, b)
			if err != nil {
				s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
				return fmt.Errorf("node %s: check %s: %s", s.Node, s.Action, s.Error)
			}
			if done {
				s.Status = StepExists
				continue
			}
		}
		if s.exists != "" {
			var done bool
			if err := n.conn.QueryRow(ctx, s.exists, s.existsArgs...).Scan(&done); err != nil {
				s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
				return fmt.Errorf("node %s: check %s: %s", s.Node, s.Action, s.Error)
			}
			if done {
				s.Status = StepExists
				continue
			}
		}
		b.opt.Log.Info("bootstrap step", "node", s.Node, "action", s.Action)
		// A step may wait on others: CREATE SUBSCRIPTION waits until
		// every transaction running on the publisher has ended.
		sctx, cancel := context.WithTimeout(ctx, b.opt.Wait)
		var err error
		if s.run != nil {
			err = s.run(sctx, b)
		} else {
			_, err = n.conn.Exec(sctx, s.SQL)
		}
		timedOut := sctx.Err() == context.DeadlineExceeded
		cancel()
		if timedOut {
			err = fmt.Errorf("no answer after %s (a subscription waits until every transaction running on its publisher ends: look for long transactions in pg_stat_activity, or another bootstrap running at once): %w", b.opt.Wait, err)
		}
		if err != nil {
			s.Status, s.Error = StepFailed, inspect.Redact(err.Error())
			return fmt.Errorf("node %s: %s: %s", s.Node, s.Action, s.Error)
		}
		s.Status = StepDone
	}
	return nil
}
