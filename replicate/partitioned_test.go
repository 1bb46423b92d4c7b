package replicate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Each node owns the rows whose region names it. A trigger that fires
// only for replicated changes logs every row a node receives, so a loop
// (a node receiving its own rows back) would show.
const partSchema = `CREATE TABLE public.orders (region text NOT NULL, id bigserial, amount int NOT NULL,
  PRIMARY KEY (region, id));
CREATE TABLE public.received (region text, op text);
CREATE FUNCTION public.log_received() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.received VALUES (coalesce(NEW.region, OLD.region), TG_OP);
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER log_received AFTER INSERT OR UPDATE OR DELETE ON public.orders
  FOR EACH ROW EXECUTE FUNCTION public.log_received();
ALTER TABLE public.orders ENABLE REPLICA TRIGGER log_received;`

// TestPartitioned bootstraps a write-partitioned mesh with native
// logical replication on every version (row filters; origin = none from
// 16), and with pglogical on 15.
func TestPartitioned(t *testing.T) {
	t.Parallel()
	eachLogical(t, func(t *testing.T, major int, engine string) {
		m := newMesh(t, major, 3, partSchema)
		// Each node already holds some of its own rows.
		for i := range m.conns {
			m.exec(i, `INSERT INTO orders (region, amount) SELECT $1, g FROM generate_series(1, 5) g`, m.names[i])
		}
		p := m.plan(TopologyPartitioned, engine, "public.orders")
		p.Topology.OwnerColumn = "region"
		mustBootstrap(t, p, Options{})
		t.Cleanup(func() { Teardown(t.Context(), p, Options{}) })
		m.converge(`SELECT region, id, amount FROM orders ORDER BY 1, 2`, 15)
		// Writes on every node, updates and deletes of owned rows.
		for i := range m.conns {
			m.exec(i, `INSERT INTO orders (region, amount) SELECT $1, 100 + g FROM generate_series(1, 10) g`, m.names[i])
			m.exec(i, `UPDATE orders SET amount = amount * 2 WHERE region = $1`, m.names[i])
			m.exec(i, `DELETE FROM orders WHERE region = $1 AND amount = 2`, m.names[i])
		}
		m.converge(`SELECT region, id, amount FROM orders ORDER BY 1, 2`, 3*14)
		if engine == EngineNative {
			checkNativeStatus(t, p, major)
		}
		if engine == EngineNative && major >= 18 {
			copiedRowsCountAsConflicts(t, p)
		}
		for i := range m.conns {
			// No node ever received a row it owns: no loops.
			if own := m.rows(i, fmt.Sprintf(`SELECT count(*) FROM received WHERE region = '%s'`, m.names[i])); own[0] != "0" {
				t.Errorf("%s received %s of its own rows back", m.names[i], own[0])
			}
			// It did receive the others' inserts, updates and deletes.
			got := strings.Join(m.rows(i, `SELECT op || ' ' || count(*) FROM received GROUP BY op ORDER BY op`), ", ")
			if want := "DELETE 2, INSERT 30, UPDATE 30"; got != want {
				t.Errorf("%s received %s, want %s", m.names[i], got, want)
			}
			// And no apply errors (conflicts) anywhere.
			if engine == EngineNative {
				if e := m.rows(i, `SELECT coalesce(sum(apply_error_count + sync_error_count), 0)::bigint FROM pg_stat_subscription_stats WHERE subname LIKE 'aadv%'`); e[0] != "0" {
					t.Errorf("%s: %s apply errors", m.names[i], e[0])
				}
			}
		}
	})
}

// checkNativeStatus checks what mesh status reads from a native mesh on a
// server version: every link streaming, with apply error counts (15+) and
// conflict counts only from 18 (pg_stat_subscription_stats.confl_*).
func checkNativeStatus(t *testing.T, p *Plan, major int) {
	t.Helper()
	n := len(p.Topology.Nodes)
	var st *Status
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st = MeshStatus(context.Background(), p, StatusOptions{})
		streaming := 0
		for _, l := range st.Links {
			if l.State == LinkStreaming {
				streaming++
			}
		}
		if len(st.Links) == n*(n-1) && streaming == len(st.Links) || time.Now().After(deadline) {
			break
		}
	}
	if len(st.Links) != n*(n-1) || len(st.Alarms) != 0 {
		t.Fatalf("PostgreSQL %d: want %d links and no alarms: %s %+v", major, n*(n-1), describeLinks(st), st.Alarms)
	}
	counted := major >= 18
	for _, l := range st.Links {
		if l.State != LinkStreaming || l.ApplyErrors == nil || *l.ApplyErrors != 0 || (l.Conflicts != nil) != counted {
			t.Errorf("PostgreSQL %d link %s->%s: state %s, apply errors %v, conflicts %v (counted from 18 only)",
				major, l.From, l.To, l.State, l.ApplyErrors, l.Conflicts)
		}
	}
	for _, nd := range st.Nodes {
		if !nd.Up || !strings.HasPrefix(nd.Version, fmt.Sprint(major)) || (nd.Conflicts != nil) != counted {
			t.Errorf("PostgreSQL %d node %+v", major, nd)
		}
	}
}

// copiedRowsCountAsConflicts pins a PostgreSQL 18 fact that the conflict
// counters and alerts must live with: rows the initial table sync copied
// carry the table sync's replication origin, so the first update of each
// by its owner counts as update_origin_differs on every subscriber, in a
// partitioned mesh that has no conflicts. Here: the 5 rows each owner held
// before bootstrap, updated once, on each of the 6 links.
func copiedRowsCountAsConflicts(t *testing.T, p *Plan) {
	t.Helper()
	var st *Status
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		st = MeshStatus(context.Background(), p, StatusOptions{})
		done := len(st.Links) == 6
		for _, l := range st.Links {
			done = done && l.ConflictsByType["update_origin_differs"] >= 5
		}
		if done || time.Now().After(deadline) {
			break
		}
	}
	for _, l := range st.Links {
		if len(l.ConflictsByType) != 1 || l.ConflictsByType["update_origin_differs"] != 5 {
			t.Errorf("link %s->%s: conflicts %v, want update_origin_differs 5 (the copied rows' first updates) and nothing else",
				l.From, l.To, l.ConflictsByType)
		}
	}
}
