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
