package replicate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
	dto "github.com/prometheus/client_model/go"
)

// writeLoad inserts rows into accounts on the given nodes until stop is
// closed; each node writes its own id range, so there are no conflicts.
func writeLoad(t *testing.T, m *testMesh, nodes []*sandbox.Node, stop <-chan struct{}) (wait func() int64) {
	t.Helper()
	var wg sync.WaitGroup
	var total atomic.Int64
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := n.Connect(context.Background(), m.db)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(context.Background())
			base := int64(i+1) * 10_000_000
			for k := int64(0); ; k++ {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond): // a steady load, not a flood
				}
				_, err := conn.Exec(context.Background(),
					"INSERT INTO accounts (id, owner, balance) SELECT g, $2, g % 100 FROM generate_series($1::bigint, $1::bigint + 49) g",
					base+k*50, n.Name)
				if err != nil {
					t.Error(err)
					return
				}
				total.Add(50)
				if _, err := conn.Exec(context.Background(), "UPDATE accounts SET balance = balance + 1 WHERE id = $1", base+k*50); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	return func() int64 { wg.Wait(); return total.Load() }
}

func gather(t *testing.T, s *Supervisor) map[string][]*dto.Metric {
	t.Helper()
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*dto.Metric{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf.GetMetric()
	}
	return out
}

func metricValue(ms []*dto.Metric, labels map[string]string) (float64, bool) {
	for _, m := range ms {
		ok := true
		for k, v := range labels {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			if m.Gauge != nil {
				return m.Gauge.GetValue(), true
			}
			return m.Counter.GetValue(), true
		}
	}
	return 0, false
}

func (m *testMesh) link(st *Status, from, to string) LinkStatus {
	for _, l := range st.Links {
		if l.From == from && l.To == to {
			return l
		}
	}
	return LinkStatus{State: "absent"}
}

// TestMeshNative runs status, supervision, verify and membership changes
// on a native mesh (origin = none) of every version that has it (16+).
func TestMeshNative(t *testing.T) {
	for _, major := range sandboxtest.TestVersionsSince(16) {
		t.Run(fmt.Sprintf("pg%d", major), func(t *testing.T) { testMeshNative(t, major) })
	}
}

func testMeshNative(t *testing.T, major int) {
	m := newTestMesh(t, major, 3, EngineNative)
	ctx := context.Background()
	n1, n2, n3 := m.sb.Nodes[0], m.sb.Nodes[1], m.sb.Nodes[2]
	// Conflicts are counted by the server from 18 (pg_stat_subscription_stats.confl_*).
	counted := major >= 18

	t.Run("status", func(t *testing.T) {
		m.exec(t, n1, "INSERT INTO accounts (id, owner) VALUES (1, 'a')")
		st := m.waitCaughtUp(t, 60*time.Second)
		if len(st.Nodes) != 3 || len(st.Links) != 6 || len(st.Alarms) != 0 {
			t.Fatalf("want 3 nodes, 6 links, no alarms; got %+v", st)
		}
		for _, n := range st.Nodes {
			if !n.Up || !strings.HasPrefix(n.Version, fmt.Sprint(major)) || len(n.Slots) != 2 ||
				(counted && (n.Conflicts == nil || *n.Conflicts != 0)) || (!counted && n.Conflicts != nil) {
				t.Errorf("node %+v", n)
			}
		}
		for _, l := range st.Links {
			want := "aadv_" + l.To + "_from_" + l.From
			if l.Subscription != want || l.From == l.To || l.RetainedBytes == nil || (l.Conflicts != nil) != counted || l.ApplyErrors == nil {
				t.Errorf("link %+v: want subscription %s with retained WAL, error counts and (18+) conflict counts", l, want)
			}
		}
		b, err := json.Marshal(st)
		if err != nil || !strings.Contains(string(b), `"schema_version":1`) {
			t.Errorf("json: %v %s", err, b)
		}
		rep, err := Verify(ctx, m.plan, VerifyOptions{})
		if err != nil || rep.Differences != 0 {
			t.Fatalf("converged mesh: %v %+v", err, rep)
		}
	})

	t.Run("kill -9 under write load", func(t *testing.T) {
		stop := make(chan struct{})
		wait := writeLoad(t, m, []*sandbox.Node{n1, n2}, stop)
		time.Sleep(700 * time.Millisecond)
		if err := n3.Kill(); err != nil {
			t.Fatal(err)
		}
		st := MeshStatus(ctx, m.plan, StatusOptions{})
		if st.Nodes[2].Up {
			t.Errorf("killed node reported up")
		}
		if l := m.link(st, n1.Name, n3.Name); l.State != LinkDown {
			t.Errorf("link to the killed node: %s", l.State)
		}
		time.Sleep(1500 * time.Millisecond)
		if err := n3.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(700 * time.Millisecond)
		close(stop)
		written := wait()
		m.waitCaughtUp(t, 90*time.Second)
		rep, err := Verify(ctx, m.plan, VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Differences != 0 {
			t.Fatalf("after crash and catch-up: %d differences: %+v", rep.Differences, summarize(rep))
		}
		if got := m.count(t, n3, "accounts"); got != written+1 {
			t.Errorf("rows on the restarted node = %d, want %d", got, written+1)
		}
	})

	t.Run("stopped node retains WAL", func(t *testing.T) {
		sup := NewSupervisor(m.plan, SuperviseOptions{DownBudget: time.Second})
		defer sup.Close()
		if err := n3.Stop(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
		defer n3.Start(ctx)
		first := sup.Poll(ctx)
		slot := m.link(first, n1.Name, n3.Name).Slot
		before, _ := metricValue(gather(t, sup)["aadvisor_mesh_slot_retained_wal_bytes"], map[string]string{"node": n1.Name, "slot": slot})
		m.exec(t, n1, "INSERT INTO accounts (id, owner, note) SELECT g, 'bulk', repeat('w', 200) FROM generate_series(90000000, 90020000) g")
		time.Sleep(1100 * time.Millisecond)
		st := sup.Poll(ctx)
		l := m.link(st, n1.Name, n3.Name)
		if l.State != LinkDown || l.RetainedBytes == nil || *l.RetainedBytes < 4<<20 {
			t.Errorf("link to the stopped node: want down with >= 4MiB retained; got %s %v", l.State, describeLinks(st))
		}
		after, ok := metricValue(gather(t, sup)["aadvisor_mesh_slot_retained_wal_bytes"], map[string]string{"node": n1.Name, "slot": slot})
		if !ok || after-before < 4<<20 {
			t.Errorf("retained WAL metric: before %v after %v", before, after)
		}
		if up, _ := metricValue(gather(t, sup)["aadvisor_mesh_node_up"], map[string]string{"node": n3.Name}); up != 0 {
			t.Errorf("node_up{%s} = %v", n3.Name, up)
		}
		h := sup.Health()
		if h.Status != "critical" || !hasAlarm(h.Alarms, AlarmNodeDown, n3.Name) {
			t.Errorf("health: want critical with node_down for %s past its budget; got %+v", n3.Name, h)
		}
		if err := n3.Start(ctx); err != nil {
			t.Fatal(err)
		}
		m.waitCaughtUp(t, 90*time.Second)
		st = sup.Poll(ctx)
		if len(st.Alarms) != 0 {
			t.Errorf("alarms after the node returned: %+v", st.Alarms)
		}
		var sawDown, sawUp bool
		for _, e := range sup.Events() {
			sawDown = sawDown || (e.Kind == "alarm" && e.Node == n3.Name)
			sawUp = sawUp || (e.Kind == "node_up" && e.Node == n3.Name)
		}
		if !sawDown || !sawUp {
			t.Errorf("events: %+v", sup.Events())
		}
	})

	t.Run("unique conflict breaks a link", func(t *testing.T) {
		// n2 gets a row that does not replicate (it carries an origin), then
		// n1 inserts the same key: applying it on n2 fails on the primary key.
		sub := "aadv_" + n2.Name + "_from_" + n1.Name
		m.exec(t, n2, fmt.Sprintf("ALTER SUBSCRIPTION %s SET (disable_on_error = true)", sub))
		conn, err := n2.Connect(ctx, m.db)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"SELECT pg_replication_origin_create('aadv_test')",
			"SELECT pg_replication_origin_session_setup('aadv_test')",
			"INSERT INTO accounts (id, owner) VALUES (777, 'local on n2')"} {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		m.exec(t, n1, "INSERT INTO accounts (id, owner) VALUES (777, 'from n1')")

		logs := &strings.Builder{}
		var mu sync.Mutex
		sup := NewSupervisor(m.plan, SuperviseOptions{AutoReenable: true, MaxReenables: 2, ReenableBackoff: 10 * time.Millisecond,
			Log: testLogger(lockedWriter{&mu, logs})})
		defer sup.Close()
		var st *Status
		deadline := time.Now().Add(60 * time.Second)
		for {
			st = sup.Poll(ctx)
			if hasAlarm(st.Alarms, AlarmLinkBroken, n2.Name) && strings.Contains(alarmText(st.Alarms), "not transient") {
				break
			}
			if time.Now().After(deadline) {
				mu.Lock()
				t.Fatalf("no alarm; links: %s; alarms: %+v\nlog:\n%s\n%s", describeLinks(st), st.Alarms, logs.String(), m.logTails())
			}
			time.Sleep(300 * time.Millisecond)
		}
		l := m.link(st, n1.Name, n2.Name)
		if (counted && l.ConflictsByType["insert_exists"] < 1) || (!counted && l.Conflicts != nil) || l.ApplyErrors == nil || *l.ApplyErrors < 1 {
			t.Errorf("link %s: want apply errors and (18+) insert_exists conflicts: %+v", sub, l)
		}
		if l.State != LinkFailed && l.State != LinkError {
			t.Errorf("link state %s", l.State)
		}
		mu.Lock()
		if !strings.Contains(logs.String(), "subscription re-enabled") || !strings.Contains(logs.String(), "level=ERROR msg=alarm") {
			t.Errorf("supervisor log:\n%s", logs.String())
		}
		mu.Unlock()
		// /healthz says critical, with the alarm.
		rec := httptest.NewRecorder()
		sup.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != 503 || !strings.Contains(rec.Body.String(), AlarmLinkBroken) {
			t.Errorf("healthz %d: %s", rec.Code, rec.Body.String())
		}
		rec = httptest.NewRecorder()
		sup.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Body)
		conflictMetric := `aadvisor_mesh_conflicts_total{from="` + n1.Name + `",node="` + n2.Name + `",type="insert_exists"}`
		if strings.Contains(string(body), conflictMetric) != counted {
			t.Errorf("PostgreSQL %d: want the conflict counter %s only from 18:\n%s", major, conflictMetric, body)
		}
		errorMetric := `aadvisor_mesh_link_apply_errors_total{from="` + n1.Name + `",subscription="` + sub + `",to="` + n2.Name + `"}`
		if v, ok := metricValue(gather(t, sup)["aadvisor_mesh_link_apply_errors_total"], map[string]string{"subscription": sub}); !ok || v < 1 {
			t.Errorf("metrics lack %s >= 1:\n%s", errorMetric, body)
		}

		// The fix: remove the local row without replicating the delete, and
		// re-enable; the link streams again and the mesh converges.
		if _, err := conn.Exec(ctx, "DELETE FROM accounts WHERE id = 777"); err != nil {
			t.Fatal(err)
		}
		conn.Exec(ctx, "SELECT pg_replication_origin_session_reset()")
		conn.Close(ctx)
		m.exec(t, n2, fmt.Sprintf("ALTER SUBSCRIPTION %s ENABLE", sub))
		m.waitCaughtUp(t, 60*time.Second)
		rep, err := Verify(ctx, m.plan, VerifyOptions{})
		if err != nil || rep.Differences != 0 {
			t.Fatalf("after the fix: %v %+v", err, summarize(rep))
		}
	})

	t.Run("remove-node and add-node", func(t *testing.T) { testMembership(t, m) })
}

func hasAlarm(as []Alarm, kind, node string) bool {
	for _, a := range as {
		if a.Kind == kind && a.Node == node {
			return true
		}
	}
	return false
}

func alarmText(as []Alarm) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString(a.Message + "\n")
	}
	return b.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (m *testMesh) slots(t *testing.T, node *sandbox.Node) []string {
	t.Helper()
	conn, err := node.Connect(context.Background(), m.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT slot_name::text FROM pg_replication_slots ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func (m *testMesh) subscriptions(t *testing.T, node *sandbox.Node) []string {
	t.Helper()
	conn, err := node.Connect(context.Background(), m.db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	q := "SELECT subname::text FROM pg_subscription ORDER BY 1"
	if m.plan.Topology.Engine == EnginePglogical {
		q = "SELECT sub_name::text FROM pglogical.subscription ORDER BY 1"
	}
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// testMembership removes a live node, adds it back empty, then removes it
// while it is down (as after a crash).
func testMembership(t *testing.T, m *testMesh) {
	ctx := context.Background()
	n1, n2, n3 := m.sb.Nodes[0], m.sb.Nodes[1], m.sb.Nodes[2]
	full := m.plan
	three := full.Topology.Nodes[2]

	two, res, err := RemoveNode(ctx, full, n3.Name, RemoveOptions{})
	if err != nil {
		t.Fatalf("remove-node: %v %+v", err, res)
	}
	if len(two.Topology.Nodes) != 2 {
		t.Fatalf("plan after remove: %+v", two.Topology.Nodes)
	}
	for _, n := range []*sandbox.Node{n1, n2} {
		for _, s := range m.slots(t, n) {
			if strings.Contains(s, n3.Name) {
				t.Errorf("slot %s left on %s", s, n.Name)
			}
		}
	}
	if subs := m.subscriptions(t, n3); len(subs) != 0 {
		t.Errorf("subscriptions left on the removed node: %v", subs)
	}
	if st := MeshStatus(ctx, two, StatusOptions{}); len(st.Links) != 2 {
		t.Errorf("links after remove: %s", describeLinks(st))
	}
	m.plan = two
	m.waitCaughtUp(t, 30*time.Second)

	// Add it back, empty, while the others keep their rows.
	m.exec(t, n3, "TRUNCATE accounts, events")
	m.exec(t, n1, "INSERT INTO accounts (id, owner) SELECT g, 'while n3 was out' FROM generate_series(95000000, 95000999) g")
	three3, ares, err := AddNode(ctx, two, three, Options{})
	if err != nil {
		t.Fatalf("add-node: %v %+v", err, ares)
	}
	m.plan = three3
	m.waitCaughtUp(t, 60*time.Second)
	rep, err := Verify(ctx, m.plan, VerifyOptions{})
	if err != nil || rep.Differences != 0 {
		t.Fatalf("after add-node: %v %+v", err, summarize(rep))
	}

	// Remove a node that is down: the others free the WAL its slots held.
	if err := n3.Kill(); err != nil {
		t.Fatal(err)
	}
	two, _, err = RemoveNode(ctx, m.plan, n3.Name, RemoveOptions{ConnectTimeout: 2 * time.Second})
	if err != nil {
		t.Fatalf("remove-node (down): %v", err)
	}
	for _, n := range []*sandbox.Node{n1, n2} {
		for _, s := range m.slots(t, n) {
			if strings.Contains(s, n3.Name) {
				t.Errorf("slot %s left on %s after removing a dead node", s, n.Name)
			}
		}
		for _, s := range m.subscriptions(t, n) {
			if strings.Contains(s, n3.Name) {
				t.Errorf("subscription %s left on %s", s, n.Name)
			}
		}
	}
	m.plan = two
	m.waitCaughtUp(t, 30*time.Second)
	// Back from the dead, it is cleaned by a second run with the old plan.
	if err := n3.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := RemoveNode(ctx, three3, n3.Name, RemoveOptions{}); err != nil {
		t.Fatalf("remove-node again: %v", err)
	}
	if subs := m.subscriptions(t, n3); len(subs) != 0 {
		t.Errorf("subscriptions left on the returned node: %v", subs)
	}
	m.plan = full
}
