package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// Copying the fix SQL that the text report prints, indentation and all,
// and running it does what the JSON fix_sql does, also for names that
// hold line breaks (the indent must not land inside them).
func TestPrintedFixSQLRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	node, dsn := sandboxtest.TestDatabase(t, 18)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	schema := "CREATE TABLE \"a\nb\" (x int);\nCREATE TABLE \"we\"\"ird\n  name\" (x int);\n"
	if err := node.Exec(ctx, db, schema); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "schema.sql")
	if err := os.WriteFile(file, []byte(schema), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "assess", "--schema", file, "--fail-on", "none")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// The blocks under "fix:", as a reader selects them: up to the line
	// that ends the statement.
	var blocks []string
	lines := strings.Split(out, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "      fix: ") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "        ALTER TABLE") {
			continue
		}
		var b []string
		for j := i + 1; j < len(lines); j++ {
			b = append(b, lines[j])
			if s := strings.Join(b, "\n"); strings.Count(s, `"`)%2 == 0 && strings.HasSuffix(s, ";") {
				break
			}
		}
		blocks = append(blocks, strings.Join(b, "\n"))
	}
	if len(blocks) != 2 {
		t.Fatalf("%d fix blocks printed, want 2:\n%s", len(blocks), out)
	}
	// The JSON holds the same statements.
	_, js, _ := runCLI(t, "", "assess", "--schema", file, "--fail-on", "none", "--format", "json")
	var rep struct {
		Findings []struct {
			FixSQL string `json:"fix_sql"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatal(err)
	}
	var fixes []string
	for _, f := range rep.Findings {
		if strings.HasPrefix(f.FixSQL, "ALTER TABLE") {
			fixes = append(fixes, f.FixSQL)
		}
	}
	for i, b := range blocks {
		if i >= len(fixes) || strings.TrimPrefix(strings.ReplaceAll(b, "\n        ", "\n"), "        ") != fixes[i] {
			t.Errorf("printed block %d:\n%s\nis not fix_sql:\n%s", i, b, fixes[i])
		}
		if err := node.Exec(ctx, db, b); err != nil {
			t.Errorf("running the printed fix SQL:\n%s\n%v", b, err)
		}
	}
	conn, err := node.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var keyed int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		WHERE i.indisprimary AND c.relname IN ($1, $2)`, "a\nb", "we\"ird\n  name").Scan(&keyed); err != nil {
		t.Fatal(err)
	}
	if keyed != 2 {
		t.Errorf("%d of the 2 tables got their primary key from the printed SQL", keyed)
	}
}
