package replicate

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A store chain: products are shared (no store_id, written at HQ), sales
// and stock belong to their store. A trigger enabled only for replicated
// changes logs every sales row a node receives, so a row coming back to
// its own store, or reaching another store, shows.
const hubSchema = `CREATE TABLE public.products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE public.sales (store_id int NOT NULL, id bigserial, product_id bigint NOT NULL, qty int NOT NULL,
  PRIMARY KEY (store_id, id));
CREATE TABLE public.stock (store_id int NOT NULL, product_id bigint NOT NULL, qty int NOT NULL,
  PRIMARY KEY (store_id, product_id));
CREATE TABLE public.received (store_id int, op text);
CREATE FUNCTION public.log_received() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.received VALUES (coalesce(NEW.store_id, OLD.store_id), TG_OP);
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER log_received AFTER INSERT OR UPDATE OR DELETE ON public.sales
  FOR EACH ROW EXECUTE FUNCTION public.log_received();
ALTER TABLE public.sales ENABLE REPLICA TRIGGER log_received;`

// hubTables are the tables the star replicates (received is each node's
// own log).
var hubTables = []string{"public.products", "public.sales", "public.stock"}

// hubPlan makes node 1 the hub and the others sites; site i owns
// store_id i.
func (m *mesh) hubPlan(engine string) *Plan {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyHubSpoke, Engine: engine, Database: m.db,
		Tables: hubTables, OwnerColumn: "store_id", Hub: m.names[0]}}
	for i, n := range m.nodes {
		pn := PlanNode{Name: m.names[i], DSN: n.DSN(m.db), Role: RoleSite, Owns: []string{fmt.Sprint(i)}}
		if i == 0 {
			pn.Role, pn.Owns = RoleHub, nil
		}
		p.Topology.Nodes = append(p.Topology.Nodes, pn)
	}
	return p
}

// TestHubAndSpoke builds a hub and two sites with native logical
// replication on every version (row filters; origin = none from 16) and
// with pglogical on 15: each site's rows reach the hub and no other site,
// the shared table reaches every site, a site cut off keeps writing and
// catches up, verify finds nothing, teardown leaves nothing.
func TestHubAndSpoke(t *testing.T) {
	t.Parallel()
	eachLogical(t, testHubAndSpoke)
}

func testHubAndSpoke(t *testing.T, major int, engine string) {
	ctx := context.Background()
	m := newMesh(t, major, 3, hubSchema)
	// HQ holds the catalogue; each store already sold something.
	m.exec(0, `INSERT INTO products SELECT g, 'p' || g, g FROM generate_series(1, 10) g`)
	for i := 1; i < 3; i++ {
		m.exec(i, `INSERT INTO sales (store_id, product_id, qty) SELECT $1, g, 1 FROM generate_series(1, 5) g`, i)
	}
	p := m.hubPlan(engine)
	p.Topology.Offline = &Offline{Hours: 0.5}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	res := mustBootstrap(t, p, Options{WALSample: -1})
	t.Cleanup(func() { Teardown(context.Background(), p, Options{}) })
	checkStar(t, m, p, res)

	// The catalogue reached every store; each store's sales reached HQ only.
	m.converge(`SELECT id, name, price FROM products ORDER BY 1`, 10)
	m.converge(`SELECT store_id, id, qty FROM sales ORDER BY 1, 2`, 10, 0)
	for i := 1; i < 3; i++ {
		if got := m.rows(i, `SELECT DISTINCT store_id FROM sales`); strings.Join(got, ",") != fmt.Sprint(i) {
			t.Errorf("%s holds sales of stores %v, want only %d", m.names[i], got, i)
		}
	}
	// Writes: HQ changes the catalogue, each store sells, updates, deletes.
	m.exec(0, `UPDATE products SET price = price + 1 WHERE id <= 5`)
	m.exec(0, `INSERT INTO products VALUES (11, 'new', 11)`)
	for i := 1; i < 3; i++ {
		m.exec(i, `INSERT INTO sales (store_id, product_id, qty) SELECT $1, g, 2 FROM generate_series(1, 10) g`, i)
		m.exec(i, `UPDATE sales SET qty = qty * 10 WHERE store_id = $1 AND product_id = 1`, i)
		m.exec(i, `DELETE FROM sales WHERE store_id = $1 AND product_id = 2`, i)
		m.exec(i, `INSERT INTO stock VALUES ($1, 1, 5)`, i)
	}
	m.converge(`SELECT id, name, price FROM products ORDER BY 1`, 11)
	m.converge(`SELECT store_id, id, qty FROM sales WHERE store_id = 1 ORDER BY 1, 2`, 13, 0, 1)
	m.converge(`SELECT store_id, id, qty FROM sales WHERE store_id = 2 ORDER BY 1, 2`, 13, 0, 2)
	m.converge(`SELECT store_id, product_id, qty FROM stock ORDER BY 1, 2`, 2, 0)

	// Site 1 cut off: both keep writing, then it catches up.
	cut, err := CutOffSite(ctx, p, m.names[1], CutOffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m.exec(1, `INSERT INTO sales (store_id, product_id, qty) SELECT 1, g, 3 FROM generate_series(1, 20) g`)
	m.exec(0, `UPDATE products SET name = name || '-v2'`)
	m.exec(2, `INSERT INTO sales (store_id, product_id, qty) VALUES (2, 1, 7)`)
	m.converge(`SELECT name FROM products ORDER BY id`, 11, 0, 2)
	if got := m.rows(1, `SELECT count(*) FROM products WHERE name LIKE '%-v2'`); got[0] != "0" {
		t.Fatalf("site cut off received %s catalogue updates", got[0])
	}
	if got := m.rows(0, `SELECT count(*) FROM sales WHERE store_id = 1 AND qty = 3`); got[0] != "0" {
		t.Fatalf("hub received %s sales from a site cut off", got[0])
	}
	st := MeshStatus(ctx, p, StatusOptions{})
	cutSite := hubSite(t, st, m.names[1])
	if !cutSite.CutOff || cutSite.HubHolds == nil || cutSite.SiteHolds == nil ||
		cutSite.HubHolds.Limit != "max_slot_wal_keep_size" || cutSite.HubHolds.SafeWALBytes == nil {
		t.Errorf("status of the site cut off: %+v (hub holds %+v, site holds %+v)", cutSite, cutSite.HubHolds, cutSite.SiteHolds)
	}
	if other := hubSite(t, st, m.names[2]); other.CutOff || other.HubHolds != nil {
		t.Errorf("status of the other site: %+v", other)
	}
	if err := cut.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	m.converge(`SELECT id, name, price FROM products ORDER BY 1`, 11)
	m.converge(`SELECT store_id, id, qty FROM sales WHERE store_id = 1 ORDER BY 1, 2`, 33, 0, 1)

	// Nothing went where it must not: no store received sales, its own
	// or another's; HQ received every store's.
	for i := 1; i < 3; i++ {
		if got := m.rows(i, `SELECT count(*) FROM received`); got[0] != "0" {
			t.Errorf("%s received %s sales rows", m.names[i], got[0])
		}
	}
	st = waitStar(t, p)
	if len(st.Alarms) != 0 {
		t.Errorf("alarms after the outage: %+v", st.Alarms)
	}
	rep, err := Verify(ctx, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// One comparison of the shared tables, then two per site table and
	// site: its rows, and rows of other owners.
	if rep.Differences != 0 || len(rep.Tables) != 1+2*2*2 {
		t.Errorf("verify: %d differences in %d comparisons: %+v", rep.Differences, len(rep.Tables), rep.Tables)
	}
	// A site writes the shared table, another a row of the first site's:
	// status flags the first, verify finds both, its repair script fixes
	// them.
	m.exec(1, `UPDATE products SET price = 0 WHERE id = 3`)
	m.exec(2, `INSERT INTO sales (store_id, product_id, qty) VALUES (1, 99, 1)`)
	st = MeshStatus(ctx, p, StatusOptions{})
	if s := hubSite(t, st, m.names[1]); s.SharedWrites["public.products"] != 1 || !hasAlarm(st.Alarms, AlarmSharedWrite, m.names[1]) {
		t.Errorf("shared write not flagged: %+v, alarms %s", s, alarmText(st.Alarms))
	}
	time.Sleep(time.Second) // the store-1 row of site 2 goes nowhere; give it the time to
	rep, err = Verify(ctx, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tv := range rep.Tables {
		for _, d := range tv.Diffs {
			for node, kind := range d.Nodes {
				got[tv.Table+" "+node] = kind
			}
		}
	}
	want := map[string]string{"public.products " + m.names[1]: DiffDifferent, "public.sales " + m.names[2]: DiffExtra}
	if rep.Differences != 2 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("verify: %d differences %v, want %v", rep.Differences, got, want)
	}
	for node, script := range rep.RepairScripts() {
		i := m.index(node)
		m.exec(i, "BEGIN; SET LOCAL session_replication_role = replica; "+script+" COMMIT")
	}
	if rep, err = Verify(ctx, p, VerifyOptions{}); err != nil || rep.Differences != 0 {
		t.Fatalf("verify after repair: %v, %+v", err, rep)
	}
	p = hubMembership(t, m, p)
	teardownHubClean(t, m, p)
}

// hubMembership closes store 2 and opens it again: removing it drops its
// links and slots on both ends and touches nothing else; joining it back
// is refused while the hub holds its rows and it holds shared rows, and
// copies its rows up and the shared tables down once they are gone.
func hubMembership(t *testing.T, m *mesh, p *Plan) *Plan {
	t.Helper()
	ctx := context.Background()
	site := p.Topology.Nodes[2]
	np, _, err := RemoveNode(ctx, p, site.Name, RemoveOptions{})
	if err != nil {
		t.Fatalf("remove-node: %v", err)
	}
	for _, i := range []int{0, 2} {
		subs, slots := starObjects(t, m, p, i)
		want := map[int]int{0: 1, 2: 0}[i]
		if len(subs) != want || len(slots) != want {
			t.Errorf("%s after remove-node: subscriptions %v, slots %v", m.names[i], subs, slots)
		}
	}
	if got := m.rows(2, `SELECT count(*) FROM pg_namespace WHERE nspname = 'aadv_guard'`); got[0] != "0" {
		t.Errorf("%s keeps its guard after remove-node", m.names[2])
	}
	if subs, _ := starObjects(t, m, p, 1); len(subs) != 1 {
		t.Errorf("remove-node changed another site: %v", subs)
	}
	if rep, err := Verify(ctx, np, VerifyOptions{}); err != nil || rep.Differences != 0 {
		t.Fatalf("verify without the site: %v %+v", err, rep)
	}
	// Back: refused while rows would clash.
	_, res, err := AddNode(ctx, np, site, Options{WALSample: -1})
	if err == nil {
		t.Fatal("add-node over clashing rows succeeded")
	}
	var failed []string
	if res != nil && res.Bootstrap != nil {
		for _, c := range res.Bootstrap.Failed() {
			failed = append(failed, c.Node+" "+c.Name)
		}
	}
	if want := []string{m.names[0] + " site rows at the hub", m.names[2] + " empty shared tables"}; fmt.Sprint(failed) != fmt.Sprint(want) {
		t.Fatalf("add-node prechecks failed %v, want %v (%v)", failed, want, err)
	}
	m.exec(0, `DELETE FROM sales WHERE store_id = 2`)
	m.exec(0, `DELETE FROM stock WHERE store_id = 2`)
	m.exec(2, `DELETE FROM products`)
	m.exec(2, `INSERT INTO sales (store_id, product_id, qty) VALUES (2, 5, 5)`)
	bootMu.Lock()
	back, res, err := AddNode(ctx, np, site, Options{WALSample: -1})
	bootMu.Unlock()
	if err != nil {
		t.Fatalf("add-node: %v %s", err, stepSummary(res.Bootstrap))
	}
	if len(back.Topology.Nodes) != 3 {
		t.Fatalf("plan after add-node: %+v", back.Topology.Nodes)
	}
	for _, st := range res.Steps {
		if st.Node != m.names[0] && st.Node != m.names[2] {
			t.Errorf("add-node touched %s: %s", st.Node, st.Action)
		}
	}
	m.converge(`SELECT store_id, id, qty FROM sales WHERE store_id = 2 ORDER BY 1, 2`, 15, 0, 2)
	m.converge(`SELECT id, name, price FROM products ORDER BY 1`, 11)
	waitStar(t, back)
	if rep, err := Verify(ctx, back, VerifyOptions{}); err != nil || rep.Differences != 0 {
		t.Fatalf("verify after add-node: %v %+v", err, rep)
	}
	return back
}

func hubSite(t *testing.T, st *Status, name string) SiteStatus {
	t.Helper()
	if st.Hub == nil {
		t.Fatalf("status has no hub section: %+v", st)
	}
	for _, s := range st.Hub.Sites {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("status has no site %s: %+v", name, st.Hub)
	return SiteStatus{}
}

// waitStar waits until every link of the star streams.
func waitStar(t *testing.T, p *Plan) *Status {
	t.Helper()
	var st *Status
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		st = MeshStatus(context.Background(), p, StatusOptions{})
		ok := len(st.Links) > 0
		for _, l := range st.Links {
			ok = ok && l.State == LinkStreaming
		}
		if ok {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("star not streaming: %s", describeLinks(st))
		}
	}
}

func (m *mesh) index(name string) int {
	for i, n := range m.names {
		if n == name {
			return i
		}
	}
	m.t.Fatalf("no node %s", name)
	return -1
}

// checkStar counts each node's subscriptions and slots: one of each on a
// site, one per site on the hub; no site subscribes to another.
func checkStar(t *testing.T, m *mesh, p *Plan, res *Result) {
	t.Helper()
	sites := len(m.nodes) - 1
	for i := range m.conns {
		subs, slots := starObjects(t, m, p, i)
		want := 1
		if i == 0 {
			want = sites
		}
		if len(subs) != want || len(slots) != want {
			t.Errorf("%s: %d subscription(s) %v and %d slot(s) %v, want %d of each", m.names[i], len(subs), subs, len(slots), slots, want)
		}
		for _, s := range subs {
			if i > 0 && !strings.HasSuffix(s, "_from_"+m.names[0]) {
				t.Errorf("site %s subscribes to %s, not to the hub", m.names[i], s)
			}
		}
	}
	if len(res.Links) != 2*sites {
		t.Errorf("%d links, want %d: %+v", len(res.Links), 2*sites, res.Links)
	}
}

// starObjects lists node i's subscriptions and logical slots of the test
// database.
func starObjects(t *testing.T, m *mesh, p *Plan, i int) (subs, slots []string) {
	t.Helper()
	if p.Topology.Engine == EnginePglogical {
		subs = m.rows(i, `SELECT sub_name FROM pglogical.subscription ORDER BY 1`)
	} else {
		subs = m.rows(i, `SELECT subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY 1`)
	}
	slots = m.rows(i, `SELECT slot_name FROM pg_replication_slots WHERE database = current_database() ORDER BY 1`)
	return subs, slots
}

func teardownHubClean(t *testing.T, m *mesh, p *Plan) {
	t.Helper()
	ctx := context.Background()
	if _, err := Teardown(ctx, p, Options{}); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	for i := range m.conns {
		left := m.rows(i, `SELECT 'pub ' || pubname FROM pg_publication WHERE pubname LIKE 'aadv%'
UNION ALL SELECT 'sub ' || subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots WHERE database = current_database()
UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname = 'aadv_guard'
UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname LIKE 'aadv%'`)
		if len(left) > 0 {
			t.Errorf("%s after teardown: %v", m.names[i], left)
		}
		if r := m.rows(i, `SELECT count(*) > 0 FROM sales`); r[0] != "true" {
			t.Errorf("%s lost its rows", m.names[i])
		}
	}
}
