package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
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

// e2eWorkload runs twice: captured on one node under observe, and for real
// by two writers a and b across a two-node pglogical mesh (a on node 1, b
// on node 2). Every statement names its writer, so a route map puts each
// transaction of the trace in the region that ran it in the mesh.
type e2eWorkload struct {
	name string
	// schema runs on the captured database and on both mesh nodes;
	// capture runs on the captured database only.
	schema, capture string
	// sets puts each table in a pglogical replication set: a table without
	// a key may only be in one that replicates inserts alone.
	sets map[string]string
	// counters are the tables with a counter column n.
	counters []string
	// rows each table holds on both nodes after convergence, when given.
	rows map[string]int
	// live keeps the mesh's subscriptions on and waits after each write
	// until the other node has it: W ≈ 0, as the forecast's lag 0. Without
	// it both subscriptions are off for the run and on afterwards: neither
	// node sees the other's writes during the run, a W longer than the run
	// (the forecast's lag 1 h).
	live bool
	txns int // transactions the workload commits
	run  func(w *writers)
}

func (w e2eWorkload) lag() time.Duration {
	if w.live {
		return 0
	}
	return time.Hour
}

// tables are the workload's tables in order.
func (w e2eWorkload) tables() []string {
	return slices.Sorted(maps.Keys(w.sets))
}

// route is the forecast's --route: writer a is region 1, b region 2.
func (w e2eWorkload) route() string {
	var parts []string
	for _, table := range w.tables() {
		parts = append(parts, table+".writer=a:1", table+".writer=b:2")
	}
	return strings.Join(parts, ",")
}

// writers runs statements as writer a or b.
type writers struct {
	t     *testing.T
	conns map[string]*pgx.Conn
	sync  func() // after each statement of a live mesh run
}

func (w *writers) exec(who, sql string, args ...any) {
	w.t.Helper()
	if _, err := w.conns[who].Exec(context.Background(), sql, args...); err != nil {
		w.t.Fatalf("%s: %s: %v", who, sql, err)
	}
	if w.sync != nil {
		w.sync()
	}
}

// hotRowPlan is a seeded sequence of (writer, row) for k updates over rows
// 1..n, the first rows hotter; every row gets writes from both writers.
func hotRowPlan(t *testing.T, seed uint64, k, n int) [][2]int {
	r := rand.New(rand.NewPCG(seed, 7))
	plan := make([][2]int, k)
	seen := map[[2]int]bool{}
	for i := range plan {
		row := 1
		for row < n && r.IntN(2) == 0 {
			row++
		}
		plan[i] = [2]int{r.IntN(2), row}
		seen[plan[i]] = true
	}
	for row := 1; row <= n; row++ {
		if !seen[[2]int{0, row}] || !seen[[2]int{1, row}] {
			t.Fatalf("seed %d: row %d is not written by both writers", seed, row)
		}
	}
	return plan
}

var who = [2]string{"a", "b"}

var workloads = []e2eWorkload{
	{
		// k increments of one counter row alternating a and b, then
		// inserts into a table keyed by a sequence, alternating a, b, a, b,
		// a (each node has its own sequence).
		name: "counter and sequence",
		schema: `CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL, writer text);
INSERT INTO counters VALUES (1, 0, 'init');
CREATE TABLE orders (id bigserial PRIMARY KEY, writer text);`,
		// Replica identity full lets the trace carry the old row, so even
		// the first increment's delta is known (pglogical itself needs the
		// primary key as identity; the mesh keeps the default).
		capture:  "ALTER TABLE counters REPLICA IDENTITY FULL",
		sets:     map[string]string{"counters": "default", "orders": "default"},
		counters: []string{"counters"},
		txns:     15,
		run: func(w *writers) {
			for i := 0; i < 10; i++ {
				w.exec(who[i%2], "UPDATE counters SET n = n + 1, writer = $1 WHERE id = 1", who[i%2])
			}
			for _, x := range []string{"a", "b", "a", "b", "a"} {
				w.exec(x, "INSERT INTO orders (writer) VALUES ($1)", x)
			}
		},
	},
	{
		// An audit trail without a key and events keyed by uuid, inserted
		// once each and never touched again; the last two transactions
		// insert the same audit row on both nodes.
		name: "insert-only",
		schema: `CREATE TABLE audit_log (at timestamptz NOT NULL DEFAULT clock_timestamp(), actor text, detail text);
CREATE TABLE events (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), writer text NOT NULL, n int NOT NULL);`,
		sets: map[string]string{"audit_log": "default_insert_only", "events": "default"},
		rows: map[string]int{"audit_log": 42, "events": 42},
		txns: 42,
		run: func(w *writers) {
			for i := 0; i < 40; i++ {
				w.exec(who[i%2], `WITH e AS (INSERT INTO events (writer, n) VALUES ($1, $2) RETURNING n)
INSERT INTO audit_log (actor, detail) SELECT $1, 'event ' || n FROM e`, who[i%2], i)
			}
			for i := 0; i < 2; i++ {
				w.exec(who[i], `WITH e AS (INSERT INTO events (writer, n) VALUES ($1, $2))
INSERT INTO audit_log (at, actor, detail) VALUES ('2026-01-01 00:00:00+00', 'cron', 'nightly')`, who[i], 40+i)
			}
		},
	},
	{
		// 60 increments over 3 stock rows (row 1 the hottest), writers
		// drawn at random; the rows exist on both nodes before the mesh.
		name: "hot rows",
		schema: `CREATE TABLE stock (id int PRIMARY KEY, n bigint NOT NULL, writer text);
INSERT INTO stock SELECT g, 0, 'init' FROM generate_series(1, 3) g;`,
		capture:  "ALTER TABLE stock REPLICA IDENTITY FULL",
		sets:     map[string]string{"stock": "default"},
		counters: []string{"stock"},
		txns:     60,
		run: func(w *writers) {
			for _, p := range hotRowPlan(w.t, 1, 60, 3) {
				w.exec(who[p[0]], "UPDATE stock SET n = n + 1, writer = $1 WHERE id = $2", who[p[0]], p[1])
			}
		},
	},
	{
		// The same kind of workload with every write seen before the next:
		// a inserts 2 rows, then 30 increments by writers drawn at random.
		name:     "hot rows, W = 0",
		schema:   `CREATE TABLE tally (id int PRIMARY KEY, n bigint NOT NULL, writer text);`,
		sets:     map[string]string{"tally": "default"},
		counters: []string{"tally"},
		live:     true,
		txns:     31,
		run: func(w *writers) {
			w.exec("a", "INSERT INTO tally VALUES (1, 0, 'a'), (2, 0, 'a')")
			for _, p := range hotRowPlan(w.t, 3, 30, 2) {
				w.exec(who[p[0]], "UPDATE tally SET n = n + 1, writer = $1 WHERE id = $2", who[p[0]], p[1])
			}
		},
	},
}

func exec(t *testing.T, n *sandbox.Node, db string, sqls ...string) {
	t.Helper()
	for _, s := range sqls {
		if s == "" {
			continue
		}
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
func captureWorkload(t *testing.T, wl e2eWorkload) []byte {
	node, dsn := sandbox.TestDatabase(t, 15)
	db := dbName(dsn)
	exec(t, node, db, wl.schema, wl.capture)
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
	wl.run(&writers{t: t, conns: map[string]*pgx.Conn{"a": conn, "b": conn}})
	for deadline = time.Now().Add(20 * time.Second); ; {
		mu.Lock()
		n := txns
		mu.Unlock()
		if n >= int64(wl.txns) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("captured %d of %d transactions", n, wl.txns)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func forecast(t *testing.T, trace []byte, route string, lag time.Duration) *assess.ForecastReport {
	t.Helper()
	r, err := stream.NewReader(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	rr, err := assess.ParseRoute(route, 2)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := assess.Forecast(r, assess.ForecastOptions{Regions: 2, Lag: lag, Route: rr, HomeShare: 1})
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

// predicted is what the forecast says pglogical will log and keep: the
// conflicts it logs (origin-differs plus insert conflicts on sequence
// keys) and the sum of the counter column n over the rows.
func predicted(rep *assess.ForecastReport) (logged int64, sum float64) {
	logged = rep.Totals.OriginDiffers + rep.Totals.SeqInsertConflicts
	for _, tab := range rep.Tables {
		for _, c := range tab.Counters {
			if c.Column == "n" {
				sum += c.TotalDelta - c.LostDelta
			}
		}
	}
	return logged, sum
}

// TestObserveForecast captures each workload on a real server and checks
// the replay against hand-worked answers, then runs it across a two-node
// pglogical mesh and compares the forecast with what pglogical logged and
// kept. `go test -v -run TestObserveForecast ./inspect/stream` prints the
// numbers docs/observe.md shows.
func TestObserveForecast(t *testing.T) {
	reps := map[string]*assess.ForecastReport{}
	for _, wl := range workloads {
		trace := captureWorkload(t, wl)
		reps[wl.name] = forecast(t, trace, wl.route(), wl.lag())
		switch wl.name {
		case "counter and sequence":
			// W = 0: every write is seen before the next. Each update
			// after the first lands on a row the other region wrote last
			// (9 origin-differs, no concurrent pair, nothing lost).
			// Sequences are never replicated, so the 3 + 2 inserts still
			// clash on ids 1 and 2.
			got := tableCounts(forecast(t, trace, wl.route(), 0))
			want := map[string]assess.ForecastCounts{
				"public.counters": {Writes: 10, OriginDiffers: 9},
				"public.orders":   {Writes: 5, SeqCollisions: 2, SeqInsertConflicts: 4},
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("W=0 (-want +got):\n%s", d)
			}
			// W = 1 h: each node receives the other's 5 updates onto a
			// row it wrote itself: 10 origin-differs; 5×5 concurrent
			// pairs; the converged row holds the last writer's 5
			// increments: 5 lost.
			want["public.counters"] = assess.ForecastCounts{Writes: 10, OriginDiffers: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}
			if d := cmp.Diff(want, tableCounts(reps[wl.name])); d != "" {
				t.Errorf("W=1h (-want +got):\n%s", d)
			}
		case "insert-only":
			// Rows written once with keys that cannot collide: nothing.
			rep := reps[wl.name]
			want := map[string]assess.ForecastCounts{"public.audit_log": {Writes: 42}, "public.events": {Writes: 42}}
			if d := cmp.Diff(want, tableCounts(rep)); d != "" {
				t.Errorf("insert-only (-want +got):\n%s", d)
			}
			if rep.TotalConflictsPerDay != 0 || len(rep.HotRows) != 0 {
				t.Errorf("insert-only forecasts %v conflicts/day, hot rows %+v", rep.TotalConflictsPerDay, rep.HotRows)
			}
		case "hot rows":
			if rep := reps[wl.name]; rep.TotalConflictsPerDay <= 0 || rep.Totals.Concurrent == 0 || rep.Totals.LostIncrements == 0 {
				t.Errorf("hot rows: %v conflicts/day, %+v", rep.TotalConflictsPerDay, rep.Totals)
			}
		case "hot rows, W = 0":
			if rep := reps[wl.name]; rep.Totals.OriginDiffers == 0 || rep.Totals.Concurrent != 0 || rep.Totals.LostIncrements != 0 {
				t.Errorf("hot rows at W=0: %+v", rep.Totals)
			}
		}
	}

	t.Run("pglogical", func(t *testing.T) {
		m := newMesh(t)
		for _, wl := range workloads {
			rep := reps[wl.name]
			wantLogged, wantSum := predicted(rep)
			logged, sums := m.run(t, wl)
			t.Logf("%s: forecast (W=%s): %s conflicts/day, %d concurrent pairs, %d lost increments, %d conflicts logged, counter sum %v; pglogical: %d CONFLICT lines, counter sum %v",
				wl.name, wl.lag(), fmtPerDay(rep.TotalConflictsPerDay), rep.Totals.Concurrent, rep.Totals.LostIncrements, wantLogged, wantSum, logged, sums)
			if logged != wantLogged {
				t.Errorf("%s: pglogical logged %d conflicts, forecast %d", wl.name, logged, wantLogged)
			}
			for i, s := range sums {
				if float64(s) != wantSum {
					t.Errorf("%s: node%d counter sum = %d, forecast %v", wl.name, i+1, s, wantSum)
				}
			}
		}
	})
}

func fmtPerDay(v float64) string { return fmt.Sprintf("%.0f", v) }

type mesh struct {
	nodes [2]*sandbox.Node
	conns [2]*pgx.Conn
}

// newMesh sets up a two-node pglogical mesh (last_update_wins, conflicts
// logged at WARNING) holding every workload's tables, with
// forward_origins '{}' and no initial copy.
func newMesh(t *testing.T) *mesh {
	sandbox.NeedModule(t, 15, "pglogical")
	sb := sandbox.ForTest(t, 15, 2)
	m := &mesh{nodes: [2]*sandbox.Node{sb.Nodes[0], sb.Nodes[1]}}
	ctx := context.Background()
	for i, n := range m.nodes {
		exec(t, n, "",
			"ALTER SYSTEM SET pglogical.conflict_resolution = 'last_update_wins'",
			"ALTER SYSTEM SET pglogical.conflict_log_level = 'warning'",
			"SELECT pg_reload_conf()",
			"CREATE EXTENSION pglogical",
			fmt.Sprintf("SELECT pglogical.create_node(node_name := 'n%d', dsn := %s)", i+1, lit(n.KeywordDSN(""))))
		for _, wl := range workloads {
			exec(t, n, "", wl.schema)
			for _, table := range wl.tables() {
				exec(t, n, "", fmt.Sprintf("SELECT pglogical.replication_set_add_table(%s, %s)", lit(wl.sets[table]), lit(table)))
			}
		}
	}
	for i := range m.nodes {
		exec(t, m.nodes[i], "", fmt.Sprintf(`SELECT pglogical.create_subscription(subscription_name := 's%d', provider_dsn := %s,
			replication_sets := ARRAY['default', 'default_insert_only'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`,
			i+1, lit(m.nodes[1-i].KeywordDSN(""))))
	}
	for i, n := range m.nodes {
		waitFor(t, n, "SELECT count(*) FROM pglogical.show_subscription_status() WHERE status = 'replicating'", 1)
		c, err := n.Connect(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		m.conns[i] = c
	}
	return m
}

// state is a checksum of the workload's tables on node i.
func (m *mesh) state(t *testing.T, i int, wl e2eWorkload) string {
	t.Helper()
	var parts []string
	for _, table := range wl.tables() {
		var s string
		q := fmt.Sprintf("SELECT count(*) || ':' || coalesce(sum(hashtext(x::text)::bigint), 0) FROM %s x", pgx.Identifier{table}.Sanitize())
		if err := m.conns[i].QueryRow(context.Background(), q).Scan(&s); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, table+"="+s)
	}
	return strings.Join(parts, " ")
}

// settle waits until both nodes hold the same rows of the workload's
// tables and the conflict count has stopped moving, and returns the
// CONFLICT lines logged since offsets.
func (m *mesh) settle(t *testing.T, wl e2eWorkload, offsets [2]int64, stableFor int) int64 {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	stable := 0
	logged := int64(-1)
	for {
		s1, s2 := m.state(t, 0, wl), m.state(t, 1, wl)
		l := countConflicts(t, m.nodes[0], offsets[0]) + countConflicts(t, m.nodes[1], offsets[1])
		if s1 == s2 && l == logged {
			stable++
		} else {
			stable = 0
		}
		logged = l
		if stable >= stableFor {
			return logged
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: mesh did not converge: %s vs %s, %d conflicts logged", wl.name, s1, s2, l)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// run runs the workload on the mesh, waits for convergence and returns
// the CONFLICT lines logged during it and each node's sum of n over the
// workload's counter tables.
func (m *mesh) run(t *testing.T, wl e2eWorkload) (int64, []int64) {
	ctx := context.Background()
	offsets := [2]int64{logSize(t, m.nodes[0]), logSize(t, m.nodes[1])}
	w := &writers{t: t, conns: map[string]*pgx.Conn{"a": m.conns[0], "b": m.conns[1]}}
	if wl.live {
		w.sync = func() { m.settle(t, wl, offsets, 1) }
		wl.run(w)
	} else {
		exec(t, m.nodes[0], "", "SELECT pglogical.alter_subscription_disable('s1', true)")
		exec(t, m.nodes[1], "", "SELECT pglogical.alter_subscription_disable('s2', true)")
		wl.run(w)
		exec(t, m.nodes[0], "", "SELECT pglogical.alter_subscription_enable('s1', true)")
		exec(t, m.nodes[1], "", "SELECT pglogical.alter_subscription_enable('s2', true)")
	}
	logged := m.settle(t, wl, offsets, 20)
	var sums []int64
	for i, c := range m.conns {
		for table, want := range wl.rows {
			var got int
			if err := c.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: node%d holds %d rows of %s, want %d", wl.name, i+1, got, table, want)
			}
		}
		var sum int64
		for _, table := range wl.counters {
			var s int64
			q := fmt.Sprintf("SELECT coalesce(sum(n), 0) FROM %s", pgx.Identifier{table}.Sanitize())
			if err := c.QueryRow(ctx, q).Scan(&s); err != nil {
				t.Fatal(err)
			}
			sum += s
		}
		sums = append(sums, sum)
	}
	return logged, sums
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
