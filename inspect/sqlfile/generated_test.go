package sqlfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRewriteGenerated(t *testing.T) {
	tests := []struct {
		in, text string
		virtual  int
	}{
		{"CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)", "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)", 0},
		{"CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) VIRTUAL)", "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED )", 1},
		{"CREATE TABLE t (a int, b int GENERATED ALWAYS AS ((a) * 2), c int)", "CREATE TABLE t (a int, b int GENERATED ALWAYS AS ((a) * 2) STORED, c int)", 1},
		{"CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY, n text DEFAULT ') virtual')", "CREATE TABLE t (a int GENERATED ALWAYS AS IDENTITY, n text DEFAULT ') virtual')", 0},
		{"ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (1) -- virtual\n", "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS (1) STORED -- virtual\n", 1},
	}
	for _, tt := range tests {
		rw := rewriteGenerated(tt.in)
		if diff := cmp.Diff(tt.text, rw.text); diff != "" || len(rw.virtual) != tt.virtual {
			t.Errorf("rewriteGenerated(%q): %d virtual, text (-want +got):\n%s", tt.in, len(rw.virtual), diff)
		}
	}
	// Positions after an insertion map back to the statement as written.
	in := "CREATE TABLE t (b int GENERATED ALWAYS AS (1), c int NOT NUL)"
	db := newDatabase()
	ReadSchema(db, "g.sql", []byte(in))
	if len(db.Errors) != 1 || db.Errors[0].Pos.Col != 58 {
		t.Errorf("errors = %v, want one at column 58", db.Errors)
	}
	db = newDatabase()
	ReadSchema(db, "g.sql", []byte("CREATE TABLE t (b int GENERATED ALWAYS AS (1), c int)"))
	if c := db.Tables[0].Columns; c[0].Generated != "virtual" || c[1].Pos.Col != 48 || c[1].Generated != "" {
		t.Errorf("columns = %+v %+v, want b virtual and c at column 48", *c[0], *c[1])
	}
}
