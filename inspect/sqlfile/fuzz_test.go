package sqlfile

import (
	"bytes"
	"os"
	"testing"

	"github.com/aadvisor/aadvisor/inspect/stmt"
)

func FuzzReadSchema(f *testing.F) {
	for _, file := range []string{"testdata/schema_source.sql", "testdata/pg15_dump.sql"} {
		// Small seeds keep each run (and the minimising of new inputs)
		// fast: a few statements of each fixture at a time.
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		spans := stmt.SplitStatements(string(src))
		for i := 0; i < len(spans); i += 4 {
			j := min(i+4, len(spans))
			f.Add(src[spans[i].Start:spans[j-1].End])
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

func mustRead(tb testing.TB, name string) []byte {
	tb.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return src
}
