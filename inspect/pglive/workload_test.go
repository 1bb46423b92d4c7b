package pglive

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/benchgen"
	"github.com/google/go-cmp/cmp"
)

func findStatement(db *inspect.Database, query string) *inspect.Statement {
	for _, s := range db.Statements {
		if s.Query == query {
			return s
		}
	}
	return nil
}

// TestStatements runs a workload and finds it, analysed, in the model.
func TestStatements(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		d.workload(t)
		db, _ := mustRead(t, d.dsn, Options{})

		upd := findStatement(db, "UPDATE shop.ledger SET amount = amount + $2 WHERE id = $1")
		if upd == nil || upd.Calls != 3 || upd.Rows != 0 || upd.QueryID == 0 || upd.TotalMs < 0 {
			t.Fatalf("the UPDATE run 3 times: %+v", upd)
		}
		if f := upd.Facts; f == nil || f.Kind != inspect.StmtUpdate || len(f.Writes) != 1 ||
			f.Writes[0].Table.Name != "ledger" || !slices.Equal(f.Writes[0].Increments, []string{"amount"}) {
			t.Errorf("facts of the UPDATE: %+v (parse error %q)", upd.Facts, upd.ParseError)
		}
		sel := findStatement(db, "SELECT id FROM shop.orders WHERE id = $1 FOR UPDATE")
		if sel == nil || sel.Calls != 1 || sel.Rows != 1 || sel.Facts == nil || sel.Facts.RowLock != "for update" {
			t.Errorf("the SELECT ... FOR UPDATE: %+v", sel)
		}
		for _, s := range db.Statements {
			if strings.Contains(s.Query, marker) {
				t.Errorf("aadvisor's own query in the workload: %.80s", s.Query)
			}
		}
		w := db.Workload
		if w.StatementsSource != "pg_stat_statements" || w.StatsReset.IsZero() || w.StatsReset.After(w.CollectedAt) || w.Dealloc < 0 {
			t.Errorf("Workload = %+v", w)
		}

		// The most called first, up to MaxStatements.
		var most int64
		for _, s := range db.Statements {
			most = max(most, s.Calls)
		}
		top, _ := mustRead(t, d.dsn, Options{MaxStatements: 1})
		if len(top.Statements) != 1 || top.Statements[0].Calls != most {
			t.Errorf("MaxStatements 1 read %d statements, want the one with %d calls", len(top.Statements), most)
		}
	})
}

// TestQueryCountConstant reads a 10-table and a 200-table schema with the
// same number of queries.
func TestQueryCountConstant(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		counts := map[int]int{}
		for _, n := range []int{10, 200} {
			d := newTestDB(t, major)
			d.exec(t, "CREATE EXTENSION pg_stat_statements;\n"+benchgen.Schema(0, n))
			db, st := mustRead(t, d.dsn, Options{})
			if want := n + (n+49)/50; len(db.Tables) != want {
				t.Fatalf("%d tables generated, %d read (views included)", want, len(db.Tables))
			}
			counts[n] = st.Queries
		}
		t.Logf("queries: %v", counts)
		if counts[10] != counts[200] || counts[10] > 60 {
			t.Errorf("queries: %d for 10 tables, %d for 200: want the same small number", counts[10], counts[200])
		}
	})
}

// TestReplicationState reads a logical slot and a subscription of the
// database.
func TestReplicationState(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		slot := "s_" + d.name
		sub := "sub_" + d.name
		// One statement per call: slots and subscriptions refuse transaction blocks.
		d.exec(t, "CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION p FOR TABLE t")
		d.exec(t, fmt.Sprintf("SELECT pg_create_logical_replication_slot('%s', 'pgoutput')", slot))
		d.exec(t, fmt.Sprintf("CREATE SUBSCRIPTION %s CONNECTION 'host=127.0.0.1 port=%d dbname=%s' PUBLICATION p WITH (connect = false)",
			sub, d.node.Port, d.name))
		t.Cleanup(func() {
			d.exec(t, fmt.Sprintf("ALTER SUBSCRIPTION %s SET (slot_name = NONE)", sub))
			d.exec(t, fmt.Sprintf("DROP SUBSCRIPTION %s", sub))
			d.exec(t, fmt.Sprintf("SELECT pg_drop_replication_slot('%s')", slot))
		})
		db, _ := mustRead(t, d.dsn, Options{})
		var got *inspect.ReplicationSlot
		for i := range db.ReplicationSlots {
			if db.ReplicationSlots[i].Name == slot {
				got = &db.ReplicationSlots[i]
			}
		}
		if got == nil || got.Type != "logical" || got.Plugin != "pgoutput" || got.Database != d.name || got.Active ||
			got.Temporary || got.RetainedBytes < 0 || got.WALStatus != "reserved" {
			t.Errorf("slot %s: %+v", slot, got)
		}
		want := []inspect.Subscription{{Name: sub, Enabled: false}}
		if major >= 16 {
			want[0].Origin = "any"
		}
		if diff := cmp.Diff(want, db.Subscriptions); diff != "" {
			t.Errorf("subscriptions (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]inspect.Publication{{Name: "p"}}, db.Publications); diff != "" {
			t.Errorf("publications (-want +got):\n%s", diff)
		}
	})
}

// TestReadColumnsByNumber: the reader names key, constraint and
// referenced columns from their numbers: dropped columns leave gaps, an
// index key can be an expression between columns, a CHECK can name a
// system column, and a foreign key can reference a table outside the
// read (here one a superuser put in information_schema).
func TestReadColumnsByNumber(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.exec(t, `CREATE TABLE information_schema.outside_ref (k int PRIMARY KEY, j int UNIQUE);
CREATE TABLE t (gone int, a int NOT NULL, b text, c int, PRIMARY KEY (c, a), CHECK (tableoid <> 0));
ALTER TABLE t DROP COLUMN gone;
CREATE UNIQUE INDEX t_expr ON t (b, lower(b), a) INCLUDE (c);
CREATE TABLE u (x int, y int REFERENCES information_schema.outside_ref (j), FOREIGN KEY (x, y) REFERENCES t (c, a));`)
		t.Cleanup(func() { d.exec(t, "DROP TABLE u; DROP TABLE information_schema.outside_ref") })
		db, _ := mustRead(t, d.dsn, Options{})
		tab, u := db.Table("public", "t"), db.Table("public", "u")
		if tab == nil || u == nil {
			t.Fatalf("tables: %v", db.Tables)
		}
		var got []string
		for _, ix := range tab.Indexes {
			got = append(got, ix.Name+" "+strings.Join(ix.Columns, ","))
		}
		for _, c := range append(tab.Constraints, u.Constraints...) {
			got = append(got, c.Name+" "+strings.Join(c.Columns, ",")+" -> "+c.RefTable+" "+strings.Join(c.RefColumns, ","))
		}
		want := []string{
			"t_expr b,lower(b),a",
			"t_pkey c,a",
			"t_pkey c,a ->  ",
			"t_tableoid_check tableoid ->  ",
			"u_x_y_fkey x,y -> public.t c,a",
			"u_y_fkey y -> information_schema.outside_ref j",
		}
		if !slices.Equal(got, want) {
			t.Errorf("columns by number:\n got %q\nwant %q", got, want)
		}
	})
}
