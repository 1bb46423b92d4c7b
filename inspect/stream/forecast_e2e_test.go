package stream_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
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
	// (the forecast's lag 1 h), unless the run calls w.window().
	live bool
	// windows: the run calls w.window() between bursts of writes. On the
	// mesh each window ends with the subscriptions on until both nodes
	// agree, then off again: writes in one window never see each other,
	// writes in the next see them all. The capture pauses a second
	// instead, and the forecast's W lies between the longest window and
	// the shortest pause of the trace (windowLag).
	windows bool
	txns    int // transactions the workload commits
	run     func(w *writers)
}

// lag is the forecast's W for the workload; for windows, from the trace.
func (w e2eWorkload) lag(t *testing.T, trace []byte, bounds []int) time.Duration {
	switch {
	case w.live:
		return 0
	case w.windows:
		return windowLag(t, trace, bounds)
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

// writers runs statements as writer a or b, each its own transaction.
type writers struct {
	t      *testing.T
	conns  map[string]*pgx.Conn
	sync   func() // after each statement of a live mesh run
	next   func() // between windows
	n      int    // statements run
	bounds []int  // statements run when each window ended
}

func (w *writers) exec(who, sql string, args ...any) {
	w.t.Helper()
	if _, err := w.conns[who].Exec(context.Background(), sql, args...); err != nil {
		w.t.Fatalf("%s: %s: %v", who, sql, err)
	}
	w.n++
	if w.sync != nil {
		w.sync()
	}
}

// window ends a window of writes (e2eWorkload.windows).
func (w *writers) window() {
	w.bounds = append(w.bounds, w.n)
	w.next()
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
	{
		// Hot rows written in windows: in each, neither node sees the
		// other's writes; between them both catch up. a inserts rows 1
		// and 2, then (rows in brackets): a a a b [1]; a b a b a b a b
		// [1]; a a [1] b [2]; a [2] b [1] b [2] a [1]. See
		// TestObserveForecast for the counts worked by hand.
		name:     "hot rows in windows",
		schema:   `CREATE TABLE burst (id int PRIMARY KEY, n bigint NOT NULL, writer text);`,
		sets:     map[string]string{"burst": "default"},
		counters: []string{"burst"},
		windows:  true,
		txns:     20,
		run: func(w *writers) {
			w.exec("a", "INSERT INTO burst VALUES (1, 0, 'a'), (2, 0, 'a')")
			for _, window := range []string{"a1 a1 a1 b1", "a1 b1 a1 b1 a1 b1 a1 b1", "a1 a1 b2", "a2 b1 b2 a1"} {
				w.window()
				for _, x := range strings.Fields(window) {
					w.exec(x[:1], "UPDATE burst SET n = n + 1, writer = $1 WHERE id = $2", x[:1], int(x[1]-'0'))
				}
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
// the trace and where its windows end (writers.bounds).
func captureWorkload(t *testing.T, wl e2eWorkload) ([]byte, []int) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
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
	w := &writers{t: t, conns: map[string]*pgx.Conn{"a": conn, "b": conn}, next: func() { time.Sleep(time.Second) }}
	wl.run(w)
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
	return buf.Bytes(), w.bounds
}

// windowLag is a W between the longest window of the trace and the
// shortest pause between windows (bounds: the transactions before each
// window's end): every write in a window is less than W from the others,
// and reaches the other region before the next window starts.
func windowLag(t *testing.T, trace []byte, bounds []int) time.Duration {
	t.Helper()
	r, err := stream.NewReader(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	var at []time.Time
	for {
		txn, err := r.Next()
		if err != nil {
			break
		}
		at = append(at, txn.CommitTime)
	}
	var spread, gap time.Duration
	start := 0
	for _, end := range append(bounds, len(at)) {
		if end > len(at) || end <= start {
			t.Fatalf("windows end at %v, %d transactions", bounds, len(at))
		}
		spread = max(spread, at[end-1].Sub(at[start]))
		if start > 0 && (gap == 0 || at[start].Sub(at[start-1]) < gap) {
			gap = at[start].Sub(at[start-1])
		}
		start = end
	}
	if spread >= gap {
		t.Fatalf("windows overlap: the longest lasts %s, the shortest pause %s", spread, gap)
	}
	return ((spread + gap) / 2).Truncate(time.Millisecond)
}

func runForecast(t *testing.T, trace []byte, route string, lag time.Duration) *forecast.Report {
	t.Helper()
	r, err := stream.NewReader(bytes.NewReader(trace))
	if err != nil {
		t.Fatal(err)
	}
	rr, err := forecast.ParseRoute(route, 2)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := forecast.Run(r, forecast.Options{Regions: 2, Lag: lag, Route: rr, HomeShare: 1})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func tableCounts(rep *forecast.Report) map[string]forecast.Counts {
	out := map[string]forecast.Counts{}
	for _, t := range rep.Tables {
		out[t.Table] = t.Counts
	}
	return out
}

// predicted is what the forecast says pglogical will log and keep: the
// conflicts it logs (origin-differs plus insert conflicts on sequence
// keys), of them the conflicting applies and the key collisions, and the
// sum of the counter column n over the rows.
func predicted(rep *forecast.Report) (want logged, sum float64) {
	want = logged{all: rep.Totals.OriginDiffers + rep.Totals.SeqInsertConflicts,
		conflicting: rep.Totals.ConflictingApplies, keys: rep.Totals.SeqInsertConflicts}
	for _, tab := range rep.Tables {
		for _, c := range tab.Counters {
			if c.Column == "n" {
				sum += c.TotalDelta - c.LostDelta
			}
		}
	}
	return want, sum
}

// TestObserveForecast captures each workload on a real server and checks
// the replay against hand-worked answers, then runs it across a two-node
// pglogical mesh and compares the forecast with what pglogical logged and
// kept: every CONFLICT line, those whose local row holds a write the
// remote writer had not seen (the conflicting applies conflicts/day
// counts), and those on sequence keys (key collisions). `go test -v -run
// TestObserveForecast ./inspect/stream` prints the numbers docs/observe.md
// shows.
func TestObserveForecast(t *testing.T) {
	reps := map[string]*forecast.Report{}
	lags := map[string]time.Duration{}
	for _, wl := range workloads {
		trace, bounds := captureWorkload(t, wl)
		lags[wl.name] = wl.lag(t, trace, bounds)
		reps[wl.name] = runForecast(t, trace, wl.route(), lags[wl.name])
		switch wl.name {
		case "counter and sequence":
			// W = 0: every write is seen before the next. Each update
			// after the first lands on a row the other region wrote last
			// (9 origin-differs), but its writer had seen that write: no
			// conflicting apply, no concurrent pair, nothing lost.
			// Sequences are never replicated, so the 3 + 2 inserts still
			// clash on ids 1 and 2.
			got := tableCounts(runForecast(t, trace, wl.route(), 0))
			want := map[string]forecast.Counts{
				"public.counters": {Writes: 10, OriginDiffers: 9},
				"public.orders":   {Writes: 5, SeqCollisions: 2, SeqInsertConflicts: 4},
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("W=0 (-want +got):\n%s", d)
			}
			// W = 1 h: each node receives the other's 5 updates onto a
			// row it wrote itself: 10 origin-differs, all conflicting
			// applies; 5×5 concurrent pairs; the converged row holds the
			// last writer's 5 increments: 5 lost.
			want["public.counters"] = forecast.Counts{Writes: 10, OriginDiffers: 10, ConflictingApplies: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}
			if d := cmp.Diff(want, tableCounts(reps[wl.name])); d != "" {
				t.Errorf("W=1h (-want +got):\n%s", d)
			}
		case "insert-only":
			// Rows written once with keys that cannot collide: nothing.
			rep := reps[wl.name]
			want := map[string]forecast.Counts{"public.audit_log": {Writes: 42}, "public.events": {Writes: 42}}
			if d := cmp.Diff(want, tableCounts(rep)); d != "" {
				t.Errorf("insert-only (-want +got):\n%s", d)
			}
			if rep.TotalConflictsPerDay != 0 || rep.KeyCollisionsPerDay != 0 || len(rep.HotRows) != 0 {
				t.Errorf("insert-only forecasts %v conflicts/day, %v key collisions/day, hot rows %+v", rep.TotalConflictsPerDay, rep.KeyCollisionsPerDay, rep.HotRows)
			}
		case "hot rows":
			if rep := reps[wl.name]; rep.TotalConflictsPerDay <= 0 || rep.Totals.ConflictingApplies == 0 || rep.Totals.LostIncrements == 0 {
				t.Errorf("hot rows: %v conflicts/day, %+v", rep.TotalConflictsPerDay, rep.Totals)
			}
		case "hot rows, W = 0":
			if rep := reps[wl.name]; rep.Totals.OriginDiffers == 0 || rep.Totals.ConflictingApplies != 0 || rep.Totals.Concurrent != 0 || rep.Totals.LostIncrements != 0 {
				t.Errorf("hot rows at W=0: %+v", rep.Totals)
			}
		case "hot rows in windows":
			// By hand, window by window (pairs, logged, conflicting):
			//  1. a a a b on row 1: node a gets b's write onto its own
			//     (1 conflicting); node b wrote after a's three, which
			//     arrive one by one, lose, and each conflicts (3). Pairs
			//     3 < 4 conflicting applies. a's 3 increments are lost.
			//  2. a b a b a b a b on row 1: each node gets the other's 4
			//     writes onto its own: 8 conflicting applies, 16 pairs.
			//     b wrote last: a's 4 increments are lost.
			//  3. a a on row 1, b on row 2: a's first write reaches b,
			//     whose row 1 is its own from window 2, and b's reaches a,
			//     whose row 2 is its insert: 2 logged, but each writer had
			//     seen that row: 0 conflicting, 0 pairs, nothing lost.
			//  4. a on 2, b on 1, b on 2, a on 1: one pair per row, each
			//     write lands on the other's: 4 conflicting, 2 pairs, 2
			//     increments lost.
			// In all, 21 writes, 18 logged, 16 conflicting applies, 21
			// pairs (more than the 19 updates), 9 increments lost.
			want := map[string]forecast.Counts{"public.burst": {Writes: 21, OriginDiffers: 18, ConflictingApplies: 16, Concurrent: 21, LostIncrements: 9, LostDelta: 9}}
			if d := cmp.Diff(want, tableCounts(reps[wl.name])); d != "" {
				t.Errorf("windows, W=%s (-want +got):\n%s", lags[wl.name], d)
			}
		}
		// A table's conflicts/day: at least what the replay counts, never
		// more than one per remote change applied.
		for _, tab := range reps[wl.name].Tables {
			if perDay := tab.WritesPerSec * 86400; tab.ConflictsPerDay < tab.MeasuredPerDay || tab.ConflictsPerDay > perDay*(1+1e-9) {
				t.Errorf("%s: %s: %v conflicts/day, replay %v/day, writes %v/day", wl.name, tab.Table, tab.ConflictsPerDay, tab.MeasuredPerDay, perDay)
			}
		}
	}

	t.Run("pglogical", func(t *testing.T) {
		m := newMesh(t)
		for _, wl := range workloads {
			rep := reps[wl.name]
			want, wantSum := predicted(rep)
			got, sums := m.run(t, wl, rep)
			t.Logf("%s: forecast (W=%s): %s conflicts/day, %s key collisions/day, %d concurrent pairs, %d lost increments, %d conflicts logged (%d conflicting applies, %d key collisions), counter sum %v; pglogical: %d CONFLICT lines (%d onto a write the sender had not seen, %d on sequence keys), counter sum %v",
				wl.name, lags[wl.name], fmtPerDay(rep.TotalConflictsPerDay), fmtPerDay(rep.KeyCollisionsPerDay), rep.Totals.Concurrent, rep.Totals.LostIncrements,
				want.all, want.conflicting, want.keys, wantSum, got.all, got.conflicting, got.keys, sums)
			if got != want {
				t.Errorf("%s: pglogical logged %+v, forecast %+v", wl.name, got, want)
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
	sandboxtest.NeedModule(t, 15, "pglogical")
	sb := sandboxtest.ForTest(t, 15, 2)
	m := &mesh{nodes: [2]*sandbox.Node{sb.Nodes[0], sb.Nodes[1]}}
	ctx := context.Background()
	for i, n := range m.nodes {
		exec(t, n, "",
			"ALTER SYSTEM SET pglogical.conflict_resolution = 'last_update_wins'",
			"ALTER SYSTEM SET pglogical.conflict_log_level = 'warning'",
			"SELECT pg_reload_conf()",
			"CREATE EXTENSION pglogical",
			fmt.Sprintf("SELECT pglogical.create_node(node_name := 'n%d', dsn := %s)", i+1, inspect.QuoteLiteral(n.KeywordDSN(""))))
		for _, wl := range workloads {
			exec(t, n, "", wl.schema)
			for _, table := range wl.tables() {
				exec(t, n, "", fmt.Sprintf("SELECT pglogical.replication_set_add_table(%s, %s)", inspect.QuoteLiteral(wl.sets[table]), inspect.QuoteLiteral(table)))
			}
		}
	}
	for i := range m.nodes {
		exec(t, m.nodes[i], "", fmt.Sprintf(`SELECT pglogical.create_subscription(subscription_name := 's%d', provider_dsn := %s,
			replication_sets := ARRAY['default', 'default_insert_only'], synchronize_structure := false, synchronize_data := false, forward_origins := '{}')`,
			i+1, inspect.QuoteLiteral(m.nodes[1-i].KeywordDSN(""))))
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
// the CONFLICT lines logged during it (classified against the forecast
// rep: which tables have sequence keys) and each node's sum of n over the
// workload's counter tables.
func (m *mesh) run(t *testing.T, wl e2eWorkload, rep *forecast.Report) (logged, []int64) {
	ctx := context.Background()
	offsets := [2]int64{logSize(t, m.nodes[0]), logSize(t, m.nodes[1])}
	w := &writers{t: t, conns: map[string]*pgx.Conn{"a": m.conns[0], "b": m.conns[1]}}
	// epochs are the server times at which the nodes had seen every
	// earlier write: a conflict is a conflicting apply when the local row
	// was written in the remote write's epoch.
	var epochs []time.Time
	epoch := func() {
		var now time.Time
		if err := m.conns[0].QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
			t.Fatal(err)
		}
		epochs = append(epochs, now)
	}
	if wl.live {
		epoch()
		w.sync = func() { m.settle(t, wl, offsets, 1); epoch() }
		wl.run(w)
	} else {
		m.subscriptions(t, false)
		epoch()
		w.next = func() {
			m.subscriptions(t, true)
			m.settle(t, wl, offsets, 20)
			m.subscriptions(t, false)
			epoch()
		}
		wl.run(w)
		m.subscriptions(t, true)
	}
	m.settle(t, wl, offsets, 20)
	seqKeys := map[string]bool{}
	for _, tab := range rep.Tables {
		if tab.SequenceKey != "" {
			seqKeys[tab.Table] = true
		}
	}
	var got logged
	for i, n := range m.nodes {
		got.add(classifyConflicts(t, n, offsets[i], epochs, seqKeys))
	}
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
	return got, sums
}

// subscriptions turns both subscriptions on or off; off, it waits until
// both apply workers are gone, so no write made after it reaches the
// other node until they are on again.
func (m *mesh) subscriptions(t *testing.T, on bool) {
	t.Helper()
	for i, n := range m.nodes {
		if on {
			exec(t, n, "", fmt.Sprintf("SELECT pglogical.alter_subscription_enable('s%d', true)", i+1))
			continue
		}
		exec(t, n, "", fmt.Sprintf("SELECT pglogical.alter_subscription_disable('s%d', true)", i+1))
		waitFor(t, n, "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name LIKE 'pglogical apply%'", 0)
	}
}

// logged counts pglogical's CONFLICT lines: all of them, those whose
// local row holds a write the remote writer had not seen (conflicting
// applies), and remote inserts on a sequence-keyed table (key
// collisions).
type logged struct{ all, conflicting, keys int64 }

func (l *logged) add(o logged) {
	l.all += o.all
	l.conflicting += o.conflicting
	l.keys += o.keys
}

// conflictRE is one CONFLICT line of pglogical and its DETAIL
// (pglogical_report_conflict): the operation, the relation, the local
// row's commit time and the remote transaction's.
var conflictRE = regexp.MustCompile(`CONFLICT: remote (\w+) on relation (\S+) [^\n]*\n[^\n]*DETAIL:\s+(?:existing local tuple \{[^}]*\} xid=\d+,origin=-?\d+,timestamp=([^;]*); )?remote tuple \{[^}]*\}\*? in xact origin=\d+,timestamp=([^,]+),`)

// classifyConflicts reads the CONFLICT lines node n logged from offset
// from. epochs are the times at which both nodes had seen every earlier
// write: the local row of a conflicting apply was written in the same
// epoch as the remote write, after its start.
func classifyConflicts(t *testing.T, n *sandbox.Node, from int64, epochs []time.Time, seqKeys map[string]bool) logged {
	t.Helper()
	b, err := os.ReadFile(n.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) < from {
		from = 0
	}
	text := string(b[from:])
	var l logged
	l.all = int64(strings.Count(text, "CONFLICT: remote"))
	const layout = "2006-01-02 15:04:05.999999-07"
	matches := conflictRE.FindAllStringSubmatch(text, -1)
	if int64(len(matches)) != l.all {
		t.Fatalf("%s: %d CONFLICT lines, %d read with their DETAIL (log %s)", n.Name, l.all, len(matches), n.LogFile)
	}
	for _, m := range matches {
		if m[1] == "INSERT" && seqKeys[m[2]] {
			l.keys++
			continue
		}
		if m[3] == "" {
			t.Fatalf("%s: a conflict without a local row: %s", n.Name, m[0])
		}
		local, err1 := time.Parse(layout, m[3])
		remote, err2 := time.Parse(layout, m[4])
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: conflict times %q, %q: %v %v", n.Name, m[3], m[4], err1, err2)
		}
		start := time.Time{}
		for _, e := range epochs {
			if !e.After(remote) {
				start = e
			}
		}
		if !local.Before(start) {
			l.conflicting++
		}
	}
	return l
}

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
