package sqlfile

import (
	"bytes"
	"os"
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
)

func FuzzReadSchema(f *testing.F) {
	for _, file := range []string{"testdata/schema_source.sql", "testdata/pg15_dump.sql"} {
		// Small seeds keep each run (and the minimising of new inputs)
		// fast: a few statements of each fixture at a time.
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		spans := splitStatements(string(src))
		for i := 0; i < len(spans); i += 4 {
			j := min(i+4, len(spans))
			f.Add(src[spans[i].start:spans[j-1].end])
		}
	}
	for _, s := range []string{
		"", ";", "\\connect x\nCREATE TABLE t (id int);", "CREATE TABLE t (id serial PRIMARY KEY, v int GENERATED ALWAYS AS (id) VIRTUAL);",
		"CREATE TABLE p (a int) PARTITION BY LIST (a); CREATE TABLE c PARTITION OF p FOR VALUES IN (1); ALTER TABLE p ADD PRIMARY KEY (a);",
		"ALTER TABLE missing ADD CONSTRAINT x PRIMARY KEY (a);", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END;",
		"CREATE TABLE t (a int); ALTER TABLE t REPLICA IDENTITY USING INDEX nope;", "SELECT 'unterminated", "/* open comment",
		"$$ dollar", "CREATE SEQUENCE s AS smallint INCREMENT -5 MINVALUE -100;", "\x00\xff",
		"CREATE TABLE g (a int GENERATED ALWAYS AS (1), b int GENERATED ALWAYS AS ((2)) VIRTUAL, c int NOT NUL);",
		"COPY t (a) FROM stdin;\n1\n\\.\nCREATE TABLE after_copy (a int);", "COPY t FROM stdin;\n",
		"CREATE TABLE l (LIKE g INCLUDING ALL); CREATE TABLE n (p numeric CHECK (p > 0 AND p * 2 < 1e3));",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		db := newDatabase()
		ReadSchema(db, "fuzz.sql", src)
		lines := bytes.Count(src, []byte("\n")) + 1
		for _, e := range db.Errors {
			if e.Pos.File != "fuzz.sql" || (e.Pos.Line != 0 && (e.Pos.Line > lines || e.Pos.Col < 1)) {
				t.Fatalf("error without a place in the file: %+v", e)
			}
		}
	})
}

func FuzzAnalyzeQuery(f *testing.F) {
	for _, s := range []string{
		"UPDATE t SET a = a + 1", "INSERT INTO t VALUES ((SELECT max(id) FROM t) + 1) ON CONFLICT ON CONSTRAINT c DO UPDATE SET n = t.n + excluded.n",
		"SELECT pg_notify('c', $1) FROM t FOR NO KEY UPDATE", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
		"BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK t IN ACCESS EXCLUSIVE MODE; COMMIT", "SELECT setval($1, 2)", "SELEC", "",
		"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET (a, b) = (a + 1, 2)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		facts, err := AnalyzeQuery(q)
		if err == nil && facts == nil {
			t.Fatal("no facts and no error")
		}
		Analyze([]*inspect.Statement{{Query: q}})
	})
}

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return src
}
