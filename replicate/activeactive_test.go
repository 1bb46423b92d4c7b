package replicate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

const aaSchema = `CREATE TABLE public.items (id bigserial PRIMARY KEY, node text NOT NULL, v int NOT NULL DEFAULT 0);
CREATE TABLE public.kv (k text PRIMARY KEY, v text)`

// testActiveActive bootstraps an n-node mesh and checks: the seed's rows
// reach everyone, rows written everywhere reach everyone, concurrent
// inserts never collide (sequence offsets), bootstrap is idempotent, and
// teardown leaves nothing behind.
func testActiveActive(t *testing.T, major, n int, engine string) (*mesh, *Plan) {
	if engine == EnginePglogical {
		sandboxtest.NeedModule(t, major, "pglogical")
	}
	t0 := time.Now()
	m := newMesh(t, major, n, aaSchema)
	t.Logf("sandbox %s", time.Since(t0))
	t0 = time.Now()
	// The seed (node1) holds rows already; the others are empty.
	m.exec(0, `INSERT INTO items (node) SELECT 'seed' FROM generate_series(1, 20)`)
	p := m.plan(TopologyActiveActive, engine)
	bootStart := time.Now()
	res := mustBootstrap(t, p, Options{})
	t.Logf("bootstrap %s (reported %dms)", time.Since(t0), res.ElapsedMS)
	t0 = time.Now()
	if got := countStatus(res, StepDone); got == 0 {
		t.Fatalf("no step ran: %s", stepSummary(res))
	}
	m.converge(`SELECT count(*) FROM items WHERE node = 'seed'`, 1)
	// Time from bootstrap start to the first row written after it on the
	// first node being read on the last (docs/bootstrap.md).
	m.exec(0, `INSERT INTO kv VALUES ('first', 'x')`)
	m.converge(`SELECT k FROM kv`, 1, 0, n-1)
	t.Logf("%s, %d nodes: bootstrap start to first replicated row %s", engine, n, time.Since(bootStart).Round(time.Millisecond))
	m.exec(0, `DELETE FROM kv WHERE k = 'first'`)
	m.converge(`SELECT k FROM kv`, 0)

	// Concurrent inserts on every node: keys never collide.
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range m.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := m.nodes[i].Connect(context.Background(), m.db)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Close(context.Background())
			for j := 0; j < 50; j++ {
				if _, err := conn.Exec(context.Background(), `INSERT INTO items (node) VALUES ($1)`, m.names[i]); err != nil {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("insert on node %d: %v", i+1, err)
		}
	}
	want := 20 + 50*n
	got := m.converge(`SELECT id, node FROM items ORDER BY id`, want)
	if len(got) != want {
		t.Fatalf("%d rows, want %d", len(got), want)
	}
	for i := range m.conns {
		// id mod n identifies the node that made the row.
		r := m.rows(i, fmt.Sprintf(`SELECT count(DISTINCT node) FROM items WHERE node <> 'seed' GROUP BY id %% %d HAVING count(DISTINCT node) > 1`, n))
		if len(r) > 0 {
			t.Fatalf("node %d: one residue class used by several nodes: %v", i+1, r)
		}
	}
	for i := range m.conns {
		m.exec(i, `INSERT INTO kv VALUES ($1, 'x')`, fmt.Sprintf("from-%d", i+1))
	}
	m.converge(`SELECT k, v FROM kv ORDER BY k`, n)
	t.Logf("writes %s", time.Since(t0))
	t0 = time.Now()

	// Idempotence: a second run creates nothing.
	again := mustBootstrap(t, p, Options{})
	if c := countStatus(again, StepDone); c != 0 {
		t.Fatalf("second bootstrap ran %d step(s): %s", c, stepSummary(again))
	}
	if len(again.Steps) != len(res.Steps) {
		t.Fatalf("second bootstrap planned %d steps, first %d", len(again.Steps), len(res.Steps))
	}
	t.Logf("second bootstrap %s", time.Since(t0))
	return m, p
}

// concurrentUpdates updates the same rows on every node at once and
// returns after the mesh has settled. Each UPDATE of the 20 rows can
// deadlock with the node's apply worker, which updates them in another
// order (or fail to serialize); like an application, the workload retries
// (docs/mesh.md), so every round commits on every node.
func concurrentUpdates(t *testing.T, m *mesh) {
	m.exec(0, `INSERT INTO kv SELECT 'hot-' || g, 'init' FROM generate_series(1, 20) g`)
	m.converge(`SELECT k FROM kv WHERE k LIKE 'hot-%' ORDER BY k`, 20)
	var wg sync.WaitGroup
	for i := range m.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := m.nodes[i].Connect(context.Background(), m.db)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(context.Background())
			for round := 0; round < 5; round++ {
				v := fmt.Sprintf("%s-r%d", m.names[i], round)
				for attempt := 1; ; attempt++ {
					_, err := conn.Exec(context.Background(), `UPDATE kv SET v = $1 WHERE k LIKE 'hot-%'`, v)
					if err == nil {
						break
					}
					if !retryable(err) || attempt == 20 {
						t.Errorf("%s, round %d, attempt %d: %v", m.names[i], round, attempt, err)
						return
					}
					t.Logf("%s, round %d: %v; retrying", m.names[i], round, err)
				}
			}
		}()
	}
	wg.Wait()
}

// retryable: the transaction lost a deadlock (40P01, deadlock_detected) or
// could not serialize (40001, serialization_failure); running it again is
// the application's answer.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

func teardownClean(t *testing.T, m *mesh, p *Plan) {
	t.Helper()
	ctx := context.Background()
	tr, err := Teardown(ctx, p, Options{})
	if err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if len(tr.Steps) == 0 {
		t.Fatal("teardown did nothing")
	}
	for i := range m.conns {
		left := m.rows(i, `SELECT 'pub ' || pubname FROM pg_publication WHERE pubname LIKE 'aadv%'
UNION ALL SELECT 'sub ' || subname FROM pg_subscription WHERE subname LIKE 'aadv%' AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots WHERE database = current_database()`)
		if len(left) > 0 {
			t.Errorf("%s after teardown: %v", m.names[i], left)
		}
		if p.Topology.Engine == EnginePglogical {
			left := m.rows(i, `SELECT 'node ' || node_name FROM pglogical.node UNION ALL SELECT 'set ' || set_name FROM pglogical.replication_set WHERE set_name LIKE 'aadv%' UNION ALL SELECT 'sub ' || sub_name FROM pglogical.subscription`)
			if len(left) > 0 {
				t.Errorf("%s after teardown: %v", m.names[i], left)
			}
		}
		// User data stays.
		if r := m.rows(i, `SELECT count(*) > 0 FROM items`); r[0] != "true" {
			t.Errorf("%s lost its rows", m.names[i])
		}
	}
	// A second teardown finds nothing to do and does not fail.
	if _, err := Teardown(ctx, p, Options{}); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
}

// TestNativeActiveActive runs native active-active (origin = none) on
// every version that has it (16+). Only 18 counts conflicts
// (pg_stat_subscription_stats.confl_*); on 16 and 17 status says they are
// unknown, and says why.
func TestNativeActiveActive(t *testing.T) {
	t.Parallel()
	for _, major := range sandboxtest.TestVersionsSince(16) {
		for _, n := range []int{2, 3} {
			if n == 2 && major != 18 {
				continue // two nodes: the newest version only
			}
			t.Run(fmt.Sprintf("pg%d_%dnodes", major, n), func(t *testing.T) {
				m, p := testActiveActive(t, major, n, EngineNative)
				concurrentUpdates(t, m)
				counted := major >= 18
				// Native apply has no conflict resolution: each node keeps
				// whatever change it applied last, so copies may diverge. On 18
				// the apply workers count the conflicts they saw. The view is
				// cluster-wide: only this test's database counts (other tests
				// share the servers, and a partitioned mesh counts conflicts
				// of its own, see TestPartitioned).
				var conflicts int
				deadline := time.Now().Add(15 * time.Second)
				for counted && conflicts == 0 && time.Now().Before(deadline) {
					time.Sleep(200 * time.Millisecond)
					conflicts = 0
					for i := range m.conns {
						r := m.rows(i, `SELECT coalesce(sum(ss.confl_update_origin_differs), 0)::bigint FROM pg_stat_subscription_stats ss
							JOIN pg_subscription s ON s.oid = ss.subid WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`)
						var c int
						fmt.Sscan(r[0], &c)
						conflicts += c
					}
				}
				if counted && conflicts == 0 {
					t.Error("concurrent updates of the same rows on every node, yet no update_origin_differs conflict counted")
				}
				st := MeshStatus(context.Background(), p, StatusOptions{})
				for _, l := range st.Links {
					if l.ApplyErrors == nil || (l.Conflicts != nil) != counted || (l.ConflictsByType != nil) != counted {
						t.Errorf("PostgreSQL %d link %s->%s: apply errors %v, conflicts %v by type %v: want errors counted, conflicts only on 18+",
							major, l.From, l.To, l.ApplyErrors, l.Conflicts, l.ConflictsByType)
					}
				}
				for _, nd := range st.Nodes {
					if !strings.HasPrefix(nd.Version, fmt.Sprint(major)) || (nd.Conflicts != nil) != counted ||
						(!counted && !strings.Contains(nd.ConflictsNote, "does not count conflicts (18+ does)")) {
						t.Errorf("PostgreSQL %d node %s: version %s, conflicts %v (%s)", major, nd.Name, nd.Version, nd.Conflicts, nd.ConflictsNote)
					}
				}
				if counted {
					var sum int64
					for _, nd := range st.Nodes {
						sum += *nd.Conflicts
					}
					if sum < int64(conflicts) {
						t.Errorf("status counts %d conflicts, pg_stat_subscription_stats %d", sum, conflicts)
					}
				}
				time.Sleep(time.Second) // let the last changes apply
				ref := m.rows(0, `SELECT k, v FROM kv WHERE k LIKE 'hot-%' ORDER BY k`)
				differ := 0
				for i := 1; i < n; i++ {
					got := m.rows(i, `SELECT k, v FROM kv WHERE k LIKE 'hot-%' ORDER BY k`)
					for j := range ref {
						if j < len(got) && got[j] != ref[j] {
							differ++
						}
					}
				}
				t.Logf("native origin=none, PostgreSQL %d, %d nodes: %d update_origin_differs conflicts counted; %d row copies differ from %s afterwards (no resolution)",
					major, n, conflicts, differ, m.names[0])
				teardownClean(t, m, p)
			})
		}
	}
}

func TestPglogicalActiveActive(t *testing.T) {
	t.Parallel()
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprintf("pg15_%dnodes", n), func(t *testing.T) {
			m, p := testActiveActive(t, 15, n, EnginePglogical)
			concurrentUpdates(t, m)
			// last_update_wins: every node ends with the same values.
			got := m.converge(`SELECT k, v FROM kv WHERE k LIKE 'hot-%' ORDER BY k`, 20)
			t.Logf("converged, e.g. %s", got[0])
			teardownClean(t, m, p)
		})
	}
}
