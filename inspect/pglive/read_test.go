package pglive

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/jackc/pgx/v5"

	"github.com/aadvisor/aadvisor/inspect"
)

// fixtureTables is what testdata/fixture.sql holds, in the catalog's
// spellings; ledger's generated column differs by version (see
// TestReadFixture). Stats, TOAST sizes and view definitions are checked
// apart.
func fixtureTables(major int) []*inspect.Table {
	perm, dflt := inspect.Permanent, inspect.IdentityDefault
	noWrite := "shop.no_write"
	half := &inspect.Column{Name: "half", Type: "numeric", Generated: "stored", GeneratedExpr: "(amount / (2)::numeric)"}
	if major >= 18 {
		half.Generated = "virtual"
	}
	return []*inspect.Table{
		{Schema: "shop", Name: "eu_orders", Kind: inspect.RelView, Persistence: perm, ReplicaIdentity: inspect.IdentityNothing,
			Owner: "postgres", Columns: []*inspect.Column{{Name: "id", Type: "bigint"}, {Name: "ref", Type: "text"}},
			Triggers: []*inspect.Trigger{{Name: "eu_orders_write", Enabled: inspect.TriggerOrigin, Timing: "instead of", Level: "row",
				Events: []string{"insert", "delete", "update"}, Function: noWrite}}},
		{Schema: "shop", Name: "ledger", Kind: inspect.RelTable, Persistence: perm, ReplicaIdentity: inspect.IdentityFull,
			Owner: "postgres", Options: []string{"autovacuum_freeze_min_age=1000"},
			Columns: []*inspect.Column{{Name: "id", Type: "bigint", NotNull: true}, {Name: "amount", Type: "numeric", NotNull: true}, half},
			Constraints: []*inspect.Constraint{{Name: "ledger_amount_check", Type: inspect.Check, Columns: []string{"amount"},
				Expression: "(amount <> (0)::numeric)", ExprFacts: &inspect.ExprFacts{}}}}, // parsed: calls nothing
		{Schema: "shop", Name: "order_counts", Kind: inspect.RelMatView, Persistence: perm, ReplicaIdentity: dflt, Owner: "postgres",
			Columns: []*inspect.Column{{Name: "region", Type: "text"}, {Name: "n", Type: "bigint"}},
			Indexes: []*inspect.Index{{Name: "order_counts_region", Columns: []string{"region"}, Unique: true, Valid: true, Method: "btree"}}},
		{Schema: "shop", Name: "orders", Kind: inspect.RelTable, Persistence: perm, ReplicaIdentity: dflt, Owner: "postgres",
			Columns: []*inspect.Column{
				{Name: "id", Type: "bigint", NotNull: true, Identity: "by default"},
				{Name: "region", Type: "text", NotNull: true},
				{Name: "ref", Type: "text"},
				{Name: "body", Type: "text", Storage: "main"},
			},
			Indexes: []*inspect.Index{
				{Name: "orders_open_ref", Columns: []string{"region", "ref"}, Unique: true, Predicate: "(body IS NOT NULL)", Valid: true, Method: "btree"},
				{Name: "orders_pkey", Columns: []string{"id"}, Unique: true, Primary: true, Valid: true, Method: "btree", Constraint: "orders_pkey"},
				{Name: "orders_ref_key", Columns: []string{"ref"}, Unique: true, Deferrable: true, Valid: true, Method: "btree", Constraint: "orders_ref_key"},
			},
			Constraints: []*inspect.Constraint{
				{Name: "orders_pkey", Type: inspect.PrimaryKey, Columns: []string{"id"}},
				{Name: "orders_ref_key", Type: inspect.Unique, Columns: []string{"ref"}, Deferrable: true},
				// One constraint, not one more per partition of the referenced table.
				{Name: "orders_region_fkey", Type: inspect.ForeignKey, Columns: []string{"region"}, RefTable: "shop.regions",
					RefColumns: []string{"code"}, OnDelete: inspect.FKSetNull, OnUpdate: inspect.FKCascade},
			},
			Triggers: []*inspect.Trigger{{Name: "orders_truncate", Enabled: inspect.TriggerReplica, Timing: "before", Level: "statement",
				Events: []string{"truncate"}, Function: noWrite}},
			Rules: []*inspect.Rule{{Name: "orders_log", Event: "update"}}},
		{Schema: "shop", Name: "regions", Kind: inspect.RelPartitioned, Persistence: perm, ReplicaIdentity: dflt, Owner: "postgres",
			PartitionKey: "LIST (code)", Columns: []*inspect.Column{{Name: "code", Type: "text", NotNull: true}},
			Indexes:     []*inspect.Index{{Name: "regions_pkey", Columns: []string{"code"}, Unique: true, Primary: true, Valid: true, Method: "btree", Constraint: "regions_pkey"}},
			Constraints: []*inspect.Constraint{{Name: "regions_pkey", Type: inspect.PrimaryKey, Columns: []string{"code"}}}},
		partition("regions_eu"),
		partition("regions_us"),
		{Schema: "shop", Name: "remote", Kind: inspect.RelForeign, Persistence: perm, ReplicaIdentity: inspect.IdentityNothing, Owner: "postgres",
			Columns: []*inspect.Column{{Name: "a", Type: "integer", NotNull: true}, {Name: "b", Type: "text"}}},
	}
}

func partition(name string) *inspect.Table {
	return &inspect.Table{Schema: "shop", Name: name, Kind: inspect.RelTable, Persistence: inspect.Permanent,
		ReplicaIdentity: inspect.IdentityDefault, Owner: "postgres", PartitionOf: "shop.regions",
		Columns:     []*inspect.Column{{Name: "code", Type: "text", NotNull: true}},
		Indexes:     []*inspect.Index{{Name: name + "_pkey", Columns: []string{"code"}, Unique: true, Primary: true, Valid: true, Method: "btree", Constraint: name + "_pkey"}},
		Constraints: []*inspect.Constraint{{Name: name + "_pkey", Type: inspect.PrimaryKey, Columns: []string{"code"}}}}
}

func TestReadFixture(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		gen := "STORED"
		if major >= 18 {
			gen = "VIRTUAL"
		}
		d.exec(t, "ALTER TABLE shop.ledger ADD COLUMN half numeric GENERATED ALWAYS AS (amount / 2) "+gen)

		db, st := mustRead(t, d.dsn, Options{})
		opts := cmp.Options{cmpopts.IgnoreFields(inspect.Table{}, "Stats", "ToastBytes", "Definition"), cmpopts.EquateEmpty()}
		if diff := cmp.Diff(fixtureTables(major), db.Tables, opts); diff != "" {
			t.Errorf("tables (-want +got):\n%s", diff)
		}
		wantSeq := []*inspect.Sequence{{Schema: "shop", Name: "orders_id_seq", Type: "bigint", Start: 100, Increment: 5, Min: 1,
			Max: 1<<63 - 1, Cache: 20, Persistence: inspect.Permanent, OwnedBy: "shop.orders.id"}}
		if diff := cmp.Diff(wantSeq, db.Sequences); diff != "" {
			t.Errorf("sequences (-want +got):\n%s", diff)
		}
		wantFn := []*inspect.Function{{Schema: "shop", Name: "no_write", Language: "plpgsql", Volatility: "volatile",
			Config: []string{"search_path=shop"}, Body: " BEGIN RETURN NULL; END ", Effects: &inspect.FunctionEffects{}}} // a trigger function: analysed, no side effects
		if diff := cmp.Diff(wantFn, db.Functions); diff != "" {
			t.Errorf("functions: extension functions must be left out (-want +got):\n%s", diff)
		}
		var exts []string
		for _, e := range db.Extensions {
			exts = append(exts, e.Name+"@"+e.Schema)
		}
		if diff := cmp.Diff([]string{"pg_stat_statements@public", "plpgsql@pg_catalog"}, exts); diff != "" {
			t.Errorf("extensions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]inspect.Publication{{Name: "pub_all", AllTables: true}}, db.Publications); diff != "" {
			t.Errorf("publications (-want +got):\n%s", diff)
		}
		if db.LargeObjects != 1 {
			t.Errorf("LargeObjects = %d, want 1", db.LargeObjects)
		}
		if diff := cmp.Diff([]string{"postgres"}, db.Roles); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
		if !slices.Contains(db.Databases, "postgres") || slices.Contains(db.Databases, d.name) || slices.Contains(db.Databases, "template1") {
			t.Errorf("Databases = %v: want the others, postgres included, without templates and %s", db.Databases, d.name)
		}
		if db.Name != d.name || db.MajorVersion() != major || db.Encoding != "UTF8" || db.LocaleProvider != "libc" || db.Collate == "" {
			t.Errorf("database facts: name %q version %d encoding %q provider %q collate %q", db.Name, db.ServerVersion, db.Encoding, db.LocaleProvider, db.Collate)
		}
		if db.Source.Kind != inspect.SourceLive || !strings.HasSuffix(db.Source.Name, "/"+d.name) {
			t.Errorf("Source = %+v", db.Source)
		}
		if v, ok := db.Setting("wal_level"); !ok || v != "logical" {
			t.Errorf("setting wal_level = %q, %v; the sandbox runs logical", v, ok)
		}
		if s := db.Settings["statement_timeout"]; s.Unit != "ms" || s.Context != "user" {
			t.Errorf("setting statement_timeout = %+v, want unit ms, context user", s)
		}
		if len(db.Skipped) != 0 {
			t.Errorf("superuser read skipped evidence: %+v", db.Skipped)
		}
		if w := db.Workload; w.StatementsSource != "pg_stat_statements" || !w.TableStats || time.Since(w.CollectedAt) > time.Minute {
			t.Errorf("Workload = %+v", w)
		}

		byName := map[string]*inspect.Table{}
		for _, tb := range db.Tables {
			byName[tb.Name] = tb
		}
		if v := byName["eu_orders"]; v == nil || !strings.Contains(v.Definition, "orders") || !strings.Contains(v.Definition, "'eu'") {
			t.Errorf("view definition of eu_orders: %+v", v)
		}
		if o := byName["orders"]; o == nil || o.ToastBytes <= 0 {
			t.Errorf("orders holds a 160 kB value, want TOAST bytes > 0: %+v", o)
		}
		if l := byName["ledger"]; l == nil || l.ToastBytes != 0 {
			t.Errorf("ledger has an empty TOAST table, want 0 bytes: %+v", l)
		}
		// The counters reach pg_stat_user_tables once the writing backend
		// flushes them; give it a few seconds.
		deadline := time.Now().Add(10 * time.Second)
		for {
			o := byName["orders"]
			if o != nil && o.Stats != nil && o.Stats.Inserts == 1 && o.Stats.LiveTup == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("orders stats = %+v, want 1 insert and 1 live row", o.Stats)
			}
			time.Sleep(200 * time.Millisecond)
			db, _ = mustRead(t, d.dsn, Options{})
			byName = map[string]*inspect.Table{}
			for _, tb := range db.Tables {
				byName[tb.Name] = tb
			}
		}
		if st.Queries == 0 || st.Duration <= 0 {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestReadConnLeavesSessionAlone(t *testing.T) {
	d := newTestDB(t, 15)
	ctx := context.Background()
	conn, err := Connect(ctx, d.dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET statement_timeout = '5min'"); err != nil {
		t.Fatal(err)
	}
	before := QueryCount()
	var st Stats
	if _, err := ReadConn(ctx, conn, Options{StatementTimeout: time.Second, Stats: &st}); err != nil {
		t.Fatal(err)
	}
	if got := QueryCount() - before; got != st.Queries {
		t.Errorf("QueryCount grew by %d, Stats.Queries = %d", got, st.Queries)
	}
	var timeout, app, readOnly, searchPath string
	if err := conn.QueryRow(ctx, `SELECT current_setting('statement_timeout'), current_setting('application_name'),
		current_setting('transaction_read_only'), current_setting('search_path')`).Scan(&timeout, &app, &readOnly, &searchPath); err != nil {
		t.Fatal(err)
	}
	if timeout != "5min" || app != DefaultAppName || readOnly != "on" || searchPath != `"$user", public` {
		t.Errorf("after ReadConn: statement_timeout %q (want the session's 5min), application_name %q, read only %q, search_path %q",
			timeout, app, readOnly, searchPath)
	}
	if s := conn.PgConn().TxStatus(); s != 'I' {
		t.Errorf("transaction status %q after ReadConn, want idle", s)
	}
}

// A statistics reset sets n_live_tup to 0; pg_class.reltuples keeps the
// row count of the last VACUUM, so a big table does not read as empty (the
// hot-row rule once called pgbench_accounts hot after pg_stat_reset()).
func TestReadRowsAfterStatsReset(t *testing.T) {
	d := newTestDB(t, 15)
	d.exec(t, "CREATE TABLE big (id int PRIMARY KEY); INSERT INTO big SELECT generate_series(1, 5000)")
	d.exec(t, "VACUUM ANALYZE big")
	d.exec(t, "SELECT pg_stat_reset()")
	db, _ := mustRead(t, d.dsn, Options{})
	for _, tb := range db.Tables {
		if tb.Name != "big" {
			continue
		}
		if s := tb.Stats; s == nil || s.LiveTup != 0 || s.RelTuples != 5000 || s.Rows() != 5000 {
			t.Errorf("stats after a reset = %+v, want n_live_tup 0 and reltuples 5000", s)
		}
		return
	}
	t.Fatal("table big not read")
}

// TestToastFileSizes: the TOAST sizes read from the files (toastFileQuery,
// for roles that may run pg_stat_file) are the ones pg_relation_size
// gives (toastQuery), for relations with a TOAST table holding data, an
// empty one, one rewritten since (a new file), none at all (views,
// partitioned tables) and a relation dropped while the oids were listed.
func TestToastFileSizes(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		d.exec(t, `CREATE TABLE shop.big (id int PRIMARY KEY, body text);
ALTER TABLE shop.big ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO shop.big SELECT g, repeat(md5(g::text), 400) FROM generate_series(1, 300) g;
CREATE TABLE shop.rewritten (id int PRIMARY KEY, body text);
ALTER TABLE shop.rewritten ALTER COLUMN body SET STORAGE EXTERNAL;
INSERT INTO shop.rewritten SELECT g, repeat('x', 9000) FROM generate_series(1, 20) g;`)
		d.exec(t, `VACUUM FULL shop.rewritten`)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, d.dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var oids []uint32
		if err := conn.QueryRow(ctx, `SELECT array_agg(c.oid ORDER BY c.oid) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'shop'`).Scan(&oids); err != nil {
			t.Fatal(err)
		}
		oids = append(oids, 4294967295) // no such relation: no row from either
		sizes := func(sql string) map[uint32]int64 {
			rows, err := conn.Query(ctx, sql, oidArray(oids))
			if err != nil {
				t.Fatal(err)
			}
			out := map[uint32]int64{}
			for rows.Next() {
				var relid uint32
				var bytes int64
				if err := rows.Scan(&relid, &bytes); err != nil {
					t.Fatal(err)
				}
				out[relid] = bytes
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			return out
		}
		want, got := sizes(toastQuery), sizes(toastFileQuery)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("TOAST sizes from the files differ from pg_relation_size (-want +got):\n%s", diff)
		}
		var big uint32
		if err := conn.QueryRow(ctx, `SELECT 'shop.big'::regclass::oid`).Scan(&big); err != nil {
			t.Fatal(err)
		}
		if got[big] < 300*8000 {
			t.Errorf("shop.big holds 300 values of 12.8 kB out of line, TOAST bytes %d", got[big])
		}
	})
}
