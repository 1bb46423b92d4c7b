package replicate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRate(t *testing.T) {
	for _, c := range []struct {
		in   string
		want float64
		err  string
	}{
		{"1200", 1200, ""},
		{"4MiB/s", 4 << 20, ""},
		{"4MB/s", 4 << 20, ""},
		{"512kB", 512 << 10, ""},
		{"1.5 GiB/s", 1.5 * (1 << 30), ""},
		{"0", 0, ""},
		{"fast", 0, `"fast": want bytes a second, e.g. 4MiB/s`},
		{"-1MB/s", 0, `"-1MB/s": want bytes a second, e.g. 4MiB/s`},
		{"3 parsecs", 0, `"3 parsecs": unknown unit "parsecs" (want B, kB, MB, GB or TB)`},
	} {
		got, err := ParseRate(c.in)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseRate(%q) = %v, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

// The WAL a node keeps for the window: rate × hours × 3600 × 1.5, and
// what bootstrap sets max_slot_wal_keep_size to.
func TestWALSizing(t *testing.T) {
	o := &Offline{Hours: 48}
	mib := float64(1 << 20)
	if got, want := o.WALToHold(mib), int64(mib*48*3600*1.5); got != want {
		t.Errorf("WALToHold(1MiB/s, 48 h) = %d, want %d", got, want)
	}
	for _, c := range []struct {
		rate   float64
		keepMB int64
		want   int64
	}{
		{mib, -1, 259200},      // unlimited: set to rate × window × 1.5
		{mib, 100000, 259200},  // too low: raised
		{mib, 300000, 0},       // enough: left alone
		{0, -1, 1024},          // idle: the floor
		{0, 2048, 0},           // idle, above the floor
		{mib / 1000, -1, 1024}, // tiny rate: still the floor
	} {
		if got := walTarget(&walFacts{Rate: c.rate, KeepMB: c.keepMB}, o); got != c.want {
			t.Errorf("walTarget(rate %v, keep %d MB) = %d MB, want %d", c.rate, c.keepMB, got, c.want)
		}
	}
}

func TestMeasuredRate(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	long, short := at.Add(-48*time.Hour), at.Add(-10*time.Minute)
	bytes := int64(48 * 3600 * 1000) // 1 kB/s over two days
	for _, c := range []struct {
		name    string
		a, z    walSample
		want    float64
		wantSrc string
	}{
		{"sample only", walSample{lsn: 0, at: at}, walSample{lsn: 50000, at: at.Add(5 * time.Second)}, 10000, "measured over 5s"},
		{"average is larger", walSample{lsn: 0, at: at, walBytes: &bytes, reset: &long}, walSample{lsn: 0, at: at.Add(5 * time.Second)}, 1000, "pg_stat_wal average since 2026-11-29 12:00Z"},
		{"sample is larger", walSample{lsn: 0, at: at, walBytes: &bytes, reset: &long}, walSample{lsn: 50000, at: at.Add(5 * time.Second)}, 10000, "measured over 5s"},
		{"statistics too young", walSample{lsn: 0, at: at, walBytes: &bytes, reset: &short}, walSample{lsn: 0, at: at.Add(5 * time.Second)}, 0, "measured over 5s"},
		{"no sample", walSample{at: at}, walSample{}, 0, "no measurement"},
	} {
		got, src := measuredRate(c.a, c.z, 5*time.Second)
		if got != c.want || src != c.wantSrc {
			t.Errorf("%s: %v (%s), want %v (%s)", c.name, got, src, c.want, c.wantSrc)
		}
	}
}

// hubFacts: public.sales (store_id in the key) and public.products (no
// store_id: shared).
func hubFacts() *nodeFacts {
	f := factsFor(18)
	f.Tables = map[string]*tableFacts{
		"public.sales":    {Schema: "public", Name: "sales", Columns: []string{"store_id integer not null", "id bigint not null"}, PK: []string{"store_id", "id"}, Identity: "d"},
		"public.products": {Schema: "public", Name: "products", Columns: []string{"id bigint not null", "name text"}, PK: []string{"id"}, Identity: "d"},
	}
	f.Scope = []string{"public.products", "public.sales"}
	f.Subscriptions, f.PglSubs, f.Publications = map[string]bool{}, map[string]bool{}, map[string][]string{}
	return f
}

// hubBootstrapper: a hub and n sites with healthy facts.
func hubBootstrapper(n int, engine string) *bootstrapper {
	p := &Plan{Version: 2, Topology: Topology{Kind: TopologyHubSpoke, Engine: engine, Hub: "hq", OwnerColumn: "store_id"}}
	b := &bootstrapper{plan: p, hub: &hubState{wal: map[string]*walFacts{}, hubRows: map[string][]string{}}}
	for i := 0; i <= n; i++ {
		pn := PlanNode{Name: "hq", Role: RoleHub, DSN: "host=hq"}
		if i > 0 {
			pn = PlanNode{Name: fmt.Sprintf("s%02d", i), Role: RoleSite, DSN: fmt.Sprintf("host=s%d", i), Owns: []string{fmt.Sprint(i)}}
		}
		p.Topology.Nodes = append(p.Topology.Nodes, pn)
		b.nodes = append(b.nodes, &nodeConn{PlanNode: pn, index: i + 1, dsn: pn.DSN, facts: hubFacts()})
	}
	return b
}

func failing(cs []Check) []string {
	var out []string
	for _, c := range cs {
		if c.Status == StatusFail {
			out = append(out, strings.TrimSpace(c.Node+" "+c.Name+": "+c.Fix))
		}
	}
	return out
}

// The hub is sized for its sites, each site for one link: the prechecks
// say what to set on the hub alone.
func TestHubCapacity(t *testing.T) {
	b := hubBootstrapper(12, EngineNative)
	got := failing(b.precheck())
	want := []string{
		"hq max_replication_slots: ALTER SYSTEM SET max_replication_slots = 24; then restart",
		"hq max_wal_senders: ALTER SYSTEM SET max_wal_senders = 24; then restart",
		"hq max_worker_processes: ALTER SYSTEM SET max_worker_processes = 16; then restart",
		"hq max_logical_replication_workers: ALTER SYSTEM SET max_logical_replication_workers = 14; then restart",
		"hq max_active_replication_origins: ALTER SYSTEM SET max_active_replication_origins = 24; then restart",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failing checks (-want +got):\n%s", diff)
	}
	for _, c := range b.precheck() {
		if c.Node == "hq" && c.Name == "max_replication_slots" && !strings.Contains(c.Detail, "a hub of 12 site(s)") {
			t.Errorf("detail %q does not say why", c.Detail)
		}
	}
	// add-node checks the hub for the whole star, though it sees one site.
	one := hubBootstrapper(1, EngineNative)
	one.opt.hubSites = 12
	if got := failing(one.precheck()); len(got) != 5 {
		t.Errorf("add-node of the 12th site: failing %v, want the hub's five settings", got)
	}
	// PostgreSQL's defaults (max_logical_replication_workers 4) fit a
	// hub of two sites, not three.
	if got := failing(hubBootstrapper(2, EngineNative).precheck()); len(got) != 0 {
		t.Errorf("a hub of 2 sites fits the defaults, got %v", got)
	}
}

// Data rules of a star: a site joins with its own rows only and empty
// shared tables; the hub holds none of a joining site's rows; owner
// values must be filled in.
func TestHubDataChecks(t *testing.T) {
	b := hubBootstrapper(3, EngineNative)
	b.nodes[1].facts.Tables["public.sales"].Foreign = 4
	b.nodes[2].facts.Tables["public.products"].HasRows = true
	b.nodes[3].Owns = []string{"<store_id of site-0003>"}
	b.hub.hubRows["s01"] = []string{"public.sales (2 rows)"}
	got := failing(b.hubDataChecks())
	want := []string{
		"s01 own rows only: a site may hold only its own rows before joining; move the others to their site",
		"hq site rows at the hub: the site is the source of its rows: remove them at the hub (aadvisor never deletes data), or restore the site from them first",
		"s02 empty shared tables: empty the site's shared tables first (the hub's copy replaces them; aadvisor never deletes data)",
		"s03 owner values: fill in the site's owner values (topology.nodes[].owns) in the plan",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failing checks (-want +got):\n%s", diff)
	}
	// Joined links are not checked again: the rows came through them.
	b = hubBootstrapper(1, EngineNative)
	b.nodes[1].facts.Tables["public.products"].HasRows = true
	b.nodes[1].facts.Subscriptions[subName("s01", "hq")] = true
	b.nodes[0].facts.Subscriptions[subName("hq", "s01")] = true
	b.hub.hubRows["s01"] = []string{"public.sales (2 rows)"}
	if got := failing(b.hubDataChecks()); len(got) != 0 {
		t.Errorf("a joined site: %v", got)
	}
	// Nothing with the owner column: nothing would flow.
	b = hubBootstrapper(1, EngineNative)
	for _, n := range b.nodes {
		delete(n.facts.Tables, "public.sales")
		n.facts.Scope = []string{"public.products"}
	}
	if got := failing(b.hubDataChecks()); len(got) != 1 || !strings.HasPrefix(got[0], "site tables:") {
		t.Errorf("no site table: %v", got)
	}
}

// The star's steps: a site publishes its rows, the hub the shared table;
// the hub subscribes to every site, every site to the hub, no site to
// another; the guard counts local writes on sites only.
func TestHubSteps(t *testing.T) {
	b := hubBootstrapper(2, EngineNative)
	var got []string
	for _, s := range b.hubSteps() {
		got = append(got, s.Node+": "+s.SQL)
	}
	want := []string{
		`s01: CREATE SCHEMA IF NOT EXISTS "aadv_guard"`,
		`s01: CREATE FUNCTION "aadv_guard"."count_write"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $aadv$ BEGIN PERFORM pg_catalog.nextval(TG_ARGV[0]::regclass); RETURN NULL; END $aadv$`,
		`s01: CREATE SEQUENCE "aadv_guard"."aadv_w_public_products"; COMMENT ON SEQUENCE "aadv_guard"."aadv_w_public_products" IS 'public.products'`,
		`s01: CREATE TRIGGER "aadv_shared_write" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "public"."products" FOR EACH STATEMENT EXECUTE FUNCTION "aadv_guard"."count_write"('"aadv_guard"."aadv_w_public_products"')`,
		`s02: CREATE SCHEMA IF NOT EXISTS "aadv_guard"`,
		`s02: CREATE FUNCTION "aadv_guard"."count_write"() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $aadv$ BEGIN PERFORM pg_catalog.nextval(TG_ARGV[0]::regclass); RETURN NULL; END $aadv$`,
		`s02: CREATE SEQUENCE "aadv_guard"."aadv_w_public_products"; COMMENT ON SEQUENCE "aadv_guard"."aadv_w_public_products" IS 'public.products'`,
		`s02: CREATE TRIGGER "aadv_shared_write" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "public"."products" FOR EACH STATEMENT EXECUTE FUNCTION "aadv_guard"."count_write"('"aadv_guard"."aadv_w_public_products"')`,
		`hq: CREATE PUBLICATION "aadv_pub_hq" FOR TABLE "public"."products" WITH (publish = 'insert, update, delete')`,
		`s01: CREATE PUBLICATION "aadv_pub_s01" FOR TABLE "public"."sales" WHERE ("store_id" IN ('1')) WITH (publish = 'insert, update, delete')`,
		`s02: CREATE PUBLICATION "aadv_pub_s02" FOR TABLE "public"."sales" WHERE ("store_id" IN ('2')) WITH (publish = 'insert, update, delete')`,
		`hq: CREATE SUBSCRIPTION "aadv_hq_from_s01" CONNECTION 'host=s1' PUBLICATION "aadv_pub_s01" WITH (copy_data = true, origin = none)`,
		`hq: CREATE SUBSCRIPTION "aadv_hq_from_s02" CONNECTION 'host=s2' PUBLICATION "aadv_pub_s02" WITH (copy_data = true, origin = none)`,
		`s01: CREATE SUBSCRIPTION "aadv_s01_from_hq" CONNECTION 'host=hq' PUBLICATION "aadv_pub_hq" WITH (copy_data = true, origin = none)`,
		`s02: CREATE SUBSCRIPTION "aadv_s02_from_hq" CONNECTION 'host=hq' PUBLICATION "aadv_pub_hq" WITH (copy_data = true, origin = none)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	// Listed as shared, a table with the owner column goes down, not up;
	// with no shared table at all, sites publish only and subscribe to
	// nothing.
	b = hubBootstrapper(1, EnginePglogical)
	b.plan.Topology.SharedTables = []string{"public.sales"}
	got = nil
	for _, s := range b.hubSteps() {
		if strings.Contains(s.SQL, "replication_set_add_table") {
			got = append(got, s.Node+": "+s.SQL)
		}
	}
	if diff := cmp.Diff([]string{
		`hq: SELECT pglogical.replication_set_add_table(set_name := 'aadv_set_hq', relation := '"public"."products"'::regclass, synchronize_data := false)`,
		`hq: SELECT pglogical.replication_set_add_table(set_name := 'aadv_set_hq', relation := '"public"."sales"'::regclass, synchronize_data := false)`,
	}, got); diff != "" {
		t.Errorf("pglogical sets with sales shared (-want +got):\n%s", diff)
	}
	b = hubBootstrapper(2, EngineNative)
	for _, n := range b.nodes {
		delete(n.facts.Tables, "public.products")
		n.facts.Scope = []string{"public.sales"}
	}
	var subs []string
	for _, s := range b.hubSteps() {
		if strings.HasPrefix(s.SQL, "CREATE SUBSCRIPTION") || strings.Contains(s.SQL, "aadv_guard") {
			subs = append(subs, s.Node+" "+s.Action)
		}
	}
	if len(subs) != 2 || !strings.HasPrefix(subs[0], "hq ") || !strings.HasPrefix(subs[1], "hq ") {
		t.Errorf("without shared tables: %v, want the hub's two subscriptions only", subs)
	}
	if links := b.links(); len(links) != 2 {
		t.Errorf("without shared tables: %d links, want 2", len(links))
	}
}

// The slot a cut-off site's link holds runs out at its limit, or at the
// disk without one, at the node's WAL rate.
func TestSlotClock(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	free := &NodeStatus{DiskFreeBytes: i64(3600 << 20)}
	for _, c := range []struct {
		name  string
		l     LinkStatus
		rate  *float64
		ns    *NodeStatus
		limit string
		left  *float64
	}{
		{"limit", LinkStatus{Slot: "s", RetainedBytes: i64(10), SafeWALBytes: i64(7200 << 20)}, f64(1 << 20), free, "max_slot_wal_keep_size", f64(7200)},
		{"disk", LinkStatus{Slot: "s", RetainedBytes: i64(10)}, f64(1 << 20), free, "disk", f64(3600)},
		{"idle", LinkStatus{Slot: "s", SafeWALBytes: i64(1 << 30)}, f64(0), free, "max_slot_wal_keep_size", nil},
		{"rate unknown", LinkStatus{Slot: "s", SafeWALBytes: i64(1 << 30)}, nil, free, "max_slot_wal_keep_size", nil},
		{"remote, no limit", LinkStatus{Slot: "s"}, f64(1 << 20), &NodeStatus{}, "", nil},
		{"lost", LinkStatus{Slot: "s", WALStatus: "lost"}, f64(1 << 20), free, "lost", f64(0)},
	} {
		sc := slotClock("hq", &c.l, c.rate, c.ns)
		if sc.Limit != c.limit || fmt.Sprint(deref(sc.SecondsLeft)) != fmt.Sprint(deref(c.left)) {
			t.Errorf("%s: limit %q left %v, want %q %v", c.name, sc.Limit, deref(sc.SecondsLeft), c.limit, deref(c.left))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// The WAL checks of the offline window: each node keeps rate × window;
// the disk under pg_wal must hold it where it can be read, and is a
// warning where it cannot.
func TestWALChecks(t *testing.T) {
	b := hubBootstrapper(2, EngineNative)
	b.plan.Topology.Offline = &Offline{Hours: 24}
	small, big := int64(10<<30), int64(1<<40)
	b.hub.wal["hq"] = &walFacts{Rate: 1 << 20, Source: "given in the plan", KeepMB: -1, Free: &small, WALDir: "/d/pg_wal"}
	b.hub.wal["s01"] = &walFacts{Rate: 1 << 10, Source: "measured over 5s", KeepMB: 4096, Free: &big}
	b.hub.wal["s02"] = &walFacts{Rate: 1 << 10, Source: "measured over 5s", KeepMB: -1}
	var got []string
	for _, c := range b.walChecks() {
		got = append(got, fmt.Sprintf("%s %s %s", c.Node, c.Name, c.Status))
	}
	want := []string{"hq offline window ok", "hq disk headroom fail", "s01 offline window ok", "s01 disk headroom ok",
		"s02 offline window ok", "s02 disk headroom warn"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checks (-want +got):\n%s", diff)
	}
	var sets []string
	for _, s := range b.walSteps() {
		sets = append(sets, s.Node+": "+s.SQL)
	}
	// 1 MiB/s × 24 h × 1.5 = 129600 MB; the sites' need is below the floor;
	// s01's 4096 MB already holds it.
	if diff := cmp.Diff([]string{
		"hq: ALTER SYSTEM SET max_slot_wal_keep_size = '129600MB'", "hq: SELECT pg_catalog.pg_reload_conf()",
		"s02: ALTER SYSTEM SET max_slot_wal_keep_size = '1024MB'", "s02: SELECT pg_catalog.pg_reload_conf()",
	}, sets); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}
