package replicate

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A plan of version 1 still reads, and writes back as version 1.
func TestPlanVersion1StillReads(t *testing.T) {
	p, err := ReadPlan("testdata/plan/good-active-active.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != 1 || len(p.Topology.WriteModes) != 0 {
		t.Fatalf("version %d, write modes %v", p.Version, p.Topology.WriteModes)
	}
	var b strings.Builder
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\nversion: 1\n") {
		t.Errorf("rewritten plan:\n%s", b.String())
	}
}

// Version 2 carries the write modes; local tables are out of scope and
// every mode has its routing rule.
func TestPlanWriteModes(t *testing.T) {
	p, err := ReadPlan("testdata/plan/good-write-modes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]bool{"public.sessions": true}, p.Topology.ExcludedTables()); diff != "" {
		t.Errorf("excluded (-want +got):\n%s", diff)
	}
	want := []Route{
		{Table: "public.inventory", Mode: WriteHome, Rule: "write only on node us_east_1 (its home); on losing us_east_1, move the home to one surviving node, never to two"},
		{Table: "public.sessions", Mode: WriteLocal, Rule: "node-local: not replicated; each node keeps its own rows"},
		{Table: "public.audit_log", Mode: WriteInsertOnly, Rule: "insert on any node with keys that cannot collide; never update or delete"},
		{Table: `public."Order Items"`, Mode: WriteAnywhere, Rule: "any node may write any row"},
	}
	if diff := cmp.Diff(want, p.Topology.Routing()); diff != "" {
		t.Errorf("routing (-want +got):\n%s", diff)
	}
	owner := Topology{OwnerColumn: "merchant_id", WriteModes: []WriteMode{{Table: "public.balances", Mode: WriteHome}}}
	if got := owner.Routing()[0].Rule; got != "write each row only on the node that owns its merchant_id value" {
		t.Errorf("owner-routed rule = %q", got)
	}
}

// bootstrap leaves a local table out: it may hold different rows on every
// node before and after, its rows never travel, and the other tables
// replicate; the dry run shows the routing rules and no SQL for it.
func TestLocalTableStaysOut(t *testing.T) {
	t.Parallel()
	m := newMesh(t, 18, 2, `CREATE TABLE public.items (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), v int NOT NULL);
CREATE TABLE public.sessions (id text PRIMARY KEY, node text NOT NULL)`)
	m.exec(0, `INSERT INTO sessions VALUES ('s1', 'n1')`)
	m.exec(1, `INSERT INTO sessions VALUES ('s2', 'n2')`)
	p := m.plan(TopologyActiveActive, EngineNative)
	p.Topology.Sequences = SequencesUUID
	p.Topology.WriteModes = []WriteMode{{Table: "public.sessions", Mode: WriteLocal}, {Table: "public.items", Mode: WriteHome, Home: m.names[0]}}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	bootMu.Lock()
	dry, err := Bootstrap(context.Background(), p, Options{DryRun: true})
	bootMu.Unlock()
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, stepSummary(dry))
	}
	if len(dry.Routing) != 2 || dry.Routing[0].Table != "public.sessions" || !strings.Contains(dry.Routing[1].Rule, "write only on node "+m.names[0]) {
		t.Errorf("routing = %+v", dry.Routing)
	}
	for _, s := range dry.Steps {
		if strings.Contains(s.SQL, "sessions") {
			t.Errorf("step on a local table: %s", s.SQL)
		}
	}
	res := mustBootstrap(t, p, Options{})
	m.exec(0, `INSERT INTO items (v) VALUES (1)`)
	m.exec(0, `INSERT INTO sessions VALUES ('s3', 'n1')`)
	m.exec(0, `INSERT INTO items (v) VALUES (2)`)
	m.converge(`SELECT v FROM items ORDER BY v`, 2)
	if got := m.rows(1, `SELECT id FROM sessions ORDER BY id`); !cmp.Equal(got, []string{"s2"}) {
		t.Errorf("node 2 sessions = %v, want its own only", got)
	}
	if got := m.rows(0, `SELECT id FROM sessions ORDER BY id`); !cmp.Equal(got, []string{"s1", "s3"}) {
		t.Errorf("node 1 sessions = %v", got)
	}
	if len(res.Routing) != 2 {
		t.Errorf("routing after bootstrap = %+v", res.Routing)
	}
	if _, err := Teardown(context.Background(), p, Options{}); err != nil {
		t.Fatal(err)
	}
}
