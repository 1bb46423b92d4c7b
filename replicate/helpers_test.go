package replicate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := sandboxtest.Main(m)
	sharedMu.Lock()
	for _, s := range sharedSB {
		if s == nil {
			continue
		}
		if err := s.Down(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "sandbox down: %v\n", err)
		}
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// sharedMax is the node count of the sandboxes the mesh tests share; each
// test takes a database of its own and names its nodes apart, so that the
// cluster-wide slot names never clash.
const sharedMax = 3

var (
	sharedMu   sync.Mutex
	sharedSB   = map[int]*sandbox.Sandbox{}
	sharedOnce = map[int]*sync.Once{}
	sharedErr  = map[int]error{}
	testSeq    atomic.Int64
)

// sharedSandbox returns the sandbox of a major version the tests share,
// starting it on first use (versions start concurrently).
func sharedSandbox(t *testing.T, major int) *sandbox.Sandbox {
	t.Helper()
	sharedMu.Lock()
	once := sharedOnce[major]
	if once == nil {
		once = &sync.Once{}
		sharedOnce[major] = once
	}
	sharedMu.Unlock()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var s *sandbox.Sandbox
		_, err := sandbox.FindInstall(ctx, fmt.Sprint(major))
		if err == nil {
			dir := filepath.Join(os.TempDir(), "aadvisor-test", fmt.Sprintf("%d-replicate-%d", os.Getpid(), major))
			os.MkdirAll(filepath.Dir(dir), 0o755)
			s, _, err = sandbox.Up(ctx, sandbox.Options{Nodes: sharedMax, PG: fmt.Sprint(major), Dir: dir, Name: "replicate"})
			if err != nil {
				err = fmt.Errorf("sandbox up: %w", err)
			}
		} else {
			err = fmt.Errorf("%w: %w", errNoServer, err)
		}
		sharedMu.Lock()
		sharedSB[major], sharedErr[major] = s, err
		sharedMu.Unlock()
	})
	sharedMu.Lock()
	s, err := sharedSB[major], sharedErr[major]
	sharedMu.Unlock()
	switch {
	case errors.Is(err, errNoServer) && !sandboxtest.InCI():
		t.Skipf("no PostgreSQL %d: %v", major, err)
	case err != nil:
		t.Fatal(err)
	}
	return s
}

var errNoServer = errors.New("no server binaries")

// mesh is n sandbox nodes with a database of this test and its schema.
type mesh struct {
	t     *testing.T
	nodes []*sandbox.Node
	names []string // plan node names
	db    string
	conns []*pgx.Conn
}

// newMesh takes n nodes of a major version (shared with other tests) and
// applies schema to a fresh database on each.
func newMesh(t *testing.T, major, n int, schema string) *mesh {
	t.Helper()
	sb := sharedSandbox(t, major)
	return setupMesh(t, sb.Nodes[:n], schema)
}

func setupMesh(t *testing.T, nodes []*sandbox.Node, schema string) *mesh {
	t.Helper()
	seq := testSeq.Add(1)
	m := &mesh{t: t, nodes: nodes, db: fmt.Sprintf("app%d", seq)}
	ctx := context.Background()
	for i, node := range nodes {
		m.names = append(m.names, fmt.Sprintf("t%d_n%d", seq, i+1))
		if err := node.Exec(ctx, "", "CREATE DATABASE "+m.db); err != nil {
			t.Fatal(err)
		}
		conn, err := node.Connect(ctx, m.db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		if schema != "" {
			if _, err := conn.Exec(ctx, schema); err != nil {
				t.Fatalf("schema on %s: %v", node.Name, err)
			}
		}
		m.conns = append(m.conns, conn)
	}
	return m
}

// plan builds a plan over the mesh's nodes.
func (m *mesh) plan(kind, engine string, tables ...string) *Plan {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: kind, Engine: engine, Database: m.db, Tables: tables}}
	for i, n := range m.nodes {
		pn := PlanNode{Name: m.names[i], DSN: n.DSN(m.db)}
		switch kind {
		case TopologyStreaming:
			pn.Role = RoleStandby
			if i == 0 {
				pn.Role = RolePrimary
			}
		case TopologyPartitioned:
			pn.Role = RoleOwner
			pn.Owns = []string{m.names[i]}
		default:
			pn.Role = RolePeer
		}
		p.Topology.Nodes = append(p.Topology.Nodes, pn)
	}
	return p
}

func (m *mesh) local() map[string]*sandbox.Node {
	out := map[string]*sandbox.Node{}
	for i, n := range m.nodes {
		out[m.names[i]] = n
	}
	return out
}

func (m *mesh) exec(i int, sql string, args ...any) {
	m.t.Helper()
	if _, err := m.conns[i].Exec(context.Background(), sql, args...); err != nil {
		m.t.Fatalf("%s: %s: %v", m.names[i], sql, err)
	}
}

// reconnect reopens node i's connection (after a restart).
func (m *mesh) reconnect(i int) {
	m.t.Helper()
	conn, err := m.nodes[i].Connect(context.Background(), m.db)
	if err != nil {
		m.t.Fatal(err)
	}
	m.conns[i] = conn
	m.t.Cleanup(func() { conn.Close(context.Background()) })
}

// rows returns a query's rows as strings, one per row.
func (m *mesh) rows(i int, sql string) []string {
	m.t.Helper()
	rows, err := m.conns[i].Query(context.Background(), sql)
	if err != nil {
		m.t.Fatalf("%s: %s: %v", m.names[i], sql, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			m.t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for j, v := range vals {
			parts[j] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		m.t.Fatal(err)
	}
	return out
}

// converge waits until the query gives the same non-empty answer on every
// node listed (all when none), and returns it.
func (m *mesh) converge(sql string, want int, nodes ...int) []string {
	m.t.Helper()
	if len(nodes) == 0 {
		for i := range m.conns {
			nodes = append(nodes, i)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		first := m.rows(nodes[0], sql)
		same := want < 0 || len(first) == want
		var diff string
		for _, i := range nodes[1:] {
			got := m.rows(i, sql)
			if strings.Join(got, "\n") != strings.Join(first, "\n") {
				same = false
				diff = fmt.Sprintf("%s has %d rows %v, %s has %d rows %v", m.names[nodes[0]], len(first), clip(first),
					m.names[i], len(got), clip(got))
				break
			}
		}
		if same {
			return first
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("no convergence for %q (want %d rows): %s", sql, want, diff)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func clip(s []string) []string {
	if len(s) > 6 {
		return append(s[:6:6], "...")
	}
	return s
}

// bootMu serialises the bootstraps of tests that share nodes: creating a
// logical slot waits for every transaction running on the publisher, so
// two CREATE SUBSCRIPTIONs going opposite ways between the same two
// clusters wait for each other for ever.
var bootMu sync.Mutex

func mustBootstrap(t *testing.T, p *Plan, opt Options) *Result {
	t.Helper()
	bootMu.Lock()
	res, err := Bootstrap(context.Background(), p, opt)
	bootMu.Unlock()
	if err != nil {
		t.Fatalf("bootstrap: %v\nsteps: %s", err, stepSummary(res))
	}
	if !res.Ready {
		t.Fatalf("bootstrap not ready: %+v %+v", res.Nodes, res.Links)
	}
	return res
}

func stepSummary(r *Result) string {
	if r == nil {
		return "(none)"
	}
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "\n  %s %s: %s %s", s.Node, s.Status, s.Action, s.Error)
	}
	return b.String()
}

func countStatus(r *Result, status string) int {
	c := 0
	for _, s := range r.Steps {
		if s.Status == status {
			c++
		}
	}
	return c
}

// eachLogical runs f in a subtest per logical engine and version: native
// on every version (row filters need 15, origin = none 16), and pglogical
// on 15, where the module must be installed.
func eachLogical(t *testing.T, f func(t *testing.T, major int, engine string)) {
	t.Helper()
	type run struct {
		major  int
		engine string
	}
	var runs []run
	for _, v := range sandboxtest.TestVersions {
		runs = append(runs, run{v, EngineNative})
	}
	runs = append(runs, run{15, EnginePglogical})
	for _, c := range runs {
		t.Run(fmt.Sprintf("pg%d_%s", c.major, c.engine), func(t *testing.T) {
			if c.engine == EnginePglogical {
				sandboxtest.NeedModule(t, c.major, "pglogical")
			}
			f(t, c.major, c.engine)
		})
	}
}
