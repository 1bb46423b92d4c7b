package sqlfile

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExpandCalls: the statements inside the SQL and PL/pgSQL functions
// the workload calls join the workload, with the callers' calls and the
// function they run in; functions nobody calls, plain expressions and
// dynamic SQL do not.
func TestExpandCalls(t *testing.T) {
	dir := t.TempDir()
	schema := `CREATE TABLE jobs (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, key text UNIQUE, payload jsonb);
CREATE TABLE counters (id int PRIMARY KEY, n bigint NOT NULL);
CREATE SCHEMA w;
CREATE FUNCTION w.add_job(k text, p jsonb, OUT job_id bigint) LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO jobs (key, payload) VALUES (k, p) ON CONFLICT (key) DO UPDATE SET payload = excluded.payload RETURNING id INTO job_id;
  PERFORM pg_notify('jobs:insert', '');
  IF job_id > 5 THEN
    PERFORM w.bump(1);
  END IF;
  EXECUTE format('TRUNCATE %I', k);
  RETURN;
END $$;
CREATE FUNCTION w.bump(i int) RETURNS void LANGUAGE sql AS $$ UPDATE counters SET n = n + 1 WHERE id = i; $$;
CREATE FUNCTION w.unused() RETURNS void LANGUAGE sql AS $$ TRUNCATE jobs $$;
CREATE FUNCTION w.loop() RETURNS void LANGUAGE plpgsql AS $$ BEGIN PERFORM w.loop(); END $$;
CREATE FUNCTION w.assign() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint; n bigint;
BEGIN
  v = (SELECT id FROM jobs WHERE key = 'x' FOR UPDATE);
  n := nextval('s2');
  RETURN v;
END $$;
`
	queries := "query,calls\n\"SELECT w.add_job($1, $2)\",10\n\"SELECT * FROM w.add_job('k', '{}')\",5\n\"SELECT w.loop()\",1\n\"SELECT w.assign()\",1\n"
	for name, text := range map[string]string{"schema.sql": schema, "queries.csv": queries} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := Read(context.Background(), Options{Schema: []string{filepath.Join(dir, "schema.sql")}, Queries: []string{filepath.Join(dir, "queries.csv")}})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Query, Via string
		Calls      int64
	}
	var got []row
	for _, s := range db.Statements {
		got = append(got, row{s.Query, s.Via, s.Calls})
	}
	// add_job runs 10 + 5 times, so bump, which it calls, runs 15 times
	// too; loop calls itself and is followed three deep.
	want := []row{
		{"SELECT w.add_job($1, $2)", "", 10},
		{"SELECT * FROM w.add_job('k', '{}')", "", 5},
		{"SELECT w.loop()", "", 1},
		{"SELECT w.assign()", "", 1},
		{"INSERT INTO jobs (key, payload) VALUES (k, p) ON CONFLICT (key) DO UPDATE SET payload = excluded.payload RETURNING id", "w.add_job", 15},
		{"SELECT pg_notify('jobs:insert', '')", "w.add_job", 15},
		{"SELECT w.bump(1)", "w.add_job", 15},
		{"SELECT format('TRUNCATE %I', k)", "w.add_job", 15},
		{"SELECT w.loop()", "w.loop", 3},
		{"SELECT (SELECT id FROM jobs WHERE key = 'x' FOR UPDATE)", "w.assign", 1},
		{"SELECT nextval('s2')", "w.assign", 1},
		{"UPDATE counters SET n = n + 1 WHERE id = i", "w.bump", 15},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	for _, s := range db.Statements {
		if s.Facts == nil {
			t.Errorf("%q: no facts (%s)", s.Query, s.ParseError)
		}
	}
}
