package sqlfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
)

// A file of migrations reads as the schema it leaves: DROP and RENAME
// apply (found trying River and graphile-worker, whose migrations drop
// triggers and functions and rename tables), and a DO block, which the
// reader cannot run, is reported instead of silently skipped.
func TestReadMigrations(t *testing.T) {
	ddl := `CREATE TABLE t (id bigint PRIMARY KEY, v text);
CREATE FUNCTION t_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('x', 'y'); RETURN NULL; END $$;
CREATE FUNCTION keep(a integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION keep(a text) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE TRIGGER t_n AFTER INSERT ON t FOR EACH ROW EXECUTE PROCEDURE t_notify();
CREATE TRIGGER t_m AFTER INSERT ON t FOR EACH ROW EXECUTE PROCEDURE t_notify();
CREATE RULE r AS ON DELETE TO t DO INSTEAD NOTHING;
DROP TRIGGER t_n ON t;
DROP RULE IF EXISTS r ON public.t;
DROP FUNCTION t_notify;
DROP FUNCTION keep(integer);
ALTER TRIGGER t_m ON t RENAME TO t_renamed;
CREATE TABLE a (id serial PRIMARY KEY, v text);
CREATE TABLE child (id int PRIMARY KEY, a_id int REFERENCES a (id));
ALTER TABLE a RENAME TO a_legacy;
ALTER TABLE a_legacy RENAME COLUMN v TO note;
ALTER TABLE a_legacy RENAME CONSTRAINT a_pkey TO a_legacy_pkey;
CREATE TABLE a (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
CREATE SEQUENCE s1;
CREATE TABLE u (id bigint DEFAULT nextval('s1') PRIMARY KEY);
ALTER SEQUENCE s1 RENAME TO s2;
CREATE INDEX u_i ON u (id);
ALTER INDEX u_i RENAME TO u_j;
CREATE TYPE spec AS (x int, y int);
ALTER TYPE spec ALTER ATTRIBUTE y TYPE smallint;
DO $$ BEGIN CREATE TABLE b (id serial PRIMARY KEY); END $$;
`
	db := newDatabase()
	ReadSchema(db, "m.sql", []byte(ddl))
	var errs []string
	for _, e := range db.Errors {
		errs = append(errs, e.Error())
	}
	if len(errs) != 1 || !strings.HasPrefix(errs[0], "m.sql:26:1: DO block not analysed") {
		t.Errorf("input errors: want only the DO block at m.sql:26:1, got %q", errs)
	}
	tb := db.TableByQualified("public.t")
	var trigs []string
	for _, tg := range tb.Triggers {
		trigs = append(trigs, tg.Name)
	}
	if diff := cmp.Diff([]string{"t_renamed"}, trigs); diff != "" || len(tb.Rules) != 0 {
		t.Errorf("triggers of t (-want +got):\n%s\nrules: %v", diff, tb.Rules)
	}
	var funcs []string
	for _, f := range db.Functions {
		funcs = append(funcs, f.Name+"("+f.Args+")")
	}
	if diff := cmp.Diff([]string{"keep(a text)"}, funcs); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
	legacy, a := db.TableByQualified("public.a_legacy"), db.TableByQualified("public.a")
	if legacy == nil || a == nil {
		t.Fatalf("want tables a_legacy and a, got %v", tableNames(db))
	}
	if legacy.Column("note") == nil || legacy.Column("v") != nil || a.Column("id").Identity == "" {
		t.Errorf("a_legacy columns %v, a.id identity %q", legacy.Columns, a.Column("id").Identity)
	}
	if pk := legacy.PrimaryKey(); pk == nil || pk.Name != "a_legacy_pkey" {
		t.Errorf("a_legacy primary key: %+v", pk)
	}
	if fk := db.TableByQualified("public.child").Constraints; len(fk) < 2 || fk[1].RefTable != "public.a_legacy" {
		t.Errorf("child's foreign key should follow the rename: %+v", fk[1])
	}
	var seqs []string
	for _, s := range db.Sequences {
		seqs = append(seqs, s.Name+" owned by "+s.OwnedBy)
	}
	if diff := cmp.Diff([]string{"a_id_seq owned by public.a_legacy.id", "a_id_seq1 owned by public.a.id", "s2 owned by "}, seqs); diff != "" {
		t.Errorf("sequences (-want +got):\n%s", diff)
	}
	u := db.TableByQualified("public.u")
	if got := u.Column("id").Default; got != "nextval('s2'::regclass)" {
		t.Errorf("u.id default after the sequence rename = %q", got)
	}
	if len(u.Indexes) != 2 || u.Indexes[1].Name != "u_j" {
		t.Errorf("u indexes: %+v", u.Indexes)
	}
}

func tableNames(db *inspect.Database) []string {
	var out []string
	for _, t := range db.Tables {
		out = append(out, t.Schema+"."+t.Name)
	}
	return out
}

// TestReadMigrationsFollow: what goes with a DROP or a RENAME (from a
// review: partitions outlived their parent, a renamed column stayed in
// partitions and CHECK texts, a renamed index left the replica identity
// pointing at the old name, DROP FUNCTION missed typmods and procedures'
// input-only lists).
func TestReadMigrationsFollow(t *testing.T) {
	ddl := `CREATE TABLE m (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10);
CREATE TABLE refs (id int PRIMARY KEY, m_id int REFERENCES m (id));
DROP TABLE m CASCADE;
CREATE TABLE pp (id int, k text CHECK (length(k) < 10), PRIMARY KEY (id, k)) PARTITION BY LIST (k);
CREATE TABLE pp1 PARTITION OF pp FOR VALUES IN ('a');
ALTER TABLE pp RENAME COLUMN k TO kk;
CREATE TABLE ri (id int PRIMARY KEY, v int NOT NULL);
CREATE UNIQUE INDEX ri_v ON ri (v);
ALTER TABLE ri REPLICA IDENTITY USING INDEX ri_v;
ALTER INDEX ri_v RENAME TO ri_v2;
CREATE FUNCTION f(a varchar(10)) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION g(n numeric(10,2)) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE PROCEDURE pr(IN a int, OUT b int) LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION f(varchar);
DROP FUNCTION g(numeric);
DROP PROCEDURE pr(int);
`
	db := newDatabase()
	ReadSchema(db, "m.sql", []byte(ddl))
	if len(db.Errors) != 0 {
		t.Errorf("input errors: %v", db.Errors)
	}
	if got := tableNames(db); !cmp.Equal(got, []string{"public.refs", "public.pp", "public.pp1", "public.ri"}) {
		t.Errorf("tables after DROP TABLE m CASCADE: %v (the partition goes with it)", got)
	}
	for _, c := range db.TableByQualified("public.refs").Constraints {
		if c.Type == inspect.ForeignKey {
			t.Errorf("refs keeps a foreign key to the dropped table: %+v", c)
		}
	}
	for _, name := range []string{"public.pp", "public.pp1"} {
		tb := db.TableByQualified(name)
		if tb.Column("kk") == nil || tb.Column("k") != nil {
			t.Errorf("%s columns after RENAME COLUMN: %v", name, tb.Columns)
		}
		for _, c := range tb.Constraints {
			if c.Type == inspect.Check && !strings.Contains(c.Expression, "kk") {
				t.Errorf("%s check still names the old column: %s", name, c.Expression)
			}
		}
	}
	if ri := db.TableByQualified("public.ri"); ri.ReplicaIdentityIndex != "ri_v2" {
		t.Errorf("replica identity index after ALTER INDEX RENAME = %q", ri.ReplicaIdentityIndex)
	}
	if len(db.Functions) != 0 {
		var left []string
		for _, f := range db.Functions {
			left = append(left, f.Name+"("+f.Args+")")
		}
		t.Errorf("functions left after DROP: %v", left)
	}
}

// TestReadMigrationsSchemas: SET SCHEMA moves a table with its owned
// sequence and keeps references; DROP SCHEMA CASCADE removes what the
// schema held.
func TestReadMigrationsSchemas(t *testing.T) {
	ddl := `CREATE SCHEMA old; CREATE SCHEMA app; CREATE SCHEMA tmp;
CREATE TABLE old.t (id serial PRIMARY KEY);
CREATE TABLE public.c (id int PRIMARY KEY, t_id int REFERENCES old.t (id));
ALTER TABLE old.t SET SCHEMA app;
CREATE TABLE tmp.scratch (id int);
CREATE FUNCTION tmp.f() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP SCHEMA tmp CASCADE;
CREATE TABLE old.t (id int PRIMARY KEY);
`
	db := newDatabase()
	ReadSchema(db, "s.sql", []byte(ddl))
	if len(db.Errors) != 0 {
		t.Errorf("input errors: %v", db.Errors)
	}
	if got := tableNames(db); !cmp.Equal(got, []string{"app.t", "public.c", "old.t"}) {
		t.Errorf("tables: %v", got)
	}
	if fk := db.TableByQualified("public.c").Constraints[1]; fk.RefTable != "app.t" {
		t.Errorf("foreign key after SET SCHEMA: %+v", fk)
	}
	if len(db.Sequences) != 1 || db.Sequences[0].Schema != "app" || db.Sequences[0].OwnedBy != "app.t.id" {
		t.Errorf("sequences: %+v", db.Sequences[0])
	}
	if got := db.TableByQualified("app.t").Column("id").Default; got != "nextval('app.t_id_seq'::regclass)" {
		t.Errorf("default after SET SCHEMA: %q", got)
	}
	if len(db.Functions) != 0 {
		t.Errorf("functions after DROP SCHEMA CASCADE: %v", db.Functions)
	}
}
