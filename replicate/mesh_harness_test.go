package replicate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

// testMesh is a sandbox whose nodes replicate database "app" to each
// other (full mesh), set up directly with SQL so that these tests do not
// depend on bootstrap.
type testMesh struct {
	sb   *sandbox.Sandbox
	plan *Plan
	db   string
}

const meshTestSchema = `
CREATE TABLE public.accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL DEFAULT 0, note text);
CREATE TABLE public.events (site int NOT NULL, seq bigint NOT NULL, body text, at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (site, seq));
`

// newTestMesh starts n nodes of a major version and sets up an
// active-active mesh with the engine (native needs 16+, pglogical 15).
func newTestMesh(t *testing.T, major, n int, engine string) *testMesh {
	t.Helper()
	ctx := context.Background()
	if engine == EnginePglogical {
		sandboxtest.NeedModule(t, major, "pglogical")
	}
	sb := sandboxtest.ForTest(t, major, n)
	m := &testMesh{sb: sb, db: "app"}
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyActiveActive, Engine: engine, Database: m.db}}
	for _, node := range sb.Nodes {
		if err := node.Exec(ctx, "", "CREATE DATABASE app"); err != nil {
			t.Fatal(err)
		}
		// The pglogical supervisor blocks DROP DATABASE (see sandbox.DropDatabase).
		t.Cleanup(func() { node.DropDatabase(context.Background(), "app") })
		if err := node.Exec(ctx, m.db, meshTestSchema); err != nil {
			t.Fatal(err)
		}
		p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: node.Name, Role: RolePeer, DSN: node.DSN(m.db)})
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	m.plan = p
	switch engine {
	case EngineNative:
		for _, node := range sb.Nodes {
			m.exec(t, node, "CREATE PUBLICATION "+pgx.Identifier{"aadv_pub_" + node.Name}.Sanitize()+" FOR ALL TABLES")
		}
		for _, node := range sb.Nodes {
			for _, peer := range sb.Nodes {
				if peer != node {
					m.subscribe(t, node, peer)
				}
			}
		}
	case EnginePglogical:
		for _, node := range sb.Nodes {
			m.exec(t, node, "ALTER SYSTEM SET pglogical.conflict_resolution = 'last_update_wins'")
			m.exec(t, node, "ALTER SYSTEM SET pglogical.conflict_log_level = 'warning'")
			m.exec(t, node, "SELECT pg_reload_conf()")
			m.exec(t, node, "CREATE EXTENSION pglogical")
			m.exec(t, node, "SELECT pglogical.create_node(node_name := $1, dsn := $2)", "aadv_"+node.Name, node.KeywordDSN(m.db))
			m.exec(t, node, "SELECT pglogical.replication_set_add_all_tables('default', ARRAY['public'])")
		}
		for _, node := range sb.Nodes {
			for _, peer := range sb.Nodes {
				if peer != node {
					m.subscribe(t, node, peer)
				}
			}
		}
	default:
		t.Fatalf("engine %s", engine)
	}
	m.waitLinks(t, 90*time.Second, func(l LinkStatus) bool { return l.State == LinkStreaming })
	return m
}

func (m *testMesh) exec(t *testing.T, node *sandbox.Node, sql string, args ...any) {
	t.Helper()
	if err := node.Exec(context.Background(), m.db, sql, args...); err != nil {
		t.Fatal(err)
	}
}

func (m *testMesh) subscribe(t *testing.T, node, peer *sandbox.Node) {
	t.Helper()
	name := "aadv_" + node.Name + "_from_" + peer.Name
	if m.plan.Topology.Engine == EngineNative {
		m.exec(t, node, fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION %s PUBLICATION %s WITH (origin = none, copy_data = false)",
			pgx.Identifier{name}.Sanitize(), inspect.QuoteLiteral(peer.KeywordDSN(m.db)), pgx.Identifier{"aadv_pub_" + peer.Name}.Sanitize()))
		return
	}
	m.exec(t, node, `SELECT pglogical.create_subscription(subscription_name := $1, provider_dsn := $2,
		replication_sets := ARRAY['default'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`,
		name, peer.KeywordDSN(m.db))
}

func (m *testMesh) logFiles() map[string]string {
	out := map[string]string{}
	for _, n := range m.sb.Nodes {
		out[n.Name] = n.LogFile
	}
	return out
}

// waitLinks polls the status until every link satisfies ok.
func (m *testMesh) waitLinks(t *testing.T, d time.Duration, ok func(LinkStatus) bool) *Status {
	t.Helper()
	c := NewCollector(m.plan, StatusOptions{LogFiles: m.logFiles()})
	defer c.Close()
	deadline := time.Now().Add(d)
	var st *Status
	for {
		st = c.Collect(context.Background())
		want := len(m.plan.Topology.Nodes) * (len(m.plan.Topology.Nodes) - 1)
		good := len(st.Links) == want
		for _, l := range st.Links {
			good = good && ok(l)
		}
		if good {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("links not ready after %s: %s\n%s", d, describeLinks(st), m.logTails())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitCaughtUp waits until every link is streaming with no lag.
func (m *testMesh) waitCaughtUp(t *testing.T, d time.Duration) *Status {
	t.Helper()
	return m.waitLinks(t, d, func(l LinkStatus) bool {
		return l.State == LinkStreaming && l.LagBytes != nil && *l.LagBytes == 0
	})
}

func describeLinks(st *Status) string {
	var b strings.Builder
	for _, n := range st.Nodes {
		if !n.Up {
			fmt.Fprintf(&b, "[%s down: %s] ", n.Name, n.Error)
		}
	}
	for _, l := range st.Links {
		lag := "?"
		if l.LagBytes != nil {
			lag = fmt.Sprint(*l.LagBytes)
		}
		fmt.Fprintf(&b, "%s->%s %s lag=%s; ", l.From, l.To, l.State, lag)
	}
	return b.String()
}

// count returns a table's row count on a node.
func (m *testMesh) count(t *testing.T, node *sandbox.Node, table string) int64 {
	t.Helper()
	conn, err := node.Connect(context.Background(), m.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// logTails returns the end of every node's server log, for failures.
func (m *testMesh) logTails() string {
	var b strings.Builder
	for _, n := range m.sb.Nodes {
		data, _ := os.ReadFile(n.LogFile)
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		fmt.Fprintf(&b, "--- %s (%s)\n%s\n", n.Name, n.LogFile, strings.Join(lines[max(0, len(lines)-15):], "\n"))
	}
	return b.String()
}
