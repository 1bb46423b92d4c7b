package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// The workload both halves of the test run: k increments of one counter
// row alternating writers a and b, then inserts into a table keyed by a
// sequence, alternating a, b, a, b, a. Every statement names its writer.
const updates = 10

var inserts = []string{"a", "b", "a", "b", "a"}

const schema = `CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL, writer text);
INSERT INTO counters VALUES (1, 0, 'init');
CREATE TABLE orders (id bigserial PRIMARY KEY, writer text);`

func workload(t *testing.T, conns map[string]*pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < updates; i++ {
		w := []string{"a", "b"}[i%2]
		if _, err := conns[w].Exec(ctx, "UPDATE counters SET n = n + 1, writer = $1 WHERE id = 1", w); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range inserts {
		if _, err := conns[w].Exec(ctx, "INSERT INTO orders (writer) VALUES ($1)", w); err != nil {
			t.Fatal(err)
		}
	}
}

func exec(t *testing.T, n *sandbox.Node, db string, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		if err := n.Exec(context.Background(), db, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func dbName(dsn string) string {
	return dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
}

// captureWorkload runs the workload on one node under observe and returns
// the trace.
func captureWorkload(t *testing.T) []byte {
	node, dsn := sandbox.TestDatabase(t, 15)
	db := dbName(dsn)
	// Replica identity full lets the trace carry the old row, so even the
	// first increment's delta is known (pglogical itself needs the
	// primary key as identity; the mesh below keeps the default).
	exec(t, node, db, schema, "ALTER TABLE counters REPLICA IDENTITY FULL")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var buf bytes.Buffer
	var mu sync.Mutex
	var txns int64
	done := make(chan error, 1)
	go func() {
		_, err := stream.Capture(ctx, stream.Options{DSN: dsn, ProgressEvery: 20 * time.Millisecond,
			Progress: func(s stream.Stats) { mu.Lock(); txns = s.Txns; mu.Unlock() }}, &buf)
		done <- err
	}()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_replication_slots WHERE active").Scan(&n)
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no active slot")
		}
		time.Sleep(20 * time.Millisecond)
	}
	workload(t, map[string]*pgx.Conn{"a": conn, "b": conn})
	want := int64(updates + len(inserts))
	for deadline = time.Now().Add(20 * time.Second); ; {
		mu.Lock()
		n := txns
		mu.Unlock()
		if n >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("captured %d of %d transactions", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func forecast(t *testing.T, trace []byte, lag time.Duration) *assess.ForecastReport {
	t.Helper()
	r, err := stream.NewReader(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	route, err := assess.ParseRoute("counters.writer=a:1,counters.writer=b:2,orders.writer=a:1,orders.writer=b:2", 2)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := assess.Forecast(r, assess.ForecastOptions{Regions: 2, Lag: lag, Route: route, HomeShare: 1})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func tableCounts(rep *assess.ForecastReport) map[string]assess.ForecastCounts {
	out := map[string]assess.ForecastCounts{}
	for _, t := range rep.Tables {
		out[t.Table] = t.ForecastCounts
	}
	return out
}

// TestObserveForecast captures a generated workload on a real server and
// checks the replay's counts against hand-worked answers, then runs the
// same workload across a two-node pglogical mesh and compares the forecast
// with what pglogical logged and with the counter's final value.
func TestObserveForecast(t *testing.T) {
	trace := captureWorkload(t)

	// W = 0: every write is seen before the next. Each update after the
	// first lands on a row the other region wrote last (9 origin-differs,
	// no concurrent pair, nothing lost). Sequences are never replicated, so
	// the 3 + 2 inserts still clash on ids 1 and 2.
	got := tableCounts(forecast(t, trace, 0))
	want := map[string]assess.ForecastCounts{
		"public.counters": {Writes: 10, OriginDiffers: 9},
		"public.orders":   {Writes: 5, SeqCollisions: 2, SeqInsertConflicts: 4},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("W=0 (-want +got):\n%s", d)
	}
	// W = 1 h, longer than the run (the mesh below disables its
	// subscriptions for the run, which is the same): each node receives
	// the other's 5 updates onto a row it wrote itself: 10 origin-differs;
	// 5×5 concurrent pairs; the converged row holds the last writer's 5
	// increments: 5 lost.
	rep := forecast(t, trace, time.Hour)
	got = tableCounts(rep)
	want["public.counters"] = assess.ForecastCounts{Writes: 10, OriginDiffers: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}
	want["public.orders"] = assess.ForecastCounts{Writes: 5, SeqCollisions: 2, SeqInsertConflicts: 4}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("W=1h (-want +got):\n%s", d)
	}
	var predictedFinal float64
	for _, tab := range rep.Tables {
		for _, c := range tab.Counters {
			if tab.Table == "public.counters" && c.Column == "n" {
				predictedFinal = c.TotalDelta - c.LostDelta
			}
		}
	}
	predictedLogged := rep.Totals.OriginDiffers + rep.Totals.SeqInsertConflicts

	t.Run("pglogical", func(t *testing.T) {
		logged, finals := runMesh(t)
		t.Logf("forecast (W=1h): %d conflicts logged, counter final %v; pglogical: %d CONFLICT lines, counter final %v",
			predictedLogged, predictedFinal, logged, finals)
		if logged != predictedLogged {
			t.Errorf("pglogical logged %d conflicts, forecast %d", logged, predictedLogged)
		}
		for i, f := range finals {
			if float64(f) != predictedFinal {
				t.Errorf("node%d counter = %d, forecast %v", i+1, f, predictedFinal)
			}
		}
	})
}

// runMesh sets up a two-node pglogical mesh (last_update_wins, conflicts
// logged at WARNING), runs the workload with both subscriptions disabled
// (so neither node sees the other's writes, W > run), enables them, waits
// for convergence and returns the CONFLICT lines logged and each node's
// final counter.
func runMesh(t *testing.T) (int64, []int64) {
	sb := sandbox.ForTest(t, 15, 2)
	n1, n2 := sb.Nodes[0], sb.Nodes[1]
	if !n1.Install.HasModule("pglogical") {
		if sandbox.InCI() {
			t.Fatal("pglogical not installed")
		}
		t.Skip("pglogical not installed")
	}
	ctx := context.Background()
	for i, n := range sb.Nodes {
		exec(t, n, "",
			"ALTER SYSTEM SET pglogical.conflict_resolution = 'last_update_wins'",
			"ALTER SYSTEM SET pglogical.conflict_log_level = 'warning'",
			"SELECT pg_reload_conf()",
			"CREATE EXTENSION pglogical", schema,
			fmt.Sprintf("SELECT pglogical.create_node(node_name := 'n%d', dsn := %s)", i+1, lit(n.KeywordDSN(""))),
			"SELECT pglogical.replication_set_add_all_tables('default', ARRAY['public'])")
	}
	for i, pair := range [][2]*sandbox.Node{{n1, n2}, {n2, n1}} {
		exec(t, pair[0], "", fmt.Sprintf(`SELECT pglogical.create_subscription(subscription_name := 's%d', provider_dsn := %s,
			replication_sets := ARRAY['default'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`,
			i+1, lit(pair[1].KeywordDSN(""))))
	}
	for _, n := range sb.Nodes {
		waitFor(t, n, "SELECT count(*) FROM pglogical.show_subscription_status() WHERE status = 'replicating'", 1)
	}
	exec(t, n1, "", "SELECT pglogical.alter_subscription_disable('s1', true)")
	exec(t, n2, "", "SELECT pglogical.alter_subscription_disable('s2', true)")
	offsets := []int64{logSize(t, n1), logSize(t, n2)}
	c1, err := n1.Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c1.Close(ctx)
	c2, err := n2.Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	workload(t, map[string]*pgx.Conn{"a": c1, "b": c2})
	exec(t, n1, "", "SELECT pglogical.alter_subscription_enable('s1', true)")
	exec(t, n2, "", "SELECT pglogical.alter_subscription_enable('s2', true)")
	// Converged: both nodes have the same counter and the 3 order rows, and
	// the conflict count has stopped moving.
	var finals []int64
	var logged int64
	deadline := time.Now().Add(60 * time.Second)
	stable := 0
	for {
		finals = finals[:0]
		rows := []int64{}
		for _, c := range []*pgx.Conn{c1, c2} {
			var n, r int64
			if err := c.QueryRow(ctx, "SELECT (SELECT n FROM counters WHERE id = 1), (SELECT count(*) FROM orders)").Scan(&n, &r); err != nil {
				t.Fatal(err)
			}
			finals = append(finals, n)
			rows = append(rows, r)
		}
		l := countConflicts(t, n1, offsets[0]) + countConflicts(t, n2, offsets[1])
		if finals[0] == finals[1] && rows[0] == 3 && rows[1] == 3 && l == logged && l > 0 {
			stable++
		} else {
			stable = 0
		}
		logged = l
		if stable >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mesh did not converge: counters %v, orders %v, %d conflicts logged", finals, rows, l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return logged, finals
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func waitFor(t *testing.T, n *sandbox.Node, sql string, want int) {
	t.Helper()
	conn, err := n.Connect(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	deadline := time.Now().Add(60 * time.Second)
	for {
		var got int
		if err := conn.QueryRow(context.Background(), sql).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d (log %s)", sql, got, want, n.LogFile)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func logSize(t *testing.T, n *sandbox.Node) int64 {
	st, err := os.Stat(n.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func countConflicts(t *testing.T, n *sandbox.Node, from int64) int64 {
	b, err := os.ReadFile(n.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) < from {
		from = 0
	}
	return int64(strings.Count(string(b[from:]), "CONFLICT: remote"))
}
