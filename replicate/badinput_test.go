package replicate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

// noAadvObjects fails when any node holds something bootstrap makes.
func noAadvObjects(t *testing.T, m *mesh) {
	t.Helper()
	for i := range m.conns {
		left := m.rows(i, `SELECT 'pub ' || pubname FROM pg_publication WHERE pubname LIKE 'aadv%'
UNION ALL SELECT 'sub ' || subname FROM pg_subscription WHERE subname LIKE 'aadv%' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'ext ' || extname FROM pg_extension WHERE extname = 'pglogical'
UNION ALL SELECT 'seq ' || sequencename FROM pg_sequences WHERE increment_by <> 1`)
		if len(left) > 0 {
			t.Errorf("%s was written to before the prechecks passed: %v", m.names[i], left)
		}
	}
}

func precheckFails(t *testing.T, p *Plan, want ...string) *PrecheckError {
	t.Helper()
	res, err := Bootstrap(context.Background(), p, Options{})
	var pe *PrecheckError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a precheck error", err)
	}
	msg := err.Error()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error does not mention %q:\n%s", w, msg)
		}
	}
	if res == nil || len(res.Steps) != 0 {
		t.Errorf("steps after a failed precheck: %+v", res)
	}
	return pe
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	t.Run("node down, then up", func(t *testing.T) {
		m := newMesh(t, 18, 2, aaSchema)
		p := m.plan(TopologyActiveActive, EngineNative)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close() // nothing listens there now
		good := p.Topology.Nodes[1].DSN
		p.Topology.Nodes[1].DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=2", port, m.db)
		precheckFails(t, p, m.names[1]+": connect:", "start the node")
		noAadvObjects(t, m)
		// The node that answered was checked all the same.
		res, _ := Bootstrap(context.Background(), p, Options{DryRun: true})
		checked := false
		for _, c := range res.Checks {
			checked = checked || (c.Node == m.names[0] && c.Name == "wal_level" && c.Status == StatusOK)
		}
		if !checked {
			t.Errorf("the reachable node was not checked: %+v", res.Checks)
		}
		p.Topology.Nodes[1].DSN = good
		mustBootstrap(t, p, Options{})
		t.Cleanup(func() { Teardown(context.Background(), p, Options{}) })
	})
	t.Run("wrong password", func(t *testing.T) {
		m := newMesh(t, 18, 2, aaSchema)
		m.exec(1, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'aadv_test_repl') THEN
  CREATE ROLE aadv_test_repl LOGIN SUPERUSER PASSWORD 'right-secret'; END IF; END $$`)
		p := m.plan(TopologyActiveActive, EngineNative)
		dsn := func(pw string) string {
			return fmt.Sprintf("postgres://aadv_test_repl:%s@127.0.0.1:%d/%s?sslmode=disable", pw, m.nodes[1].Port, m.db)
		}
		p.Topology.Nodes[1].DSN = dsn("wrong-secret")
		pe := precheckFails(t, p, "password authentication failed")
		if strings.Contains(pe.Error(), "wrong-secret") {
			t.Errorf("the password is printed: %s", pe.Error())
		}
		noAadvObjects(t, m)
		p.Topology.Nodes[1].DSN = dsn("right-secret")
		res, err := Bootstrap(context.Background(), p, Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		var sql strings.Builder
		for _, s := range res.Steps {
			sql.WriteString(s.SQL)
		}
		if !strings.Contains(sql.String(), "right-secret") {
			t.Errorf("the subscription needs the password in its connection string: %s", sql.String())
		}
	})
	t.Run("pglogical on 18", func(t *testing.T) {
		m := newMesh(t, 18, 2, aaSchema)
		precheckFails(t, m.plan(TopologyActiveActive, EnginePglogical), "pglogical extension is not available", "use engine native")
		noAadvObjects(t, m)
	})
	t.Run("native active-active on 15", func(t *testing.T) {
		m := newMesh(t, 15, 2, aaSchema)
		precheckFails(t, m.plan(TopologyActiveActive, EngineNative), "origin = none", "use engine pglogical")
		noAadvObjects(t, m)
	})
	t.Run("mismatched schemas, then fixed", func(t *testing.T) {
		m := newMesh(t, 18, 3, aaSchema)
		m.exec(2, `ALTER TABLE items ALTER COLUMN v TYPE bigint`)
		m.exec(1, `ALTER TABLE kv ADD COLUMN extra int`)
		p := m.plan(TopologyActiveActive, EngineNative)
		precheckFails(t, p, `public.items: t`, `"v integer not null"`, `"v bigint not null"`, `public.kv:`, `"extra integer"`)
		noAadvObjects(t, m)
		m.exec(2, `ALTER TABLE items ALTER COLUMN v TYPE int`)
		m.exec(1, `ALTER TABLE kv DROP COLUMN extra`)
		mustBootstrap(t, p, Options{})
		t.Cleanup(func() { Teardown(context.Background(), p, Options{}) })
	})
	t.Run("data on two nodes", func(t *testing.T) {
		m := newMesh(t, 18, 2, aaSchema)
		m.exec(0, `INSERT INTO kv VALUES ('a', 'x')`)
		m.exec(1, `INSERT INTO kv VALUES ('b', 'y')`)
		precheckFails(t, m.plan(TopologyActiveActive, EngineNative), "only one node may hold rows", "public.kv")
		noAadvObjects(t, m)
	})
	t.Run("owner column not in the key", func(t *testing.T) {
		m := newMesh(t, 18, 2, `CREATE TABLE t (id int PRIMARY KEY, region text NOT NULL)`)
		p := m.plan(TopologyPartitioned, EngineNative)
		p.Topology.OwnerColumn = "region"
		precheckFails(t, p, "public.t.region is not in the replica identity", "REPLICA IDENTITY FULL")
		noAadvObjects(t, m)
	})
	t.Run("no primary key, sequences without offsets", func(t *testing.T) {
		m := newMesh(t, 18, 2, `CREATE TABLE t (id serial PRIMARY KEY); CREATE TABLE nokey (a int)`)
		p := m.plan(TopologyActiveActive, EngineNative)
		p.Topology.Sequences = SequencesUUID
		precheckFails(t, p, "public.nokey has no primary key", "public.t_id_seq feeds the key public.t.id")
		noAadvObjects(t, m)
	})
	t.Run("plan with a typo", func(t *testing.T) {
		_, err := ParsePlan("plan.yaml", []byte("version: 1\ntopology:\n  kind: active-active\n  engnie: native\n"))
		if err == nil || !strings.Contains(err.Error(), "did you mean engine?") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDryRunIsTheRun(t *testing.T) {
	t.Parallel()
	m := newMesh(t, 18, 2, aaSchema)
	m.exec(0, `INSERT INTO items (node) VALUES ('seed')`)
	p := m.plan(TopologyActiveActive, EngineNative)
	dry, err := Bootstrap(context.Background(), p, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	noAadvObjects(t, m)
	if countStatus(dry, StepPlanned) != len(dry.Steps) || len(dry.Steps) == 0 {
		t.Fatalf("dry run steps: %s", stepSummary(dry))
	}
	real := mustBootstrap(t, p, Options{})
	t.Cleanup(func() { Teardown(context.Background(), p, Options{}) })
	if len(real.Steps) != len(dry.Steps) {
		t.Fatalf("dry run has %d steps, the run %d", len(dry.Steps), len(real.Steps))
	}
	for i := range dry.Steps {
		if dry.Steps[i].SQL != real.Steps[i].SQL || dry.Steps[i].Node != real.Steps[i].Node {
			t.Errorf("step %d: dry run %s %q, run %s %q", i, dry.Steps[i].Node, dry.Steps[i].SQL, real.Steps[i].Node, real.Steps[i].SQL)
		}
	}
	// Teardown's dry run lists what it would drop and drops nothing.
	td, err := Teardown(context.Background(), p, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(td.Steps) == 0 {
		t.Fatal("teardown dry run lists nothing")
	}
	if r := m.rows(0, `SELECT count(*) FROM pg_subscription WHERE subname LIKE 'aadv%' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`); r[0] != "1" {
		t.Errorf("teardown dry run dropped subscriptions: %v", r)
	}
}

// A failure part-way leaves a state that a re-run completes.
func TestInterruptedRunCompletes(t *testing.T) {
	t.Parallel()
	m := newMesh(t, 18, 3, aaSchema)
	p := m.plan(TopologyActiveActive, EngineNative)
	// Run the first half of the steps, as a run that died half-way would.
	bootMu.Lock()
	defer bootMu.Unlock() // held through mustBootstrap below: unlock first
	ctx, cancel := context.WithCancel(context.Background())
	b := &bootstrapper{plan: p, opt: Options{}, db: p.Topology.Database}
	b.opt.defaults()
	if checks := b.connectAndGather(ctx); anyFail(checks) {
		t.Fatal(checks)
	}
	b.precheck()
	steps, err := b.steps()
	if err != nil {
		t.Fatal(err)
	}
	half := len(steps) / 2
	if err := b.execute(ctx, steps[:half]); err != nil {
		t.Fatal(err)
	}
	b.close()
	cancel()
	bootMu.Unlock()
	res := mustBootstrap(t, p, Options{})
	bootMu.Lock()
	t.Cleanup(func() { Teardown(context.Background(), p, Options{}) })
	if got := countStatus(res, StepExists); got != half {
		t.Errorf("re-run found %d steps in place, want %d: %s", got, half, stepSummary(res))
	}
	for i := range m.conns {
		m.exec(i, `INSERT INTO kv VALUES ($1, 'x')`, m.names[i])
	}
	m.converge(`SELECT k FROM kv ORDER BY k`, 3)
}
