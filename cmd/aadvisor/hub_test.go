package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

// The store chain of the hub-and-spoke tests: products are shared (no
// store_id), sales and stock belong to their store.
const starSchema = `CREATE TABLE public.products (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL);
CREATE TABLE public.sales (store_id int NOT NULL, id bigserial, product_id bigint NOT NULL, qty int NOT NULL,
  note text, PRIMARY KEY (store_id, id));
CREATE TABLE public.stock (store_id int NOT NULL, product_id bigint NOT NULL, qty int NOT NULL,
  PRIMARY KEY (store_id, product_id));`

// starSites is the number of stores of the end-to-end star.
const starSites = 10

// TestHubAndSpokeStar is the edge-site design end to end on PostgreSQL
// 18 (native logical replication, origin = none): recommend turns a
// retail chain's answers (WP-SITE, ten stores, 48 h offline) into a
// hub-and-spoke plan; bootstrap builds the star on a hub and ten sites
// (one subscription and one slot on each site, ten of each on the hub);
// one store is cut off (links disabled both ways) while it and HQ keep
// writing, another loses power (server stopped); both come back and
// everything converges, with mesh verify finding nothing; a new store
// joins and an old one closes. It logs the time to ready, the WAL held
// during the outage and the catch-up time (docs/bootstrap.md,
// docs/performance.md).
func TestHubAndSpokeStar(t *testing.T) {
	if testing.Short() {
		t.Skip("12 PostgreSQL servers: not with -short")
	}
	ctx := context.Background()
	t0 := time.Now()
	sb := sandboxtest.ForTest(t, 18, starSites+2) // hub, ten stores, one store that opens later
	t.Logf("sandbox of %d PostgreSQL %s nodes: %s", len(sb.Nodes), sb.Nodes[0].Install.Version, time.Since(t0).Round(time.Millisecond))
	conns := make([]*pgx.Conn, len(sb.Nodes))
	for i, n := range sb.Nodes {
		if err := n.Exec(ctx, "", "CREATE DATABASE app"); err != nil {
			t.Fatal(err)
		}
		c, err := n.Connect(ctx, "app")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		if _, err := c.Exec(ctx, starSchema); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	exec := func(i int, sql string, args ...any) {
		t.Helper()
		if _, err := conns[i].Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %s: %v", sb.Nodes[i].Name, sql, err)
		}
	}
	one := func(i int, sql string) string {
		t.Helper()
		var s string
		if err := conns[i].QueryRow(ctx, sql).Scan(&s); err != nil {
			t.Fatalf("%s: %s: %v", sb.Nodes[i].Name, sql, err)
		}
		return s
	}
	// HQ's catalogue; each store has sold already.
	exec(0, `INSERT INTO products SELECT g, 'product ' || g, g FROM generate_series(1, 200) g`)
	for i := 1; i <= starSites+1; i++ {
		exec(i, `INSERT INTO sales (store_id, product_id, qty) SELECT $1, g, 1 FROM generate_series(1, 20) g`, i)
	}

	// recommend: the retail chain's answers, ten stores.
	dir := t.TempDir()
	answers, err := os.ReadFile(filepath.Join("..", "..", "assess", "decide", "testdata", "profiles", "5.2-retail-edge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ansFile := filepath.Join(dir, "answers.yaml")
	if err := os.WriteFile(ansFile, append(answers, []byte(fmt.Sprintf("site_count: %d\npg_version: 18\n", starSites))...), 0o644); err != nil {
		t.Fatal(err)
	}
	planFile := filepath.Join(dir, "plan.yaml")
	if code, _, errs := runCLI(t, "", "recommend", "--answers", ansFile, "--out", planFile); code != 0 {
		t.Fatalf("recommend: exit %d: %s", code, errs)
	}
	p, err := replicate.ReadPlan(planFile)
	if err != nil {
		t.Fatal(err)
	}
	tp := p.Topology
	if p.Recommendation.Design != "WP-SITE" || tp.Kind != replicate.TopologyHubSpoke || tp.Hub != "hq" || tp.OwnerColumn != "store_id" ||
		len(tp.Nodes) != starSites+1 || tp.Offline == nil || tp.Offline.Hours != 48 || tp.Engine != replicate.EngineNative {
		t.Fatalf("recommend's plan: %s %+v", p.Recommendation.Design, tp)
	}
	// Fill in what a person fills in: the DSNs and each store's id.
	p.Topology.Database = "app"
	for i := range p.Topology.Nodes {
		n := &p.Topology.Nodes[i]
		n.DSN = sb.Nodes[i].DSN("app")
		if n.Role == replicate.RoleSite {
			n.Owns = []string{fmt.Sprint(i)}
		}
	}
	if err := p.WriteFile(planFile); err != nil {
		t.Fatal(err)
	}
	names := func(i int) string { return p.Topology.Nodes[i].Name }

	// bootstrap --plan builds the star.
	code, out, errs := runCLI(t, "", "bootstrap", "--plan", planFile, "--wal-sample", "1s", "--format", "json")
	if code != 0 {
		t.Fatalf("bootstrap: exit %d: %s\n%s", code, errs, out)
	}
	var res replicate.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !res.Ready || len(res.Links) != 2*starSites {
		t.Fatalf("bootstrap: ready %v, %d links", res.Ready, len(res.Links))
	}
	t.Logf("bootstrap of a hub and %d sites: %d steps, ready in %.1fs", starSites, len(res.Steps), float64(res.ElapsedMS)/1000)
	t.Cleanup(func() { runCLI(t, "", "mesh", "teardown", "--plan", planFile) })
	countStar := func(want map[int]int) {
		t.Helper()
		for i, w := range want {
			subs := one(i, `SELECT count(*)::text FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`)
			slots := one(i, `SELECT count(*)::text FROM pg_replication_slots WHERE database = current_database()`)
			if subs != fmt.Sprint(w) || slots != fmt.Sprint(w) {
				t.Errorf("%s: %s subscription(s), %s slot(s), want %d of each", sb.Nodes[i].Name, subs, slots, w)
			}
		}
	}
	want := map[int]int{0: starSites, starSites + 1: 0}
	for i := 1; i <= starSites; i++ {
		want[i] = 1
	}
	countStar(want)
	for i := 1; i <= starSites; i++ {
		if got := one(i, `SELECT string_agg(DISTINCT store_id::text, ',') FROM sales`); got != fmt.Sprint(i) {
			t.Errorf("%s holds sales of stores %s, want only %d", names(i), got, i)
		}
	}
	waitSame := func(what, sql string, nodes ...int) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(2 * time.Minute); ; time.Sleep(50 * time.Millisecond) {
			first, same := one(nodes[0], sql), true
			for _, i := range nodes[1:] {
				same = same && one(i, sql) == first
			}
			if same {
				return time.Since(start)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no convergence of %q", what, sql)
			}
		}
	}
	all := []int{}
	for i := 0; i <= starSites; i++ {
		all = append(all, i)
	}
	const catalogue = `SELECT count(*) || ' ' || coalesce(sum(price), 0) || ' ' || coalesce(max(name), '') FROM products`
	waitSame("catalogue", catalogue, all...)
	storeSales := func(s int) string {
		return fmt.Sprintf(`SELECT count(*) || ' ' || coalesce(sum(qty), 0) FROM sales WHERE store_id = %d`, s)
	}
	for i := 1; i <= starSites; i++ {
		waitSame("sales of "+names(i), storeSales(i), 0, i)
	}

	// The outage: store 3's links are cut both ways, store 5 loses power.
	// HQ, store 3 and the other stores keep writing.
	local := map[string]*sandbox.Node{}
	for i, n := range p.Topology.Nodes {
		local[n.Name] = sb.Nodes[i]
	}
	cut, err := replicate.CutOffSite(ctx, p, names(3), replicate.CutOffOptions{Mode: replicate.CutLinks})
	if err != nil {
		t.Fatal(err)
	}
	off, err := replicate.CutOffSite(ctx, p, names(5), replicate.CutOffOptions{Mode: replicate.CutStop, Local: local})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var written atomic.Int64
	writer := func(i int, sql string, args ...any) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := sb.Nodes[i].Connect(ctx, "app")
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close(context.Background())
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := c.Exec(ctx, sql, append(args, k)...); err != nil {
					t.Errorf("%s: %v", sb.Nodes[i].Name, err)
					return
				}
				written.Add(1)
			}
		}()
	}
	writer(0, `UPDATE products SET price = price + 1, name = 'v' || $1 WHERE id = 1 + $1 % 200`)
	writer(0, `INSERT INTO products SELECT 1000 + $1, 'new', 1 ON CONFLICT DO NOTHING`)
	writer(3, `INSERT INTO sales (store_id, product_id, qty, note) VALUES (3, 1 + $1 % 200, 2, repeat('x', 200))`)
	writer(7, `INSERT INTO sales (store_id, product_id, qty, note) VALUES (7, 1 + $1 % 200, 3, 'while 3 and 5 are out')`)
	outage := 10 * time.Second
	time.Sleep(outage)
	code, out, errs = runCLI(t, "", "mesh", "status", "--plan", planFile, "--format", "json")
	if code != 0 && code != 3 {
		t.Fatalf("mesh status: exit %d: %s", code, errs)
	}
	var st replicate.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	site := func(name string) replicate.SiteStatus {
		for _, s := range st.Hub.Sites {
			if s.Name == name {
				return s
			}
		}
		t.Fatalf("status: no site %s", name)
		return replicate.SiteStatus{}
	}
	s3, s5 := site(names(3)), site(names(5))
	if !s3.CutOff || !s3.Up || s3.HubHolds == nil || s3.SiteHolds == nil || !s5.CutOff || s5.Up || s5.HubHolds == nil {
		t.Fatalf("status during the outage: %+v %+v", s3, s5)
	}
	if h := s3.HubHolds; h.Limit != "max_slot_wal_keep_size" || h.SecondsLeft == nil || *h.SecondsLeft <= 0 || h.RetainedBytes <= 0 {
		t.Errorf("hub's slot for %s: %+v", names(3), h)
	}
	// Bootstrap sized the WAL for the rate it measured (idle: the 1 GiB
	// floor); under this load that lasts minutes, not the 48 h window.
	offlineAlarm := false
	for _, a := range st.Alarms {
		offlineAlarm = offlineAlarm || a.Kind == replicate.AlarmOfflineWindow && a.Node == "hq" && a.Link == s3.HubHolds.Slot
	}
	if !offlineAlarm {
		t.Errorf("no offline_window alarm for the hub's slot of %s: %+v", names(3), st.Alarms)
	}
	for i := 1; i <= starSites; i++ {
		if s := site(names(i)); s.CutOff != (i == 3 || i == 5) {
			t.Errorf("status: %s cut off = %v", names(i), s.CutOff)
		}
	}
	t.Logf("outage of %s, %d writes: hub holds %s for %s (lost in %.0fs at %s), %s holds %s for the hub; hub holds %s for %s (server stopped)",
		outage, written.Load(), inspect.FormatBytesShort(s3.HubHolds.RetainedBytes), names(3), *s3.HubHolds.SecondsLeft, replicate.FormatRate(*s3.HubHolds.Rate),
		names(3), inspect.FormatBytesShort(s3.SiteHolds.RetainedBytes), inspect.FormatBytesShort(s5.HubHolds.RetainedBytes), names(5))
	if got := one(0, storeSales(3)); got == one(3, storeSales(3)) {
		t.Errorf("hub has every sale of the store cut off: %s", got)
	}

	// Back: links enabled, server started; everything converges.
	back := time.Now()
	if err := cut.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	if err := off.Restore(ctx); err != nil {
		t.Fatal(err)
	}
	c5, err := sb.Nodes[5].Connect(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	conns[5] = c5
	t.Cleanup(func() { c5.Close(context.Background()) })
	waitSame("sales of the store cut off", storeSales(3), 0, 3)
	up := time.Since(back)
	waitSame("catalogue", catalogue, all...)
	down := time.Since(back)
	for i := 1; i <= starSites; i++ {
		waitSame("sales of "+names(i), storeSales(i), 0, i)
	}
	t.Logf("catch-up after the outage: the store's sales at the hub in %s, the catalogue at every store in %s", up.Round(time.Millisecond), down.Round(time.Millisecond))
	code, out, errs = runCLI(t, "", "mesh", "verify", "--plan", planFile)
	if code != 0 || !strings.Contains(out, "result: every compared row is the same on every node") {
		t.Fatalf("mesh verify: exit %d: %s\n%s", code, errs, out)
	}

	// A store opens (its own rows copied up, the catalogue down) and
	// another closes.
	newSite := fmt.Sprintf("site_%04d", starSites+1)
	code, out, errs = runCLI(t, "", "mesh", "add-node", "--plan", planFile, "--node", newSite+"="+sb.Nodes[starSites+1].DSN("app"),
		"--owns", fmt.Sprint(starSites+1))
	if code != 0 {
		t.Fatalf("add-node: exit %d: %s\n%s", code, errs, out)
	}
	waitSame("sales of the new store", storeSales(starSites+1), 0, starSites+1)
	waitSame("catalogue at the new store", catalogue, 0, starSites+1)
	code, out, errs = runCLI(t, "", "mesh", "remove-node", "--plan", planFile, "--node", names(2))
	if code != 0 {
		t.Fatalf("remove-node: exit %d: %s\n%s", code, errs, out)
	}
	want[starSites+1], want[2] = 1, 0
	countStar(want)
	code, out, errs = runCLI(t, "", "mesh", "verify", "--plan", planFile)
	if code != 0 {
		t.Fatalf("mesh verify after add-node and remove-node: exit %d: %s\n%s", code, errs, out)
	}
	if code, out, errs = runCLI(t, "", "mesh", "teardown", "--plan", planFile); code != 0 {
		t.Fatalf("teardown: exit %d: %s\n%s", code, errs, out)
	}
	countStar(map[int]int{0: 0, 1: 0, starSites + 1: 0})
}
