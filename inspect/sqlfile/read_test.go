package sqlfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSchemaErrorPositions(t *testing.T) {
	src := "CREATE TABLE a (id int PRIMARY KEY);\n" +
		"CREATE TABEL b (id int);\n" +
		"-- ünïcode comment\n" +
		"CREATE TABLE c (naïve text, x int NOT NUL);\n" +
		"\\connect other\n" +
		"ALTER TABLE missing ADD COLUMN y int;\n" +
		"CREATE TABLE d (id int);\n" +
		"SELECT 'never closed;\n"
	db := newDatabase()
	ReadSchema(db, "s.sql", []byte(src))
	want := []inspect.InputError{
		{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 8}, Message: `syntax error at or near "TABEL"`, Skipped: &inspect.LineRange{From: 2, To: 2}},
		{Pos: inspect.Position{File: "s.sql", Line: 4, Col: 39}, Message: `syntax error at or near "NUL"`, Skipped: &inspect.LineRange{From: 4, To: 4}},
		{Pos: inspect.Position{File: "s.sql", Line: 6, Col: 13}, Message: `relation missing is not defined in the schema input`},
		{Pos: inspect.Position{File: "s.sql", Line: 8, Col: 8}, Message: `unterminated quoted string at or near "'never closed;"`, Skipped: &inspect.LineRange{From: 8, To: 8}},
	}
	if diff := cmp.Diff(want, db.Errors); diff != "" {
		t.Errorf("errors differ (-want +got):\n%s", diff)
	}
	var names []string
	for _, tb := range db.Tables {
		names = append(names, tb.Name)
	}
	if diff := cmp.Diff([]string{"a", "d"}, names); diff != "" {
		t.Errorf("the statements around the bad ones must still be read (-want +got):\n%s", diff)
	}
}

func TestReadBadFiles(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.sql")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.sql"), "no such file"},
		{"directory", dir, "is a directory"},
		{"empty", writeFile(t, "empty.sql", ""), "file is empty"},
		{"blank", writeFile(t, "blank.sql", " \n\t\n"), "file is empty"},
		{"comments only", writeFile(t, "c.sql", "-- just a comment\n"), "holds no SQL statements"},
		{"binary", writeFile(t, "bin.sql", "CREATE TABLE t ();\n\x00\x01\x02"), "2:1: binary file"},
		{"invalid UTF-8", writeFile(t, "latin1.sql", "CREATE TABLE caf\xe9 (id int);"), "1:17: file is not valid UTF-8"},
		{"custom format", writeFile(t, "x.dump", "PGDMP\x01\x0e\x00"), "custom-format archive"},
		{"gzip", writeFile(t, "x.sql.gz", "\x1f\x8b\x08\x00"), "gzip"},
		{"too large", huge, "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Read(context.Background(), Options{Schema: []string{tt.path}})
			if err == nil {
				if len(db.Errors) > 0 {
					err = db.Errors[0]
				} else {
					t.Fatalf("Read(%s) = no error", tt.path)
				}
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if tt.name != "missing" && tt.name != "comments only" {
				var ie inspect.InputError
				if !errors.As(err, &ie) || ie.Pos.File == "" {
					t.Errorf("error %q is no inspect.InputError naming the file", err)
				}
			}
		})
	}
}

func TestReadSource(t *testing.T) {
	schema := writeFile(t, "schema.sql", "-- Dumped from database version 9.6.24\nCREATE TABLE t (id int);\nSELECT pg_catalog.lo_create('16401');\nSELECT lo_create(0), lo_import('/x');\n")
	queries := writeFile(t, "q.sql", "SELECT * FROM t;")
	db, err := Read(context.Background(), Options{Schema: []string{schema}, Queries: []string{queries}})
	if err != nil {
		t.Fatal(err)
	}
	want := inspect.SourceInfo{Kind: inspect.SourceSQL, Name: schema + ", " + queries, Files: []string{schema, queries}}
	if diff := cmp.Diff(want, db.Source); diff != "" {
		t.Errorf("source differs (-want +got):\n%s", diff)
	}
	if db.ServerVersion != 90624 {
		t.Errorf("ServerVersion = %d, want 90624", db.ServerVersion)
	}
	if db.LargeObjects != 3 {
		t.Errorf("LargeObjects = %d, want 3", db.LargeObjects)
	}
	if db.SkippedFor(inspect.EvidenceStatements) != nil || db.SkippedFor(inspect.EvidenceLargeObjects) != nil {
		t.Errorf("skips for evidence that was given: %+v", db.Skipped)
	}
	if db.SkippedFor(inspect.EvidenceTableStats) == nil || db.SkippedFor(inspect.EvidenceSettings) == nil {
		t.Errorf("no skip for table statistics and settings: %+v", db.Skipped)
	}

	db, err = Read(context.Background(), Options{Schema: []string{schema}, ServerVersion: 170002})
	if err != nil {
		t.Fatal(err)
	}
	if db.ServerVersion != 170002 {
		t.Errorf("ServerVersion = %d, want the option's 170002", db.ServerVersion)
	}
	if db.SkippedFor(inspect.EvidenceStatements) == nil {
		t.Error("no skip for pg_stat_statements without query files")
	}

	plain := writeFile(t, "plain.sql", "CREATE TABLE t (id int);")
	db, err = Read(context.Background(), Options{Schema: []string{plain}})
	if err != nil {
		t.Fatal(err)
	}
	if db.LargeObjects != -1 || db.SkippedFor(inspect.EvidenceLargeObjects) == nil {
		t.Errorf("LargeObjects = %d, want -1 (unknown) with a skip", db.LargeObjects)
	}
	if db.Tables[0].ToastBytes != -1 {
		t.Errorf("ToastBytes = %d, want -1", db.Tables[0].ToastBytes)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Read(ctx, Options{Schema: []string{plain}}); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with a cancelled context = %v", err)
	}
}

// A statement that does not parse costs only itself: a missing
// parenthesis, an unterminated quote or comment or a missing semicolon
// made the splitter run into the next statements, and reading resumes at
// the first of them it can recognise.
func TestReadSchemaResync(t *testing.T) {
	const rest = "CREATE TABLE c (id int primary key);\nCREATE TABLE d (id int primary key);\n" +
		"CREATE TABLE e (id int primary key);\nCREATE TABLE f (id int primary key);\n"
	tests := []struct {
		name, bad string
		want      inspect.InputError
	}{
		{"missing parenthesis", "CREATE TABLE b (id int primary key, x int;\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 42}, Message: `syntax error at or near ";"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
		{"missing parenthesis over lines", "CREATE TABLE b (\n  id int primary key,\n  x int;\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 4, Col: 8}, Message: `syntax error at or near ";"`, Skipped: &inspect.LineRange{From: 2, To: 4}}},
		{"unterminated quoted identifier", "CREATE TABLE \"b (id int primary key);\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 14}, Message: `unterminated quoted identifier at or near ""b (id int primary key);…"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
		{"unterminated string", "COMMENT ON TABLE a IS 'oops;\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 23}, Message: `unterminated quoted string at or near "'oops;…"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
		{"unterminated dollar quote", "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $$ SELECT 1;\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 49}, Message: `unterminated dollar-quoted string at or near "$$ SELECT 1;…"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
		{"unterminated comment", "/* a comment that never ends\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 2, Col: 1}, Message: `unterminated /* comment at or near "/* a comment that never ends…"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
		{"missing semicolon", "CREATE TABLE b (id int primary key)\n",
			inspect.InputError{Pos: inspect.Position{File: "s.sql", Line: 3, Col: 1}, Message: `syntax error at or near "CREATE"`, Skipped: &inspect.LineRange{From: 2, To: 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDatabase()
			ReadSchema(db, "s.sql", []byte("CREATE TABLE a (id int primary key);\n"+tt.bad+rest))
			if diff := cmp.Diff([]inspect.InputError{tt.want}, db.Errors); diff != "" {
				t.Errorf("errors differ (-want +got):\n%s", diff)
			}
			var names []string
			for _, tb := range db.Tables {
				names = append(names, tb.Name)
			}
			if diff := cmp.Diff([]string{"a", "c", "d", "e", "f"}, names); diff != "" {
				t.Errorf("tables differ (-want +got):\n%s", diff)
			}
		})
	}
	// Valid text never resyncs: a rule with several actions keeps its
	// semicolons inside parentheses.
	db := newDatabase()
	ReadSchema(db, "r.sql", []byte("CREATE TABLE a (id int primary key);\nCREATE TABLE b (id int primary key);\n"+
		"CREATE RULE r AS ON INSERT TO a DO ALSO (\nINSERT INTO b VALUES (1);\nDELETE FROM b\n);\nCREATE TABLE c (id int primary key);\n"))
	if len(db.Errors) != 0 || len(db.Tables) != 3 {
		t.Errorf("valid file: errors %v, %d tables", db.Errors, len(db.Tables))
	}
}

// A workload file resyncs the same way, and keeps its statements in
// file order.
func TestReadQueriesResync(t *testing.T) {
	db := newDatabase()
	src := "SELECT 1;\nUPDATE t SET a = 'oops WHERE id = 1;\nDELETE FROM t WHERE id = 2;\n/* open\nINSERT INTO t VALUES (3);\n"
	if err := ReadQueries(db, "q.sql", []byte(src)); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, s := range db.Statements {
		if s.Facts != nil {
			kinds = append(kinds, fmt.Sprintf("%d:%s", s.Pos.Line, s.Facts.Kind))
		}
	}
	if diff := cmp.Diff([]string{"1:select", "3:delete", "5:insert"}, kinds); diff != "" {
		t.Errorf("statements read differ (-want +got):\n%s", diff)
	}
	want := []inspect.InputError{
		{Pos: inspect.Position{File: "q.sql", Line: 2, Col: 18}, Message: `unterminated quoted string at or near "'oops WHERE id = 1;…"`, Skipped: &inspect.LineRange{From: 2, To: 2}},
		{Pos: inspect.Position{File: "q.sql", Line: 4, Col: 1}, Message: `unterminated /* comment at or near "/* open…"`, Skipped: &inspect.LineRange{From: 4, To: 4}},
	}
	if diff := cmp.Diff(want, db.Errors); diff != "" {
		t.Errorf("errors differ (-want +got):\n%s", diff)
	}
}
